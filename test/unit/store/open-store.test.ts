import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import t from 'tap'
import { createGrouper, toGroupKey } from '../../../src/pipeline/grouper.ts'
import { toAlertEvent } from '../../../src/pipeline/pipeline.ts'
import { createEventArchive } from '../../../src/store/events.ts'
import { createEventsQuery } from '../../../src/store/events-query.ts'
import { hashKey } from '../../../src/store/hash-key.ts'
import { openStore, STORE_FILE, type Store, StoreOpenError } from '../../../src/store/open-store.ts'
import { MIGRATIONS } from '../../../src/store/schema.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'

/**
 * A store file as the version before the first migration that mentions `marker` left it: the
 * migrations before it applied, `user_version` set. The caller fills it and closes `db`.
 */
function storeBefore(t: { teardown(fn: () => void): void }, marker: string) {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new DatabaseSync(join(dir, STORE_FILE))
  const index = MIGRATIONS.findIndex((m) => String(m).includes(marker))
  for (const m of MIGRATIONS.slice(0, index)) typeof m === 'string' ? db.exec(m) : m(db)
  db.exec(`PRAGMA user_version = ${index}`)
  return { dir, db, index }
}

t.test('creates the state dir and file, and reopens what it wrote', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'kubeding-store-')), 'nested', 'state')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const upgrades: number[][] = []
  const store = openStore(dir, (from, to) => upgrades.push([from, to]))
  t.same(upgrades, [], 'a new store has nothing to upgrade')
  store.setMeta('k', 'v')
  t.ok(store.sizeBytes() > 0)
  store.close()
  store.close()
  const again = openStore(dir)
  t.teardown(() => again.close())
  t.equal(again.getMeta('k'), 'v')
  t.equal(again.getMeta('missing'), undefined)
})

t.test('a transaction that throws leaves nothing; nested ones join the outer', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  t.throws(() =>
    store.tx(() => {
      store.setMeta('a', '1')
      store.tx(() => store.setMeta('b', '2'))
      throw new Error('boom')
    }),
  )
  t.equal(store.getMeta('a'), undefined)
  t.equal(store.getMeta('b'), undefined)
  t.equal(
    store.tx(() => store.tx(() => 42)),
    42,
  )
  t.ok(store.sizeBytes() > 0, 'an in-memory store has a size too')
})

t.test('a transaction that could not begin opened nothing: the next one is whole', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  store.db.exec('PRAGMA query_only = ON')
  t.throws(() => store.tx(() => store.setMeta('a', '1')), /readonly/)
  store.db.exec('PRAGMA query_only = OFF')
  t.throws(() =>
    store.tx(() => {
      store.setMeta('b', '2')
      throw new Error('boom')
    }),
  )
  t.equal(store.getMeta('b'), undefined, 'rolled back: it ran in a transaction of its own')
})

t.test(
  'a batch stays open across calls; tx and settle have its owner commit it first; a transaction inside it joins it',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeding-store-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const store = openStore(dir)
    t.teardown(() => store.close())
    // What another connection (the bench, an operator's sqlite3) sees: only what is committed.
    const reader = new DatabaseSync(join(dir, STORE_FILE), { readOnly: true })
    t.teardown(() => reader.close())
    const committed = (key: string) =>
      (
        reader.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
          | { value: string }
          | undefined
      )?.value
    let settled = 0
    const settle = () => {
      settled++
      store.commitBatch()
    }
    store.batch(() => store.setMeta('a', '1'), settle)
    store.batch(() => store.tx(() => store.setMeta('b', '2')), settle)
    t.equal(settled, 0, 'a transaction inside the batch joins it')
    t.equal(store.getMeta('b'), '2', 'this connection sees its own batch')
    t.equal(committed('a'), undefined, 'nothing is committed while the batch is open')
    store.tx(() => store.setMeta('c', '3'))
    t.equal(settled, 1, 'a transaction has the batch committed first')
    t.same([committed('a'), committed('b'), committed('c')], ['1', '2', '3'])

    store.batch(() => store.setMeta('d', '4'), settle)
    store.settle()
    t.equal(settled, 2)
    t.equal(committed('d'), '4')
    store.settle()
    store.commitBatch()
    t.equal(settled, 2, 'nothing open: settle and commitBatch do nothing')

    store.batch(() => store.setMeta('e', '5'), settle)
    store.abandonBatch()
    t.equal(store.getMeta('e'), undefined, 'abandoned: rolled back')
    store.tx(() => store.setMeta('f', '6'))
    t.equal(settled, 2, 'an abandoned batch has nothing to settle')
    t.equal(committed('f'), '6')
  },
)

t.test(
  'a batch that could not begin opened nothing; one whose commit fails is rolled back and throws',
  async (t) => {
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    store.db.exec('PRAGMA query_only = ON')
    t.throws(
      () =>
        store.batch(
          () => store.setMeta('a', '1'),
          () => t.fail('nothing to settle'),
        ),
      /readonly/,
    )
    store.db.exec('PRAGMA query_only = OFF')
    store.tx(() => store.setMeta('b', '2'))
    // A deferred constraint is checked by COMMIT.
    store.db.exec(`PRAGMA foreign_keys = ON;
    CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);`)
    store.batch(
      () => {
        store.setMeta('c', '3')
        store.db.exec('INSERT INTO child (p) VALUES (1)')
      },
      () => store.commitBatch(),
    )
    t.throws(() => store.commitBatch(), /FOREIGN KEY/)
    t.equal(store.db.isTransaction, false, 'rolled back')
    t.equal(store.getMeta('c'), undefined)
    t.equal(store.getMeta('b'), '2')
  },
)

t.test('a store written by a newer kubeding is refused with what to do', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new DatabaseSync(join(dir, STORE_FILE))
  db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`)
  db.close()
  t.throws(() => openStore(dir), /newer kubeding .*another state\.dir/)
})

t.test(
  'a store from before seen_at/gone_at: each event counts as seen at its own time and present',
  async (t) => {
    const { dir, db } = storeBefore(t, 'seen_at')
    const insert = db.prepare(
      `INSERT INTO events (uid, kind, namespace, name, reason, message, type, count, first_seen,
        last_seen, component, host, event_namespace, event_name, resource_version)
       VALUES (?, 'Pod', 'default', 'web', 'BackOff', '', 'Warning', 1, ?, ?, '', '', 'default', 'web.1', '1')`,
    )
    insert.run('old', 1_000, 1_000)
    // A time in year 9999 that an older version let in must not keep the row forever.
    insert.run('future', 253_402_300_799_000, 253_402_300_799_000)
    db.close()
    const store = openStore(dir)
    t.teardown(() => store.close())
    const rows = store.db
      .prepare('SELECT uid, seen_at, gone_at FROM events ORDER BY uid')
      .all() as { uid: string; seen_at: number; gone_at: number | null }[]
    t.match(rows[1], { uid: 'old', seen_at: 1_000, gone_at: null })
    t.ok((rows[0]?.seen_at ?? Infinity) <= Date.now(), 'a future time counts as the migration time')
    t.equal(rows[0]?.gone_at, null)
  },
)

t.test('a damaged file is refused naming the file, state.dir and what to do', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, STORE_FILE), 'x'.repeat(8192))
  const err = t.throws(() => openStore(dir)) as StoreOpenError
  t.ok(err instanceof StoreOpenError)
  t.equal(err.healable, false, 'waiting would not heal it')
  t.match(err.message, join(dir, STORE_FILE))
  t.match(err.message, /damaged.*state\.dir/)
})

/** One PRAGMA's value on an open store. */
const pragmaOf = (store: Store, name: string) =>
  Object.values(store.db.prepare(`PRAGMA ${name}`).get() as Record<string, number | string>)[0]

t.test('the page cache is bounded and the file is not memory-mapped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const store = openStore(dir)
  t.teardown(() => store.close())
  t.equal(pragmaOf(store, 'cache_size'), -2048, '2 MiB of pages, whatever the archive holds')
  t.equal(pragmaOf(store, 'mmap_size'), 0, 'read, not mapped into the resident set')
  t.equal(pragmaOf(store, 'journal_mode'), 'wal')
  t.equal(pragmaOf(store, 'page_size'), 16_384, 'a new store is made of 16 KiB pages')
  t.equal(pragmaOf(store, 'wal_autocheckpoint'), 2_500, 'checkpointed at about 40 MB of WAL')
})

t.test('a store made with 4 KiB pages keeps them, checkpointed at the same WAL size', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const old = new DatabaseSync(join(dir, STORE_FILE))
  old.exec('PRAGMA page_size = 4096; PRAGMA journal_mode = WAL; CREATE TABLE kept (x INTEGER)')
  old.exec('INSERT INTO kept VALUES (7)')
  old.close()
  const store = openStore(dir)
  t.teardown(() => store.close())
  t.equal(pragmaOf(store, 'page_size'), 4_096)
  t.equal(pragmaOf(store, 'wal_autocheckpoint'), 10_000)
  t.same(store.db.prepare('SELECT x FROM kept').all(), [{ x: 7 }], 'its rows are all there')
})

t.test(
  'a store from before lookups by hash: events and open windows are kept and found',
  async (t) => {
    const { dir, db, index } = storeBefore(t, 'uid_hash')
    db.prepare(
      `INSERT INTO events (uid, kind, namespace, name, reason, message, type, count, first_seen,
        last_seen, component, host, event_namespace, event_name, resource_version, seen_at, gone_at)
       VALUES (?, 'Pod', 'default', 'web', 'BackOff', 'm', 'Warning', ?, 1000, 2000, 'kubelet', 'n1',
        'default', 'web.1', '7', 3000, ?)`,
    ).run('u-1', 4, null)
    // More rows than one chunk of the hashing holds, so that every chunk is seen to.
    const more = db.prepare(
      `INSERT INTO events (uid, kind, namespace, name, reason, message, type, count, first_seen,
        last_seen, component, host, event_namespace, event_name, resource_version, seen_at)
       VALUES (?, 'Pod', 'default', ?, 'BackOff', '', 'Warning', 1, 0, 0, '', '', 'default', '', '', 0)`,
    )
    db.exec('BEGIN')
    for (let i = 0; i < 12_000; i++) more.run(`bulk-${i}`, `bulk-${i}`)
    db.exec('COMMIT')
    db.prepare(
      `INSERT INTO groups (robot, key, window_end, pending, sample) VALUES ('ops', ?, 90000, 2, '{}')`,
    ).run(toGroupKey({ kind: 'Pod', namespace: 'default', name: 'web', reason: 'BackOff' }))
    db.close()
    const upgrades: number[][] = []
    const store = openStore(dir, (from, to) => upgrades.push([from, to]))
    t.teardown(() => store.close())
    t.same(upgrades, [[index, MIGRATIONS.length]], 'the upgrade is announced before it runs')
    const archive = createEventArchive(store)
    t.match(archive.known('u-1', 1000), { count: 4, lastSeen: 2000 })
    t.match(store.db.prepare('SELECT uid, name, seen_at, gone_at FROM events LIMIT 1').all(), [
      { uid: 'u-1', name: 'web', seen_at: 3000, gone_at: null },
    ])
    const hashes = store.db.prepare('SELECT uid, uid_hash FROM events').all() as {
      uid: string
      uid_hash: number
    }[]
    t.equal(hashes.length, 12_001)
    t.equal(hashes.filter((r) => r.uid_hash !== hashKey(r.uid)).length, 0, 'every row has its hash')
    const sent: string[] = []
    const grouper = createGrouper(store, 60_000, (_robot, m) => sent.push(m.kind))
    const event = toAlertEvent(
      aClusterEvent({ kind: 'Pod', namespace: 'default', name: 'web', reason: 'BackOff' }),
    )
    grouper.offer('ops', event, 1, { mobiles: [], userIds: [], all: false }, 10_000)
    t.same(sent, [], 'a repeat inside the migrated window folds into it')
    t.same(store.db.prepare('SELECT pending FROM groups').all(), [{ pending: 3 }])
  },
)

t.test(
  'a store from before creation times: its events are found by uid and given theirs, once',
  async (t) => {
    const { dir, db, index } = storeBefore(t, 'events_by_uid ON events (created')
    const insert = db.prepare(
      `INSERT INTO events (uid, uid_hash, kind, namespace, name, reason, message, type, count,
        first_seen, last_seen, component, host, event_namespace, event_name, resource_version,
        seen_at)
       VALUES (?, ?, 'Pod', 'default', ?, 'BackOff', 'm', 'Warning', 3, 1000, 2000, 'kubelet',
        'n1', 'default', ?, '7', 3000)`,
    )
    for (const uid of ['listed-again', 'deleted', 'never-again'])
      insert.run(uid, hashKey(uid), uid, `${uid}.1`)
    db.close()
    const upgrades: number[][] = []
    const store = openStore(dir, (from, to) => upgrades.push([from, to]))
    t.teardown(() => store.close())
    t.same(upgrades, [[index, MIGRATIONS.length]])
    const created = () =>
      Object.fromEntries(
        (
          store.db.prepare('SELECT uid, created FROM events ORDER BY uid').all() as {
            uid: string
            created: number | null
          }[]
        ).map((r) => [r.uid, r.created]),
      )
    t.same(created(), { deleted: null, 'listed-again': null, 'never-again': null })
    const archive = createEventArchive(store)
    t.match(archive.known('listed-again', 900), { count: 3, lastSeen: 2000 }, 'found by uid')
    archive.markGone('deleted', 800, 4000)
    t.same(created(), { deleted: 800, 'listed-again': 900, 'never-again': null })
    t.match(archive.known('listed-again', 900), { count: 3 }, 'and then by its creation time')
    t.equal(
      (
        store.db.prepare("SELECT gone_at FROM events WHERE uid = 'deleted'").get() as {
          gone_at: number
        }
      ).gone_at,
      4000,
    )
    archive.upsert(aClusterEvent({ uid: 'new', created: 5000 }), 5000)
    t.ok(archive.known('new', 5000))
    t.equal(archive.known('new', 4999), undefined, 'a new row is found by its own creation time')
  },
)

t.test(
  'a store with one index per filter keeps its events and gets the one time index',
  async (t) => {
    const { dir, db, index } = storeBefore(t, 'events_by_last_seen ON events (last_seen, type')
    // The row that version wrote (its archive module knew no later column).
    db.prepare(
      `INSERT INTO events (uid, uid_hash, created, kind, namespace, name, reason, message, type,
         count, first_seen, last_seen, component, host, event_namespace, event_name,
         resource_version, seen_at)
       VALUES ('kept', ?, 1000, 'Pod', 'default', 'web', 'BackOff', 'Back-off', 'Warning', 1,
         5000, 5000, 'kubelet', 'node-1', 'default', 'web.1', '1', 6000)`,
    ).run(hashKey('kept'))
    const before = db
      .prepare(
        "SELECT count(*) AS n FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events'",
      )
      .get()
    db.close()
    const store = openStore(dir)
    t.teardown(() => store.close())
    const indexes = store.db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events'")
      .all()
      .map((r) => String(r.name))
      .sort()
    t.same(indexes, ['events_by_last_seen', 'events_by_uid', 'events_gone'])
    t.equal(before?.n, 7, `schema ${index} wrote to seven indexes per event`)
    t.match(
      createEventsQuery(store).find({ kind: 'pod', reason: 'backoff', since: 0, limit: 5 }),
      [{ name: 'web', lastSeen: 5_000 }],
      'its events are found by the filters as before',
    )
  },
)
