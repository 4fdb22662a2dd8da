/**
 * The event archive: one row per Event uid, updated on each change. The pipeline compares each
 * incoming event with its row to tell new and grown events from ones already taken in.
 * Retention is about kubeding's own sight of an event: `seen_at` is when a list or the watch last
 * showed it, `gone_at` when the API server deleted it or a complete list no longer held it. Only
 * rows that are gone are purged: a row the API server still lists is never purged, so it can
 * never be taken for new and alerted again, and the archive stays bounded by what the API server
 * holds plus `state.retention`. A row that a waiting alert names (`outbox.event_row`) is not purged
 * until the alert left the outbox: the alert is rendered from it.
 */
import type { ClusterEvent } from '../kube/cluster-event.ts'
import { hashKey } from './hash-key.ts'
import type { Store } from './open-store.ts'

/** What the archive remembers of an event to tell whether it changed; `id` is its row. */
export interface KnownEvent {
  id: number
  count: number
  lastSeen: number
  resourceVersion: string
}

/** A row as the lookups return it. */
interface Row {
  id: number
  count: number
  last_seen: number
  resource_version: string
}

/** Lookups among rows without a creation time between two checks that any remain. */
const LEGACY_RECHECK = 10_000

/** Reads and writes the `events` table. */
export interface EventArchive {
  /**
   * The archived row of the event `uid` created at `created` (`ClusterEvent.created`), or
   * undefined for an event never seen.
   */
  known(uid: string, created: number): KnownEvent | undefined
  /**
   * Writes an event the archive holds no row for, seen at `now`; returns its row. The caller has
   * just asked `known` in the same transaction: the uid is not the table's key (see the schema),
   * so this lookup first is what keeps one row per uid.
   */
  insert(event: ClusterEvent, now: number): number
  /** Writes a change to the known row `id`, seen at `now` (and present again if it was gone). */
  update(id: number, event: ClusterEvent, now: number): void
  /**
   * Writes a new or changed event, seen at `now` (and present again if it was gone). Without
   * `now` (fixtures), seen at its own last time.
   */
  upsert(event: ClusterEvent, now?: number): void
  /** An unchanged event a list showed again (row `id`): seen at `now`, present. */
  touch(id: number, now: number): void
  /** The API server deleted the event `uid` created at `created`. */
  markGone(uid: string, created: number, now: number): void
  /**
   * After a complete list that showed its events at `now` (upsert or touch): every row of the
   * list's scope not seen at exactly `now` is gone (`<>`, not `<`: a clock set back must not
   * keep absent rows forever). `scope`: the Event objects' namespace, or undefined for
   * all namespaces. `watched`: with a namespace list configured, rows of other namespaces are
   * gone too (they will never be listed again). Returns how many were marked.
   */
  markAbsent(now: number, scope: string | undefined, watched: readonly string[]): number
  /** Deletes rows gone and last seen before `cutoff`, but none a waiting alert names; returns how many. */
  purge(cutoff: number): number
}

/** Prepares the archive's statements on an open store. */
export function createEventArchive(store: Store): EventArchive {
  const { db } = store
  // An event is found by its creation time, then its uid's hash, then the uid itself: the index
  // is in creation order, so new events add to its end rather than to pages all over it.
  const knownStmt = db.prepare(
    'SELECT rowid AS id, count, last_seen, resource_version FROM events WHERE created = ? AND uid_hash = ? AND uid = ?',
  )
  // Rows archived before the creation time was (migration 5) have none: found by uid, and given it.
  const knownLegacy = db.prepare(
    'SELECT rowid AS id, count, last_seen, resource_version FROM events WHERE created IS NULL AND uid_hash = ? AND uid = ?',
  )
  const setCreated = db.prepare('UPDATE events SET created = ? WHERE rowid = ?')
  const anyLegacy = db.prepare('SELECT EXISTS (SELECT 1 FROM events WHERE created IS NULL) AS yes')
  const insertStmt = db.prepare(`
    INSERT INTO events (uid, uid_hash, created, kind, namespace, name, reason, message, type,
      count, first_seen, last_seen, component, host, event_namespace, event_name, resource_version,
      seen_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  // What identifies the event (uid, object, the Event's own name) is never rewritten.
  const updateStmt = db.prepare(`
    UPDATE events SET message = ?, type = ?, count = ?, first_seen = min(first_seen, ?),
      last_seen = ?, reason = ?, component = ?, host = ?, resource_version = ?, seen_at = ?,
      gone_at = NULL
    WHERE rowid = ?`)
  const touchStmt = db.prepare('UPDATE events SET seen_at = ?, gone_at = NULL WHERE rowid = ?')
  const goneStmt = db.prepare('UPDATE events SET gone_at = ? WHERE rowid = ? AND gone_at IS NULL')
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
  const purgeStmt = db.prepare(
    `DELETE FROM events WHERE gone_at IS NOT NULL AND seen_at < ?
       AND rowid NOT IN (SELECT event_row FROM outbox WHERE event_row IS NOT NULL)`,
  )
  // The pipeline asks `known` and then inserts the same uid: its hash is worked out once.
  let lastUid = ''
  let lastHash = hashKey(lastUid)
  const hashOf = (uid: string) => {
    if (uid !== lastUid) {
      lastUid = uid
      lastHash = hashKey(uid)
    }
    return lastHash
  }
  const insert = (e: ClusterEvent, now: number) =>
    Number(
      insertStmt.run(
        e.uid,
        hashOf(e.uid),
        e.created,
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
        now,
      ).lastInsertRowid,
    )
  const update = (id: number, e: ClusterEvent, now: number) => {
    updateStmt.run(
      e.message,
      e.type,
      e.count,
      e.firstSeen,
      e.lastSeen,
      e.reason,
      e.component,
      e.host,
      e.resourceVersion,
      now,
      id,
    )
  }
  /**
   * Whether rows without a creation time may remain: asked at start, then again after every
   * LEGACY_RECHECK lookups that had to look among them, so the extra lookup ends once they are
   * purged (the archive's retention) or all found again.
   */
  const hasLegacy = () => (anyLegacy.get() as { yes: number }).yes === 1
  let legacy = hasLegacy()
  let legacyLookups = 0
  const findLegacy = (uid: string, created: number): Row | undefined => {
    if (++legacyLookups % LEGACY_RECHECK === 0) legacy = hasLegacy()
    const row = knownLegacy.get(hashOf(uid), uid) as Row | undefined
    if (row) setCreated.run(created, row.id)
    return row
  }
  const known = (uid: string, created: number): KnownEvent | undefined => {
    const row =
      (knownStmt.get(created, hashOf(uid), uid) as Row | undefined) ??
      (legacy ? findLegacy(uid, created) : undefined)
    return (
      row && {
        id: row.id,
        count: row.count,
        lastSeen: row.last_seen,
        resourceVersion: row.resource_version,
      }
    )
  }
  return {
    known,
    insert,
    update,
    upsert(e, now) {
      const row = known(e.uid, e.created)
      if (row) update(row.id, e, now ?? e.lastSeen)
      else insert(e, now ?? e.lastSeen)
    },
    touch(id, now) {
      touchStmt.run(now, id)
    },
    markGone(uid, created, now) {
      const row = known(uid, created)
      if (row) goneStmt.run(now, row.id)
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
