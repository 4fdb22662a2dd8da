/**
 * Grouping windows: repeats of one object+reason, per robot, inside `alerting.groupWindow`
 * become one alert plus at most one "still happening, ×N" follow-up per window. Windows live in
 * the store, so a follow-up that was due when the process stopped is still sent after a restart.
 */
import type { AlertEvent, Mentions, OutboxMessage } from '../notify/outbox-message.ts'
import { hashKey } from '../store/hash-key.ts'
import type { Store } from '../store/open-store.ts'

/** The latest occurrence of a group: what its follow-up shows. */
interface Sample {
  event: AlertEvent
  at: Mentions
}

/** A window's sample before any repeat: never read, as only a window with repeats has a follow-up. */
const NO_SAMPLE = ''

/** Where the grouper's messages go (the outbox, inside the caller's transaction). */
export type Enqueue = (robot: string, message: OutboxMessage) => void

export interface Grouper {
  /** Takes `occurrences` new occurrences of `event` for `robot`; enqueues what must be sent now. */
  offer(robot: string, event: AlertEvent, occurrences: number, at: Mentions, now: number): void
  /** Closes windows that ended by `now`: a follow-up for each that had repeats. */
  flushDue(now: number): void
  /** When the next window ends, or undefined when none is open. */
  nextDue(): number | undefined
}

/** The grouping key: one object and one reason. */
export const toGroupKey = (e: Pick<AlertEvent, 'kind' | 'namespace' | 'name' | 'reason'>): string =>
  `${e.kind}/${e.namespace}/${e.name}/${e.reason}`

/** Creates a grouper over the store's `groups` table. */
export function createGrouper(store: Store, windowMs: number, enqueue: Enqueue): Grouper {
  const { db } = store
  // A window is found through its key's hash (store/hash-key.ts), then the key itself.
  const get = db.prepare(
    'SELECT id, window_end, pending FROM groups WHERE key_hash = ? AND robot = ? AND key = ?',
  )
  const openNew = db.prepare(
    'INSERT INTO groups (key_hash, robot, key, window_end, pending, sample) VALUES (?, ?, ?, ?, 0, ?)',
  )
  const reopen = db.prepare(
    'UPDATE groups SET window_end = ?, pending = 0, sample = ? WHERE id = ?',
  )
  const fold = db.prepare('UPDATE groups SET pending = pending + ?, sample = ? WHERE id = ?')
  const due = db.prepare(
    'SELECT id, robot, window_end, pending, sample FROM groups WHERE window_end <= ?',
  )
  const remove = db.prepare('DELETE FROM groups WHERE id = ?')
  const next = db.prepare('SELECT min(window_end) AS t FROM groups')

  const repeat = (robot: string, sample: Sample, occurrences: number, since: number) =>
    enqueue(robot, { kind: 'repeat', event: sample.event, occurrences, since, at: sample.at })

  return {
    offer(robot, event, occurrences, at, now) {
      const key = toGroupKey(event)
      const keyHash = hashKey(key)
      const row = get.get(keyHash, robot, key) as
        | { id: number; window_end: number; pending: number }
        | undefined
      // No window for this object and reason yet (most events of a storm): one write opens it.
      // A new window stores no sample: this occurrence is told now, and a follow-up is only ever
      // sent after a repeat, whose fold writes its own.
      if (!row) {
        openNew.run(keyHash, robot, key, now + windowMs, NO_SAMPLE)
        enqueue(robot, { kind: 'alert', event, occurrences, at })
        return
      }
      if (row.window_end > now) {
        fold.run(occurrences, JSON.stringify({ event, at } satisfies Sample), row.id)
        return
      }
      // A window that ended with repeats not yet reported: report them together with this one
      // rather than sending a follow-up and a fresh alert back to back.
      if (row.pending > 0) {
        repeat(robot, { event, at }, row.pending + occurrences, row.window_end - windowMs)
      } else {
        enqueue(robot, { kind: 'alert', event, occurrences, at })
      }
      reopen.run(now + windowMs, NO_SAMPLE, row.id)
    },
    flushDue(now) {
      const rows = due.all(now) as {
        id: number
        robot: string
        window_end: number
        pending: number
        sample: string
      }[]
      for (const row of rows) {
        if (row.pending > 0) {
          const sample = JSON.parse(row.sample) as Sample
          repeat(row.robot, sample, row.pending, row.window_end - windowMs)
          reopen.run(now + windowMs, row.sample, row.id)
        } else {
          remove.run(row.id)
        }
      }
    },
    nextDue() {
      const { t } = next.get() as { t: number | null }
      return t ?? undefined
    },
  }
}
