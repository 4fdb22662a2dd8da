/**
 * Many waiting alerts as one message: occurrences by namespace, kind and reason, the objects with
 * the most occurrences, and the exact total it accounts for, so a storm becomes a few messages.
 */
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import { toWireBytes } from '../dingtalk/dingtalk-message.ts'
import { clipChars } from '../dingtalk/escape-markdown.ts'
import {
  composeMessage,
  DEFAULT_MAX_BYTES,
  type DraftLine,
  type RenderOptions,
} from './compose-message.ts'
import { formatClock } from './format-time.ts'
import type { AlertMessage, Mentions } from './outbox-message.ts'
import { toObjectRef } from './render-alert.ts'

/** Entries per tally and objects listed, shrunk until the body fits. */
const TOP_STEPS = [10, 5, 3, 1, 0]
/** Longest label shown (names are at most 253 characters; reasons are free text). */
const LABEL_CHARS = 80

const clip = (text: string): string => clipChars(text, LABEL_CHARS)

interface ObjectTally {
  kind: string
  namespace: string
  name: string
  occurrences: number
  reasons: Map<string, number>
}

const add = (tally: Map<string, number>, key: string, n: number) =>
  tally.set(key, (tally.get(key) ?? 0) + n)

const byCount = <T>(entries: Iterable<[T, number]>): [T, number][] =>
  [...entries].sort((a, b) => b[1] - a[1])

/** `payments 500 · kube-system 100 · 3 others 34` */
function tallyLine(tally: Map<string, number>, top: number): string {
  const sorted = byCount(tally)
  const shown = sorted.slice(0, Math.max(top, 1)).map(([k, n]) => `${clip(k)} ${n}`)
  const rest = sorted.slice(Math.max(top, 1))
  if (rest.length > 0) {
    const n = rest.reduce((sum, [, c]) => sum + c, 0)
    shown.push(`${rest.length} other${rest.length > 1 ? 's' : ''} ${n}`)
  }
  return shown.join(' · ')
}

/** Everyone any of the merged alerts' routes mentions. */
function mergeMentions(messages: readonly AlertMessage[]): Mentions {
  const mobiles = new Set<string>()
  const userIds = new Set<string>()
  let all = false
  for (const m of messages) {
    for (const x of m.at.mobiles) mobiles.add(x)
    for (const x of m.at.userIds) userIds.add(x)
    all ||= m.at.all
  }
  return { mobiles: [...mobiles], userIds: [...userIds], all }
}

/** Renders a digest of `messages` (alerts and repeats, at least one). */
export function renderDigest(
  messages: readonly AlertMessage[],
  options: RenderOptions,
): DingTalkMessage {
  const total = messages.reduce((sum, m) => sum + m.occurrences, 0)
  const namespaces = new Map<string, number>()
  const kinds = new Map<string, number>()
  const reasons = new Map<string, number>()
  const objects = new Map<string, ObjectTally>()
  let from = Number.POSITIVE_INFINITY
  let to = Number.NEGATIVE_INFINITY
  for (const { event: e, occurrences: n } of messages) {
    add(namespaces, e.namespace || '(cluster-scoped)', n)
    add(kinds, e.kind, n)
    add(reasons, e.reason, n)
    const key = `${e.kind}\u0000${e.namespace}\u0000${e.name}`
    const o = objects.get(key) ?? {
      kind: e.kind,
      namespace: e.namespace,
      name: e.name,
      occurrences: 0,
      reasons: new Map<string, number>(),
    }
    o.occurrences += n
    add(o.reasons, e.reason, n)
    objects.set(key, o)
    from = Math.min(from, e.lastSeen)
    to = Math.max(to, e.lastSeen)
  }
  const level = messages.some((m) => m.event.type === 'Warning') ? 'Warning' : 'Normal'
  const alerts = `${messages.length} alert${messages.length > 1 ? 's' : ''}`
  const title = `${level} digest: ${alerts}, ${total} occurrences`
  const topObjects = [...objects.values()].sort((a, b) => b.occurrences - a.occurrences)
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES

  const build = (top: number): DingTalkMessage => {
    const lines: DraftLine[] = [
      { label: 'Cluster', value: options.cluster },
      { label: 'Occurrences', value: `${total} in ${alerts}` },
      {
        label: 'Last seen',
        value: `${formatClock(from, options.timeZone)} to ${formatClock(to, options.timeZone)}`,
      },
      { label: 'By namespace', value: tallyLine(namespaces, top) },
      { label: 'By kind', value: tallyLine(kinds, top) },
      { label: 'By reason', value: tallyLine(reasons, top) },
    ]
    if (top > 0) {
      lines.push({
        label: 'Top objects',
        value: `${Math.min(top, topObjects.length)} of ${objects.size}`,
      })
      for (const o of topObjects.slice(0, top)) {
        const why = byCount(o.reasons)
          .slice(0, 3)
          .map(([r]) => clip(r))
          .join(', ')
        lines.push({ item: `${o.kind} ${clip(toObjectRef(o))}: ${why} ×${o.occurrences}` })
      }
    }
    return composeMessage({ title, lines, at: mergeMentions(messages) }, options)
  }

  let message = build(TOP_STEPS[0] ?? 0)
  for (const top of TOP_STEPS.slice(1)) {
    if (toWireBytes(message) <= maxBytes) break
    message = build(top)
  }
  return message
}
