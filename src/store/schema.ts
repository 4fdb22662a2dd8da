/**
 * The embedded store's schema, shaped for every issue at once: the event archive, grouping
 * windows, the DingTalk outbox and delivery log (push path); mutes, the
 * command audit and used callback signatures (ChatOps); the SLS archive queue (shipping).
 * Migrations only ever append.
 */
import type { DatabaseSync } from 'node:sqlite'
import { hashKey } from './hash-key.ts'

/**
 * One step of the schema: SQL, or a function for what SQL alone cannot do (hashes computed here,
 * in bounded chunks). Run inside the migration's transaction.
 */
export type Migration = string | ((db: DatabaseSync) => void)

/** Rows hashed per statement: a statement holds what it returns until it finishes. */
const HASH_CHUNK = 5_000

/** Fills `column` of `table` with the hash of `source`, chunk by chunk in rowid order. */
function fillHashes(db: DatabaseSync, table: string, source: string, column: string): void {
  const read = db.prepare(
    `SELECT rowid AS id, ${source} AS text FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT ${HASH_CHUNK}`,
  )
  const write = db.prepare(`UPDATE ${table} SET ${column} = ? WHERE rowid = ?`)
  for (let after = 0; ; ) {
    const rows = read.all(after) as { id: number; text: string }[]
    for (const row of rows) write.run(hashKey(row.text), row.id)
    const last = rows.at(-1)
    if (!last) return
    after = last.id
  }
}

/** Migration 4: see its comment in MIGRATIONS. */
function hashLookups(db: DatabaseSync): void {
  db.exec(`
  CREATE TABLE events_next (
    uid TEXT NOT NULL,
    uid_hash INTEGER NOT NULL,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    type TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    component TEXT NOT NULL,
    host TEXT NOT NULL,
    event_namespace TEXT NOT NULL,
    event_name TEXT NOT NULL,
    resource_version TEXT NOT NULL,
    seen_at INTEGER NOT NULL,
    gone_at INTEGER
  ) STRICT;
  INSERT INTO events_next (rowid, uid, uid_hash, kind, namespace, name, reason, message, type,
      count, first_seen, last_seen, component, host, event_namespace, event_name,
      resource_version, seen_at, gone_at)
    SELECT rowid, uid, 0, kind, namespace, name, reason, message, type, count, first_seen,
      last_seen, component, host, event_namespace, event_name, resource_version, seen_at, gone_at
    FROM events;
  DROP TABLE events;
  ALTER TABLE events_next RENAME TO events;

  -- One row per open window; (robot, key) stays unique because the grouper looks up first.
  CREATE TABLE groups_next (
    id INTEGER PRIMARY KEY,
    key_hash INTEGER NOT NULL,
    robot TEXT NOT NULL,
    key TEXT NOT NULL,
    window_end INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    sample TEXT NOT NULL
  ) STRICT;
  INSERT INTO groups_next (key_hash, robot, key, window_end, pending, sample)
    SELECT 0, robot, key, window_end, pending, sample FROM groups;
  DROP TABLE groups;
  ALTER TABLE groups_next RENAME TO groups;
  `)
  fillHashes(db, 'events', 'uid', 'uid_hash')
  fillHashes(db, 'groups', 'key', 'key_hash')
  // Indexes last: built once from the filled tables rather than kept up row by row.
  db.exec(`
  CREATE INDEX events_by_uid ON events (uid_hash);
  CREATE INDEX events_by_time ON events (type, last_seen);
  CREATE INDEX events_by_namespace ON events (namespace, type, last_seen);
  CREATE INDEX events_by_kind ON events (kind COLLATE NOCASE, last_seen);
  CREATE INDEX events_by_reason ON events (reason COLLATE NOCASE, last_seen);
  CREATE INDEX events_by_last_seen ON events (last_seen, name);
  CREATE INDEX events_gone ON events (seen_at) WHERE gone_at IS NOT NULL;
  CREATE INDEX groups_by_key ON groups (key_hash);
  CREATE INDEX groups_by_window_end ON groups (window_end);
  `)
}

/** Each entry moves the schema from version i to i + 1 (`PRAGMA user_version`). */
export const MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

  -- One row per Event uid, updated on each change. Queried by chat's "events" command by
  -- namespace, kind, name, reason, level and time; kind= and reason= compare without case, so
  -- their indexes are NOCASE too (an index of another collation would never be used).
  CREATE TABLE events (
    uid TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    namespace TEXT NOT NULL,
    name TEXT NOT NULL,
    reason TEXT NOT NULL,
    message TEXT NOT NULL,
    type TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    component TEXT NOT NULL,
    host TEXT NOT NULL,
    event_namespace TEXT NOT NULL,
    event_name TEXT NOT NULL,
    resource_version TEXT NOT NULL
  ) STRICT;
  CREATE INDEX events_by_time ON events (type, last_seen);
  CREATE INDEX events_by_namespace ON events (namespace, type, last_seen);
  CREATE INDEX events_by_kind ON events (kind COLLATE NOCASE, last_seen);
  CREATE INDEX events_by_reason ON events (reason COLLATE NOCASE, last_seen);
  CREATE INDEX events_by_name ON events (name, last_seen);
  CREATE INDEX events_by_last_seen ON events (last_seen);

  -- The alert ledger: which event reached which robot at which count, or which mute held it.
  CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    uid TEXT NOT NULL,
    robot TEXT NOT NULL,
    count INTEGER NOT NULL,
    occurrences INTEGER NOT NULL,
    at INTEGER NOT NULL,
    muted_by TEXT
  ) STRICT;
  CREATE INDEX alerts_by_at ON alerts (at);

  -- Grouping windows: repeats of one object+reason per robot inside alerting.groupWindow.
  CREATE TABLE groups (
    robot TEXT NOT NULL,
    key TEXT NOT NULL,
    window_end INTEGER NOT NULL,
    pending INTEGER NOT NULL,
    sample TEXT NOT NULL,
    PRIMARY KEY (robot, key)
  ) STRICT;
  CREATE INDEX groups_by_window_end ON groups (window_end);

  -- Messages waiting for DingTalk. A row leaves only when DingTalk answered for it.
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    robot TEXT NOT NULL,
    kind TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    not_before INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    occurrences INTEGER NOT NULL,
    payload TEXT NOT NULL,
    last_error TEXT
  ) STRICT;
  CREATE INDEX outbox_by_robot ON outbox (robot, id);

  -- What was sent (or refused) per robot: the rolling rate budget and the status figures.
  CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    robot TEXT NOT NULL,
    at INTEGER NOT NULL,
    kind TEXT NOT NULL,
    occurrences INTEGER NOT NULL,
    errcode INTEGER NOT NULL,
    errmsg TEXT NOT NULL
  ) STRICT;
  CREATE INDEX deliveries_by_robot ON deliveries (robot, at);

  -- Mutes set from chat; they survive restarts.
  CREATE TABLE mutes (
    id TEXT PRIMARY KEY,
    namespace TEXT,
    kind TEXT,
    name TEXT,
    reason TEXT,
    created_by TEXT NOT NULL,
    created_by_name TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    ended_at INTEGER,
    ended_by TEXT,
    held_back INTEGER NOT NULL DEFAULT 0
  ) STRICT;
  CREATE INDEX mutes_active ON mutes (ended_at, ends_at);

  -- Every write command from chat: who, when, what, and how it ended.
  CREATE TABLE audit (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    sender_id TEXT NOT NULL,
    sender_name TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    command TEXT NOT NULL,
    outcome TEXT NOT NULL
  ) STRICT;

  -- Events waiting for the SLS archive sink (Alibaba Cloud Log Service).
  CREATE TABLE sls_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    log TEXT NOT NULL
  ) STRICT;
  `,
  // Retention by kubeding's own sight of an event, not the event's lastTimestamp: seen_at is
  // when a list or the watch last showed it, gone_at when the API server deleted it (or a
  // complete list no longer held it). Only rows that are gone are ever purged, so nothing the
  // API server still lists can be purged and alerted again. Existing rows count as seen at their
  // own last time (a future one at the migration's) and present; the next list marks the absent ones gone.
  `
  ALTER TABLE events ADD COLUMN seen_at INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE events ADD COLUMN gone_at INTEGER;
  UPDATE events SET seen_at = min(last_seen, CAST(unixepoch('now') AS INTEGER) * 1000);
  CREATE INDEX events_gone ON events (seen_at) WHERE gone_at IS NOT NULL;
  `,
  `
  -- Node conditions that are problems, as the node watch last saw them
  -- (pipeline/node-conditions.ts): whether each was told and to which robots, so that a restart
  -- neither tells them again nor forgets to tell when they end. One JSON state per row.
  CREATE TABLE node_conditions (
    node TEXT NOT NULL,
    condition TEXT NOT NULL,
    state TEXT NOT NULL,
    PRIMARY KEY (node, condition)
  ) STRICT;

  -- node-problem-detector Events that already told a robot about a node condition, for the
  -- moment the condition itself shows up: the group hears about the problem once.
  CREATE TABLE node_event_claims (
    robot TEXT NOT NULL,
    node TEXT NOT NULL,
    condition TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (robot, node, condition)
  ) STRICT;
  CREATE INDEX node_event_claims_by_at ON node_event_claims (at);
  `,
  // Lookups by hash (store/hash-key.ts): the event uid and the grouping key were indexed as
  // text, ~45 bytes an entry written at a random place, so each routed event of a storm dirtied a
  // page of each such index; past the 2 MiB page cache every one of those was a read and a write.
  // An integer entry packs three times as many to a page. The uid is no longer the table's key
  // (the archive keeps it unique: it always looks up before it inserts, inside the pipeline's
  // transaction). Chat's name= filter reads the time index, which now holds the name too:
  // an index by name was written at random for every event, for a filter always bounded by since=.
  hashLookups,
  // Each Event object's creation time (`metadata.creationTimestamp`, never changed), first in
  // the uid index: the hashes of a storm's new events went to random pages of that index, and
  // the pages a commit rewrites grew with the archive (measured: 4.5 us of system time more per
  // event at 400,000 events). In creation order, new entries go to the index's end. Older rows
  // have none (NULL): the archive finds those by uid alone and gives them theirs.
  `
  ALTER TABLE events ADD COLUMN created INTEGER;
  DROP INDEX events_by_uid;
  CREATE INDEX events_by_uid ON events (created, uid_hash);
  `,
  // App-robot callback signatures already used (http/signature-memory.ts): DingTalk's sign covers
  // only the timestamp, so a captured timestamp+sign pair verifies for up to two hours with any
  // body. Kept here, a restart does not forget them. Each row is hashes only (nothing in it
  // verifies), lives until expires_at (the pair's timestamp + the allowed skew) and is purged
  // after; the memory refuses new pairs past its cap, so the rows never exceed it.
  `
  CREATE TABLE used_signatures (
    pair TEXT PRIMARY KEY,
    msg_id TEXT NOT NULL,
    body TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX used_signatures_by_expiry ON used_signatures (expires_at);
  `,
  // One index for chat's events query instead of five: every event written touched each of them
  // (type, namespace, kind, reason, time), most of an event's cost to take in. The time index now
  // holds every column the query filters on, so any filter is read from the index alone, newest
  // first, and only the rows shown are read from the table. Measured on 1,000,000 events over
  // 7 days: a filter that matches nothing scans the index in ~0.1 s (it did as much for kind= and
  // name= before); namespace and level queries take under a millisecond; 100,000 routed Warnings
  // take ~30 % less CPU to archive.
  `
  DROP INDEX events_by_time;
  DROP INDEX events_by_namespace;
  DROP INDEX events_by_kind;
  DROP INDEX events_by_reason;
  DROP INDEX events_by_last_seen;
  CREATE INDEX events_by_last_seen ON events (last_seen, type, namespace, kind, reason, name);
  `,
  // The alert ledger (a row per routed event and robot: its count, and the mute that held it) is
  // gone. Nothing read it: what was sent is in `deliveries`, what a mute held back in `mutes`,
  // and each row was a fifth statement in every new alert's write.
  `
  DROP TABLE alerts;
  `,
  // An alert the pipeline queues names its event's archive row instead of carrying a copy of it
  // (notify/outbox.ts): the copy was a second JSON serialisation of every new alert's event and
  // about as many bytes again as its archive row. The archive spares rows an alert still names.
  `
  ALTER TABLE outbox ADD COLUMN event_row INTEGER;
  `,
]
