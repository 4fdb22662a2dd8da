import t, { type Test } from 'tap'
import { startHousekeeping } from '../../src/housekeeping.ts'
import { createOutbox } from '../../src/notify/outbox.ts'
import { createPipeline } from '../../src/pipeline/pipeline.ts'
import { type AuditEntry, createAuditLog } from '../../src/store/audit.ts'
import { createEventArchive } from '../../src/store/events.ts'
import { createMuteStore, type MuteRecord } from '../../src/store/mutes.ts'
import { openStore } from '../../src/store/open-store.ts'
import { aClusterEvent, CREATED } from '../helpers/cluster-events.ts'

const HOUR = 3_600_000
const NOW = Date.UTC(2026, 10, 24, 12, 0, 0)

function setup(t: Test, retentionMs: number) {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const archive = createEventArchive(store)
  const audit = createAuditLog(store)
  const outbox = createOutbox(store)
  const mutes = createMuteStore(store)
  const ended: MuteRecord[] = []
  const errors: unknown[] = []
  const pipeline = createPipeline({
    store,
    routes: [],
    groupWindowMs: 60_000,
    enqueue: () => {},
    now: () => NOW,
  })
  const start = () => {
    const h = startHousekeeping({
      store,
      archive,
      audit,
      outbox,
      pipeline,
      mutes,
      retentionMs,
      onMuteEnded: (m) => ended.push(m),
      now: () => NOW,
      logger: { info: () => {}, error: (obj) => errors.push(obj) },
      tickMs: 60_000,
    })
    t.teardown(() => h.stop())
  }
  return { store, archive, audit, mutes, ended, errors, start }
}

const rows = (s: ReturnType<typeof setup>, table: string) =>
  (s.store.db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n

t.test(
  'events deleted from the cluster and unseen past state.retention are purged; deliveries after a day',
  async (t) => {
    const s = setup(t, 24 * HOUR)
    // Still listed, however old its own time: never purged (it would be alerted again).
    s.archive.upsert(
      aClusterEvent({ uid: 'listed', lastSeen: NOW - 30 * 24 * HOUR }),
      NOW - 25 * HOUR,
    )
    s.archive.upsert(aClusterEvent({ uid: 'old-gone' }), NOW - 25 * HOUR)
    s.archive.markGone('old-gone', CREATED, NOW - 25 * HOUR)
    s.archive.upsert(aClusterEvent({ uid: 'new-gone' }), NOW - 23 * HOUR)
    s.archive.markGone('new-gone', CREATED, NOW - 23 * HOUR)
    s.store.db
      .prepare(
        "INSERT INTO deliveries (robot, at, kind, occurrences, errcode, errmsg) VALUES ('ops', ?, 'alert', 1, 0, 'ok')",
      )
      .run(NOW - 25 * HOUR)
    s.start()
    t.ok(s.archive.known('listed', CREATED), 'what the API server still lists stays')
    t.same(s.archive.known('old-gone', CREATED), undefined, 'deleted and unseen for the retention')
    t.ok(s.archive.known('new-gone', CREATED), 'deleted, but seen within the retention')
    t.equal(rows(s, 'deliveries'), 0, 'deliveries are kept a day')
  },
)

const command = (at: number, n = 0): AuditEntry => ({
  at,
  senderId: `u${n}`,
  senderName: 'someone',
  conversationId: 'cid',
  command: `mute ns=prod reason=${'x'.repeat(400)}`,
  outcome: 'refused: not_admin',
})

t.test('the chat audit is kept state.retention but at least a week', async (t) => {
  const s = setup(t, 24 * HOUR)
  s.audit.record(command(NOW - 8 * 24 * HOUR, 1))
  s.audit.record(command(NOW - 6 * 24 * HOUR, 2))
  s.start()
  t.same(
    s.audit.recent(10).map((e) => e.senderId),
    ['u2'],
    'six days old stays though the retention is a day; eight days old goes',
  )
})

t.test('a flood of refused commands leaves the audit its newest 20,000', async (t) => {
  const s = setup(t, 30 * 24 * HOUR)
  s.store.tx(() => {
    for (let i = 0; i < 20_500; i++) s.audit.record(command(NOW - HOUR, i))
  })
  s.start()
  t.equal(rows(s, 'audit'), 20_000)
  t.equal(s.audit.recent(1)[0]?.senderId, 'u20499', 'the newest are kept')
  t.same(s.errors, [])
})

t.test(
  'a retention shorter than two hours still keeps what kubeding saw in the last two hours',
  async (t) => {
    const s = setup(t, 60_000)
    s.archive.upsert(aClusterEvent({ uid: 'recent' }), NOW - 90 * 60_000)
    s.archive.markGone('recent', CREATED, NOW - 90 * 60_000)
    s.start()
    t.ok(s.archive.known('recent', CREATED))
  },
)

t.test('mutes that ran out are ended and announced', async (t) => {
  const s = setup(t, 24 * HOUR)
  const selector = { kind: 'Pod' }
  const base = {
    createdBy: 'a',
    createdByName: 'A',
    conversationId: 'c',
    createdAt: NOW - 2 * HOUR,
  }
  s.mutes.add({ ...base, selector, endsAt: NOW - 1 })
  s.mutes.add({ ...base, selector, endsAt: NOW + HOUR })
  s.start()
  t.same(
    s.ended.map((m) => m.id),
    ['m1'],
  )
  t.same(
    s.mutes.active(NOW).map((m) => m.id),
    ['m2'],
  )
})

t.test(
  'ended mutes are purged with the audit; the newest id is kept, so ids are never given twice',
  async (t) => {
    const s = setup(t, 24 * HOUR)
    const mute = (daysAgo: number, endedDaysAgo: number | undefined) => {
      const at = NOW - daysAgo * 24 * HOUR
      const m = s.mutes.add({
        selector: { kind: 'Pod' },
        createdBy: 'a',
        createdByName: 'A',
        conversationId: 'c',
        createdAt: at,
        endsAt: NOW + HOUR,
      })
      if (endedDaysAgo !== undefined) s.mutes.end(m.id, 'A', NOW - endedDaysAgo * 24 * HOUR)
    }
    mute(9, 8) // m1: ended 8 days ago, past the audit's week
    mute(8, undefined) // m2: still on
    mute(7, 6) // m3: ended 6 days ago
    mute(9, 8.5) // m4: ended long ago, but the newest id
    s.start()
    const ids = () =>
      s.store.db
        .prepare('SELECT id FROM mutes ORDER BY id')
        .all()
        .map((r) => String(r.id))
    t.same(ids(), ['m2', 'm3', 'm4'])
    t.same(s.errors, [])
    const next = createMuteStore(s.store).add({
      selector: { kind: 'Pod' },
      createdBy: 'a',
      createdByName: 'A',
      conversationId: 'c',
      createdAt: NOW,
      endsAt: NOW + HOUR,
    })
    t.equal(next.id, 'm5', 'a restart gives the next id, not one already seen')
  },
)

t.test('a failing tick is logged and does not stop the clockwork', async (t) => {
  const s = setup(t, 24 * HOUR)
  s.store.close()
  s.start()
  t.equal(s.errors.length, 1)
})
