/**
 * The alert ledger: which event reached which robot at which count, or which mute held it back.
 * `status` and the restart tests read it; it is purged with the archive's retention.
 */
import type { Store } from './open-store.ts'

/** One ledger line. `mutedBy` is the mute's id when a mute held the alert back. */
export interface LedgerEntry {
  uid: string
  robot: string
  count: number
  occurrences: number
  at: number
  mutedBy?: string
}

export interface AlertLedger {
  record(entry: LedgerEntry): void
  /** Ledger lines of one event, oldest first. */
  forEvent(uid: string): LedgerEntry[]
  purge(cutoff: number): number
}

/** Prepares the ledger's statements on an open store. */
export function createAlertLedger(store: Store): AlertLedger {
  const { db } = store
  const insert = db.prepare(
    'INSERT INTO alerts (uid, robot, count, occurrences, at, muted_by) VALUES (?, ?, ?, ?, ?, ?)',
  )
  const forEvent = db.prepare(
    'SELECT uid, robot, count, occurrences, at, muted_by FROM alerts WHERE uid = ? ORDER BY id',
  )
  const purge = db.prepare('DELETE FROM alerts WHERE at < ?')
  return {
    record(e) {
      insert.run(e.uid, e.robot, e.count, e.occurrences, e.at, e.mutedBy ?? null)
    },
    forEvent: (uid) =>
      (
        forEvent.all(uid) as {
          uid: string
          robot: string
          count: number
          occurrences: number
          at: number
          muted_by: string | null
        }[]
      ).map((r) => ({
        uid: r.uid,
        robot: r.robot,
        count: r.count,
        occurrences: r.occurrences,
        at: r.at,
        ...(r.muted_by === null ? {} : { mutedBy: r.muted_by }),
      })),
    purge: (cutoff) => Number(purge.run(cutoff).changes),
  }
}
