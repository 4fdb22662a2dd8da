import t from 'tap'
import { createOutbox } from '../../../src/notify/outbox.ts'
import { toAlertEvent } from '../../../src/pipeline/pipeline.ts'
import { createEventArchive } from '../../../src/store/events.ts'
import { hashKey } from '../../../src/store/hash-key.ts'
import { openStore } from '../../../src/store/open-store.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'

function setup(t: { teardown(fn: () => void): void }) {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  return { store, archive: createEventArchive(store) }
}

t.test('one row per uid: found, changed in place, touched, marked gone', async (t) => {
  const { store, archive } = setup(t)
  const e = aClusterEvent({ count: 1 })
  t.equal(archive.known(e.uid, e.created), undefined)
  archive.insert(e, 100)
  const row = archive.known(e.uid, e.created)
  t.match(row, { count: 1, lastSeen: e.lastSeen })
  archive.update(row?.id ?? 0, { ...e, count: 4, lastSeen: e.lastSeen + 10, kind: 'Other' }, 200)
  archive.upsert({ ...e, count: 5 }, 300)
  const rows = store.db.prepare('SELECT kind, count, seen_at FROM events').all()
  t.same(rows, [{ kind: 'Pod', count: 5, seen_at: 300 }], 'what identifies it is never rewritten')
  archive.markGone(e.uid, e.created, 400)
  archive.touch(row?.id ?? 0, 500)
  t.same(store.db.prepare('SELECT seen_at, gone_at FROM events').get(), {
    seen_at: 500,
    gone_at: null,
  })
})

t.test('two uids that share a hash stay two events', async (t) => {
  const { store, archive } = setup(t)
  const real = aClusterEvent({ count: 2 })
  archive.insert(real, 100)
  // A row whose uid differs but whose stored hash is the real one's: what a collision looks like.
  store.db
    .prepare(
      `INSERT INTO events (uid, uid_hash, created, kind, namespace, name, reason, message, type,
        count, first_seen, last_seen, component, host, event_namespace, event_name, resource_version,
        seen_at)
       VALUES ('impostor', ?, ?, 'Pod', 'default', 'x', 'BackOff', '', 'Warning', 9, 0, 0, '', '',
        'default', 'x.1', '1', 0)`,
    )
    .run(hashKey(real.uid), real.created)
  t.match(
    archive.known(real.uid, real.created),
    { count: 2 },
    'the lookup compares the uid, not only the hash',
  )
  archive.upsert({ ...real, count: 3 }, 200)
  archive.markGone(real.uid, real.created, 300)
  t.same(store.db.prepare('SELECT uid, count, gone_at FROM events ORDER BY uid').all(), [
    { uid: 'impostor', count: 9, gone_at: null },
    { uid: real.uid, count: 3, gone_at: 300 },
  ])
  const other = aClusterEvent()
  archive.upsert(other, 400)
  t.equal(archive.known('impostor', real.created), undefined, 'a uid is found by its own hash only')
})

t.test(
  'a gone event that a waiting alert names is purged only once the alert left the outbox',
  async (t) => {
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    const archive = createEventArchive(store)
    const outbox = createOutbox(store)
    const named = aClusterEvent({ uid: 'named' })
    const row = archive.insert(named, 1_000)
    archive.insert(aClusterEvent({ uid: 'other' }), 1_000)
    for (const e of [named, aClusterEvent({ uid: 'other' })])
      archive.markGone(e.uid, e.created, 1_000)
    const at = { mobiles: [], userIds: [], all: false }
    const id = outbox.enqueue(
      'ops',
      { kind: 'alert', event: toAlertEvent(named), occurrences: 1, at, row },
      1_000,
    )
    t.equal(archive.purge(2_000), 1, 'the other one is purged')
    t.ok(archive.known('named', named.created), 'the named one stays while its alert waits')
    outbox.settle('ops', [id], {
      at: 3_000,
      kind: 'alert',
      occurrences: 1,
      errcode: 0,
      errmsg: 'ok',
    })
    t.equal(archive.purge(2_000), 1)
    t.notOk(archive.known('named', named.created), 'purged once the alert was sent')
  },
)
