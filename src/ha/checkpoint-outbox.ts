/**
 * The leader's outbox, recording into the shared state what the next leader needs: each
 * message that left the outbox (DingTalk answered, or it was dropped for good) by identity, each
 * DingTalk answer's time (the rate budget) and each throttle pause. The notifier uses it in place
 * of its own; what it records is written to the ConfigMap in batches (shared-state.ts).
 */
import type { Delivery, Outbox } from '../notify/outbox.ts'
import { UNREADABLE_ERRCODE } from '../notify/outbox.ts'
import { toMessageIdentity } from './message-identity.ts'
import type { SharedDoc } from './shared-doc.ts'

/** Where the records go: a change to the shared document; resolves once it is stored. */
export type RecordChange = (change: (doc: SharedDoc) => void) => Promise<void>

/** The leader's outbox, which also says when a robot's last answer reached the checkpoint. */
export interface CheckpointOutbox extends Outbox {
  /** Resolves once everything recorded for `robot` so far is stored in the shared state. */
  checkpointed(robot: string): Promise<void>
}

/** Rows remembered between peek and settle; more means rows were peeked and never settled. */
const MAX_REMEMBERED = 20_000

/** Wraps `inner` so that every settle, refusal and pause is recorded through `record`. */
export function createCheckpointOutbox(inner: Outbox, record: RecordChange): CheckpointOutbox {
  const identities = new Map<number, string>()
  const stored = new Map<string, Promise<void>>()
  const recordFor = (robot: string, change: (doc: SharedDoc) => void) => {
    stored.set(robot, record(change))
  }

  const answered = (robot: string, d: Delivery) => (doc: SharedDoc) => {
    if (d.errcode <= UNREADABLE_ERRCODE) return
    const times = doc.answered[robot] ?? []
    times.push(d.at)
    doc.answered[robot] = times
  }

  return {
    ...inner,
    checkpointed: (robot) => stored.get(robot) ?? Promise.resolve(),
    peek(robot, limit) {
      const rows = inner.peek(robot, limit)
      if (identities.size > MAX_REMEMBERED) identities.clear()
      for (const row of rows)
        if (row.message) identities.set(row.id, toMessageIdentity(robot, row.message))
      return rows
    },
    settle(robot, ids, delivery) {
      inner.settle(robot, ids, delivery)
      const gone = ids.flatMap((id) => identities.get(id) ?? [])
      for (const id of ids) identities.delete(id)
      recordFor(robot, (doc) => {
        const delivered = doc.delivered[robot] ?? {}
        for (const identity of gone) delivered[identity] = delivery.at
        doc.delivered[robot] = delivered
        answered(robot, delivery)(doc)
      })
    },
    refuse(robot, ids, delivery) {
      inner.refuse(robot, ids, delivery)
      recordFor(robot, answered(robot, delivery))
    },
    defer(robot, until) {
      inner.defer(robot, until)
      recordFor(robot, (doc) => {
        doc.paused[robot] = Math.max(doc.paused[robot] ?? 0, until)
      })
    },
  }
}

/**
 * Before a new leader sends: the old leader's answers of the last minute count in this
 * replica's rate budget (so a takeover does not trip DingTalk's 20 a minute), and its pauses
 * hold here too.
 */
export function importBudget(
  outbox: Outbox,
  doc: SharedDoc,
  robots: readonly string[],
  now: number,
): void {
  for (const robot of robots) {
    const mine = new Set(outbox.answeredSince(robot, now - 61_000))
    for (const at of doc.answered[robot] ?? []) {
      if (mine.has(at)) continue
      outbox.settle(robot, [], {
        at,
        kind: 'takeover',
        occurrences: 0,
        errcode: 0,
        errmsg: 'answered for the previous leader',
      })
    }
    const until = doc.paused[robot]
    if (until !== undefined && until > now) outbox.defer(robot, until)
  }
}
