/**
 * The event archive: one row per Event uid, updated on each change. The pipeline compares each
 * incoming event with its row to tell new and grown events from ones already taken in.
 * Retention is about kubeding's own sight of an event: `seen_at` is when a list or the watch last
 * showed it, `gone_at` when the API server deleted it or a complete list no longer held it. Only
 * rows that are gone are purged: a row the API server still lists is never purged, so it can
 * never be taken for new and alerted again, and the archive stays bounded by what the API server
 * holds plus `state.retention`.
 */
import type { StatementSync } from 'node:sqlite'
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
  /**
   * Writes a new or changed event, seen at `now` (and present again if it was gone). Without
   * `now` (fixtures), seen at its own last time.
   */
  upsert(event: ClusterEvent, now?: number): void
  /**
   * Writes `event`, seen at `now`, if the archive has no row for its uid; true when it wrote.
   * One B-tree descent for a new event, where `known` and then `upsert` take two.
   */
  insertNew(event: ClusterEvent, now: number): boolean
  /** An unchanged event a list showed again: seen at `now`, present. */
  touch(uid: string, now: number): void
  /** The API server deleted the event. */
  markGone(uid: string, now: number): void
  /**
   * After a complete list that showed its events at `now` (upsert or touch): every row of the
   * list's scope not seen at exactly `now` is gone (`<>`, not `<`: a clock set back must not
   * keep absent rows forever). `scope`: the Event objects' namespace, or undefined for
   * all namespaces. `watched`: with a namespace list configured, rows of other namespaces are
   * gone too (they will never be listed again). Returns how many were marked.
   */
  markAbsent(now: number, scope: string | undefined, watched: readonly string[]): number
  /** Deletes rows gone and last seen before `cutoff`; returns how many. */
  purge(cutoff: number): number
}

const COLUMNS = `uid, kind, namespace, name, reason, message, type, count, first_seen, last_seen,
  component, host, event_namespace, event_name, resource_version, seen_at`

/** Prepares the archive's statements on an open store. */
export function createEventArchive(store: Store): EventArchive {
  const { db } = store
  const knownStmt = db.prepare('SELECT count, last_seen FROM events WHERE uid = ?')
  const upsertStmt = db.prepare(`
    INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (uid) DO UPDATE SET
      message = excluded.message, type = excluded.type, count = excluded.count,
      first_seen = min(first_seen, excluded.first_seen), last_seen = excluded.last_seen,
      reason = excluded.reason, component = excluded.component, host = excluded.host,
      resource_version = excluded.resource_version, seen_at = excluded.seen_at, gone_at = NULL`)
  const insertNewStmt = db.prepare(`
    INSERT INTO events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (uid) DO NOTHING`)
  const touchStmt = db.prepare('UPDATE events SET seen_at = ?, gone_at = NULL WHERE uid = ?')
  const goneStmt = db.prepare('UPDATE events SET gone_at = ? WHERE uid = ? AND gone_at IS NULL')
  const absentAll = db.prepare(
    'UPDATE events SET gone_at = ? WHERE gone_at IS NULL AND seen_at <> ?',
  )
  const absentIn = db.prepare(
    'UPDATE events SET gone_at = ? WHERE gone_at IS NULL AND seen_at <> ? AND event_namespace = ?',
  )
  const absentOutside = db.prepare(
    `UPDATE events SET gone_at = ? WHERE gone_at IS NULL
       AND event_namespace NOT IN (SELECT value FROM json_each(?))`,
  )
  const purgeStmt = db.prepare('DELETE FROM events WHERE gone_at IS NOT NULL AND seen_at < ?')
  return {
    known(uid) {
      const row = knownStmt.get(uid) as { count: number; last_seen: number } | undefined
      return row && { count: row.count, lastSeen: row.last_seen }
    },
    upsert(e, now) {
      bind(upsertStmt, e, now ?? e.lastSeen)
    },
    insertNew(e, now) {
      return bind(insertNewStmt, e, now).changes > 0
    },
    touch(uid, now) {
      touchStmt.run(now, uid)
    },
    markGone(uid, now) {
      goneStmt.run(now, uid)
    },
    markAbsent(now, scope, watched) {
      let marked = Number(
        (scope === undefined ? absentAll.run(now, now) : absentIn.run(now, now, scope)).changes,
      )
      if (watched.length > 0)
        marked += Number(absentOutside.run(now, JSON.stringify(watched)).changes)
      return marked
    },
    purge: (cutoff) => Number(purgeStmt.run(cutoff).changes),
  }
}

/** Runs an INSERT of COLUMNS with `e`'s values, seen at `seenAt`. */
function bind(stmt: StatementSync, e: ClusterEvent, seenAt: number) {
  return stmt.run(
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
    seenAt,
  )
}
