/**
 * Many waiting messages as one, readable in ten seconds: how many in all, counts by namespace and
 * reason, the objects with the most occurrences, and the `events` command that shows the rest.
 * Every number is a sum of the same occurrences, so the counts always add up.
 */
import type { DraftBlock, Mentions, MessageDraft } from '../draft/message-draft.ts'
import { clip, md } from '../draft/rich-text.ts'
import { type DraftContext, toObjectRef } from './draft-context.ts'
import { formatStamp } from './format-time.ts'
import { toOccurrences } from './outbox.ts'
import type { OutboxMessage } from './outbox-message.ts'

/** Entries per tally; the rest are summed as "others". */
const TALLY_TOP = 5
/** Objects listed at most; the renderer lists fewer when the message would be too long. */
const MAX_OBJECTS = 10
/** Longest label shown (names are at most 253 characters; reasons are free text). */
const LABEL_CHARS = 80

/** One waiting message as the digest counts it. */
interface Entry {
  type: string
  kind: string
  namespace: string
  name: string
  reason: string
  occurrences: number
  /** When it last happened. */
  at: number
  mentions: Mentions
}

function toEntry(m: OutboxMessage): Entry | undefined {
  if (m.kind === 'alert' || m.kind === 'repeat') {
    const e = m.event
    return { ...e, occurrences: m.occurrences, at: e.lastSeen, mentions: m.at }
  }
  if (m.kind === 'node-problem' || m.kind === 'node-resolved') {
    return {
      type: m.kind === 'node-problem' ? 'Warning' : 'Normal',
      kind: 'Node',
      namespace: '',
      name: m.node,
      reason: m.condition,
      // The same count the outbox keeps for it, so the digest's total is what the rows account for.
      occurrences: toOccurrences(m),
      at: m.endedAt ?? m.since,
      mentions: m.at,
    }
  }
  return undefined
}

const add = (tally: Map<string, number>, key: string, n: number) =>
  tally.set(key, (tally.get(key) ?? 0) + n)

const byCount = <T>(entries: Iterable<[T, number]>): [T, number][] =>
  [...entries].sort((a, b) => b[1] - a[1])

/** `payments 500 · kube-system 100 · 3 others 34` */
function toTallyLine(tally: Map<string, number>, ctx: DraftContext): string {
  const sorted = byCount(tally)
  const shown = sorted.slice(0, TALLY_TOP).map(([k, n]) => `${clip(k, LABEL_CHARS)} ${n}`)
  const rest = sorted.slice(TALLY_TOP)
  if (rest.length > 0) {
    shown.push(
      ctx.strings.digest.others(
        rest.length,
        rest.reduce((sum, [, c]) => sum + c, 0),
      ),
    )
  }
  return shown.join(' · ')
}

/** Everyone any of the merged messages' routes mentions. */
function mergeMentions(entries: readonly Entry[]): Mentions {
  const mobiles = new Set<string>()
  const userIds = new Set<string>()
  let all = false
  for (const { mentions } of entries) {
    for (const x of mentions.mobiles) mobiles.add(x)
    for (const x of mentions.userIds) userIds.add(x)
    all ||= mentions.all
  }
  return { mobiles: [...mobiles], userIds: [...userIds], all }
}

/** `since=` that covers the digest's oldest occurrence: `15m`, `3h`, `2d`. */
function toSince(ms: number): string {
  const minutes = Math.max(1, Math.ceil(ms / 60_000) + 1)
  if (minutes <= 90) return `${minutes}m`
  const hours = Math.ceil(minutes / 60)
  return hours <= 48 ? `${hours}h` : `${Math.ceil(hours / 24)}d`
}

/** The `events` command that lists what the digest counts. */
function toEventsCommand(entries: readonly Entry[], from: number, ctx: DraftContext): string {
  const namespaces = new Set(entries.map((e) => e.namespace))
  const [only] = namespaces
  const ns = namespaces.size === 1 && only ? ` ns=${only}` : ''
  const level = entries.some((e) => e.type !== 'Warning') ? ' level=all' : ''
  return `events${ns}${level} since=${toSince(ctx.now - from)} limit=50`
}

/** Drafts a digest of `messages` (alerts, repeats and node messages; notices are not merged). */
export function toDigestDraft(messages: readonly OutboxMessage[], ctx: DraftContext): MessageDraft {
  const s = ctx.strings
  const entries = messages.flatMap((m) => toEntry(m) ?? [])
  const total = entries.reduce((sum, e) => sum + e.occurrences, 0)
  const namespaces = new Map<string, number>()
  const reasons = new Map<string, number>()
  const objects = new Map<string, { label: string; n: number; reasons: Map<string, number> }>()
  let from = Number.POSITIVE_INFINITY
  let to = Number.NEGATIVE_INFINITY
  for (const e of entries) {
    add(namespaces, e.namespace || s.digest.clusterWide, e.occurrences)
    add(reasons, e.reason, e.occurrences)
    const key = `${e.kind}\u0000${e.namespace}\u0000${e.name}`
    const o = objects.get(key) ?? {
      label: `${e.kind} ${clip(toObjectRef(e), LABEL_CHARS)}`,
      n: 0,
      reasons: new Map<string, number>(),
    }
    o.n += e.occurrences
    add(o.reasons, e.reason, e.occurrences)
    objects.set(key, o)
    from = Math.min(from, e.at)
    to = Math.max(to, e.at)
  }
  const level = s.level(entries.some((e) => e.type === 'Warning') ? 'Warning' : 'Normal')
  const head = s.digest.title(total, entries.length)
  const top = [...objects.values()].sort((a, b) => b.n - a.n).slice(0, MAX_OBJECTS)
  const stamp = (at: number, zone: boolean) => formatStamp(at, ctx.now, { zone })
  const command = toEventsCommand(entries, from, ctx)
  const first = stamp(from, false) === stamp(to, false) ? undefined : stamp(from, false)
  const blocks: DraftBlock[] = [
    { kind: 'heading', text: md`【${level}】${ctx.cluster} · ${head}` },
    { kind: 'text', text: md`${s.digest.window(first, stamp(to, true), s.ago(ctx.now - to))}` },
    { kind: 'text', text: md`**${s.digest.byNamespace}** ${toTallyLine(namespaces, ctx)}` },
    { kind: 'text', text: md`**${s.digest.byReason}** ${toTallyLine(reasons, ctx)}` },
    { kind: 'text', text: md`**${s.digest.topObjects}**` },
    {
      kind: 'list',
      bullet: true,
      items: top.map((o) => {
        const why = byCount(o.reasons)
          .slice(0, 3)
          .map(([r]) => clip(r, LABEL_CHARS))
          .join(', ')
        return md`${o.label} · ${why} ×${o.n}`
      }),
      more: objects.size - top.length,
      overflow: (n) => md`${s.digest.moreObjects(n)}`,
    },
  ]
  blocks.push(
    { kind: 'text', text: md`${s.digest.seeAllWith(command)}` },
    { kind: 'links', links: [{ label: s.digest.seeAll, command }] },
  )
  return { title: `${level} ${ctx.cluster}: ${head}`, blocks, at: mergeMentions(entries) }
}
