/**
 * The shared state's document: what every replica reads and the next leader needs, kept in one
 * ConfigMap of kubeding's own namespace. It is parsed defensively (anyone with write access may
 * have edited it: a key that does not parse is read as empty and reported) and bounded whatever
 * happens, since a ConfigMap holds at most 1 MiB:
 *
 * | key | holds | bound |
 * | --- | --- | --- |
 * | `delivered` | per robot, the identity (10 characters) and time of each message DingTalk answered for | 20,000 in all, 15 min: ~400 KiB |
 * | `answered` | per robot, when DingTalk answered in the last 61 s (the rate budget) | 100 per robot, 61 s |
 * | `paused` | per robot, until when DingTalk's throttling pauses it | one number per robot |
 * | `mutes` | mutes not ended (first), and those ended in the last hour | 200: ~80 KiB |
 * | `msgIds` | chat messages answered (a hash of DingTalk's msgId) and by which pod, so another pod does not run them again | 1,000, 10 min |
 * | `replicas` | each replica's heartbeat and watch state, for `status` | 16, 5 min |
 */
import { z } from 'zod'
import type { MuteRecord } from '../store/mutes.ts'

/** One replica's heartbeat. */
export interface ReplicaBeat {
  seenAt: number
  /** When the replica started: in a rolling update, younger ones defer to older ones. */
  startedAt?: number
  /** The event watch as this replica sees it: `watching`, `starting` or `down`. */
  watch: string
  /** Since when it is down, if it is. */
  downSince?: number
}

export interface SharedDoc {
  /** robot → message identity → when it left the leader's outbox. */
  delivered: Record<string, Record<string, number>>
  answered: Record<string, number[]>
  paused: Record<string, number>
  mutes: MuteRecord[]
  /** Hash of a chat message's msgId → when and by which replica it was answered. */
  msgIds: Record<string, { at: number; by: string }>
  replicas: Record<string, ReplicaBeat>
}

export const BOUNDS = {
  deliveredTotal: 20_000,
  deliveredAgeMs: 15 * 60_000,
  answeredPerRobot: 100,
  answeredAgeMs: 61_000,
  mutes: 200,
  endedMuteAgeMs: 3_600_000,
  msgIds: 1_000,
  msgIdAgeMs: 10 * 60_000,
  replicas: 16,
  replicaAgeMs: 5 * 60_000,
} as const

/** A document with nothing in it. */
export function createEmptyDoc(): SharedDoc {
  return { delivered: {}, answered: {}, paused: {}, mutes: [], msgIds: {}, replicas: {} }
}

const numberMap = z.record(z.string().max(200), z.number().finite())
const selector = z.strictObject({
  namespace: z.string().max(253).optional(),
  kind: z.string().max(253).optional(),
  name: z.string().max(253).optional(),
  reason: z.string().max(253).optional(),
})
const mute = z.strictObject({
  id: z.string().regex(/^m\d{1,9}$/),
  selector,
  createdBy: z.string().max(200),
  createdByName: z.string().max(200),
  conversationId: z.string().max(200),
  createdAt: z.number().finite(),
  endsAt: z.number().finite(),
  endedAt: z.number().finite().optional(),
  endedBy: z.string().max(200).optional(),
  heldBack: z.number().int().min(0),
})
const beat = z.strictObject({
  seenAt: z.number().finite(),
  startedAt: z.number().finite().optional(),
  watch: z.string().max(20),
  downSince: z.number().finite().optional(),
})
const ENTRY = /^([A-Za-z0-9_-]{1,32}):([0-9a-z]{1,12})$/

const SECTIONS = {
  delivered: z.record(z.string().max(200), z.string()),
  answered: z.record(z.string().max(200), z.array(z.number().finite()).max(1_000)),
  paused: numberMap,
  mutes: z.array(mute).max(1_000),
  msgIds: z.record(
    z.string().max(64),
    z.strictObject({ at: z.number().finite(), by: z.string().max(253) }),
  ),
  replicas: z.record(z.string().max(253), beat),
} as const

/** Reads a ConfigMap's data; a key that does not parse is read as empty and named in `problems`. */
export function parseSharedDoc(data: Record<string, string> | undefined): {
  doc: SharedDoc
  problems: string[]
} {
  const doc = createEmptyDoc()
  const problems: string[] = []
  for (const key of Object.keys(SECTIONS) as Array<keyof typeof SECTIONS>) {
    const text = data?.[key]
    if (text === undefined) continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      problems.push(`${key}: not JSON`)
      continue
    }
    const parsed = SECTIONS[key].safeParse(value)
    if (!parsed.success) {
      problems.push(`${key}: ${parsed.error.issues[0]?.message ?? 'invalid'}`)
      continue
    }
    if (key === 'delivered') doc.delivered = toDelivered(parsed.data as Record<string, string>)
    else if (key === 'mutes') doc.mutes = (parsed.data as MuteRecord[]).map(toMuteRecord)
    else Object.assign(doc, { [key]: parsed.data })
  }
  return { doc, problems }
}

/** Trims the document to its bounds at `now`, then writes it as a ConfigMap's data. */
export function toConfigMapData(doc: SharedDoc, now: number): Record<string, string> {
  trimSharedDoc(doc, now)
  const delivered: Record<string, string> = {}
  for (const [robot, ids] of Object.entries(doc.delivered)) {
    const entries = Object.entries(ids).map(([id, at]) => `${id}:${at.toString(36)}`)
    if (entries.length > 0) delivered[robot] = entries.join(' ')
  }
  return {
    delivered: JSON.stringify(delivered),
    answered: JSON.stringify(doc.answered),
    paused: JSON.stringify(doc.paused),
    mutes: JSON.stringify(doc.mutes),
    msgIds: JSON.stringify(doc.msgIds),
    replicas: JSON.stringify(doc.replicas),
  }
}

/** Drops what is past its age and, oldest first, what is over its count. */
export function trimSharedDoc(doc: SharedDoc, now: number): void {
  const all: Array<[string, string, number]> = []
  for (const [robot, ids] of Object.entries(doc.delivered))
    for (const [id, at] of Object.entries(ids))
      if (at > now - BOUNDS.deliveredAgeMs) all.push([robot, id, at])
  all.sort((a, b) => b[2] - a[2])
  doc.delivered = {}
  for (const [robot, id, at] of all.slice(0, BOUNDS.deliveredTotal)) {
    const ids = doc.delivered[robot] ?? {}
    ids[id] = at
    doc.delivered[robot] = ids
  }
  for (const [robot, times] of Object.entries(doc.answered)) {
    const kept = times
      .filter((at) => at > now - BOUNDS.answeredAgeMs)
      .slice(-BOUNDS.answeredPerRobot)
    if (kept.length > 0) doc.answered[robot] = kept
    else delete doc.answered[robot]
  }
  for (const [robot, until] of Object.entries(doc.paused))
    if (until <= now) delete doc.paused[robot]
  // Mutes still on first: ended ones only tell the others to end theirs, and a burst of short
  // mutes must not push out one set days ago that a pod starting now has to learn.
  const on = (m: MuteRecord) => m.endedAt === undefined && m.endsAt > now
  const byAge = (a: MuteRecord, b: MuteRecord) => a.createdAt - b.createdAt
  const active = doc.mutes.filter(on).sort(byAge).slice(-BOUNDS.mutes)
  const ended = doc.mutes
    .filter((m) => !on(m) && (m.endedAt ?? m.endsAt) > now - BOUNDS.endedMuteAgeMs)
    .sort(byAge)
  const room = BOUNDS.mutes - active.length
  doc.mutes = [...active, ...ended.slice(ended.length - room)].sort(byAge)
  const claims = Object.entries(doc.msgIds)
    .filter(([, c]) => c.at > now - BOUNDS.msgIdAgeMs)
    .sort((a, b) => b[1].at - a[1].at)
    .slice(0, BOUNDS.msgIds)
  doc.msgIds = Object.fromEntries(claims)
  const beats = Object.entries(doc.replicas)
    .filter(([, b]) => b.seenAt > now - BOUNDS.replicaAgeMs)
    .sort((a, b) => b[1].seenAt - a[1].seenAt)
    .slice(0, BOUNDS.replicas)
  doc.replicas = Object.fromEntries(beats)
}

function toDelivered(raw: Record<string, string>): SharedDoc['delivered'] {
  const out: SharedDoc['delivered'] = {}
  for (const [robot, text] of Object.entries(raw)) {
    const ids: Record<string, number> = {}
    for (const entry of text.split(' ')) {
      const m = ENTRY.exec(entry)
      if (m?.[1] && m[2]) ids[m[1]] = Number.parseInt(m[2], 36)
    }
    out[robot] = ids
  }
  return out
}

/** zod's optional keys to the record's `undefined` fields. */
function toMuteRecord(m: z.infer<typeof mute>): MuteRecord {
  return {
    id: m.id,
    selector: Object.fromEntries(
      Object.entries(m.selector).filter(([, v]) => v !== undefined),
    ) as MuteRecord['selector'],
    createdBy: m.createdBy,
    createdByName: m.createdByName,
    conversationId: m.conversationId,
    createdAt: m.createdAt,
    endsAt: m.endsAt,
    endedAt: m.endedAt,
    endedBy: m.endedBy,
    heldBack: m.heldBack,
  }
}
