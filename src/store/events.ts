/**
 * The event archive: one row per Event uid, updated on each change, purged after
 * `state.retention`. The pipeline compares each incoming event with its row to tell new and
 * grown events from ones already taken in.
 */
import type { ClusterEvent } from '../kube/cluster-event.ts'
import type { Store } from './open-store.ts'

/** What the archive remembers of an event to tell whether it changed. */
export interface KnownEvent {
  count: number
  lastSeen: number
}

/** Reads and writes the `events` table. */
export interface EventArchive {
  /** The archived count and last-seen of `uid`, or undefined for an event never seen. */
  known(uid: string): KnownEvent | undefined
  upsert(event: ClusterEvent): void
  /** Deletes events last seen before `cutoff`; returns how many. */
  purge(cutoff: number): number
}

const COLUMNS = `uid, kind, namespace, name, reason, message, type, count, first_seen, last_seen,
  component, host, event_namespace, event_name, resource_version`

/** Prepares the archive's statements on an open store. */
export function createEventArchive(store: Store): EventArchive {
  const { db } = store
  const knownStmt = db.prepare('SELECT count, last_seen FROM events WHERE uid = ?')
  const upsertStmt = db.prepare(`
    INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (uid) DO UPDATE SET
      message = excluded.message, type = excluded.type, count = excluded.count,
      first_seen = min(first_seen, excluded.first_seen), last_seen = excluded.last_seen,
      reason = excluded.reason, component = excluded.component, host = excluded.host,
      resource_version = excluded.resource_version`)
  const purgeStmt = db.prepare('DELETE FROM events WHERE last_seen < ?')
  return {
    known(uid) {
      const row = knownStmt.get(uid) as { count: number; last_seen: number } | undefined
      return row && { count: row.count, lastSeen: row.last_seen }
    },
    upsert(e) {
      upsertStmt.run(
        e.uid,
        e.kind,
        e.namespace,
        e.name,
        e.reason,
        e.message,
        e.type,
        e.count,
        e.firstSeen,
        e.lastSeen,
        e.component,
        e.host,
        e.eventNamespace,
        e.eventName,
        e.resourceVersion,
      )
    },
    purge: (cutoff) => Number(purgeStmt.run(cutoff).changes),
  }
}
