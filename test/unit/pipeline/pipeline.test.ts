import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { type ClusterEvent, isRejection, toClusterEvent } from '../../../src/kube/cluster-event.ts'
import type { OutboxMessage } from '../../../src/notify/outbox-message.ts'
import { createPipeline, type Pipeline, type PipelineDeps } from '../../../src/pipeline/pipeline.ts'
import { createEventArchive } from '../../../src/store/events.ts'
import { createMuteStore } from '../../../src/store/mutes.ts'
import { openStore, type Store } from '../../../src/store/open-store.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'
import { buildEvent } from '../../helpers/event-builders.ts'
import { aRoute } from '../../helpers/routes.ts'

interface Sent {
  robot: string
  message: OutboxMessage
}

function setup(t: Test, over: Partial<PipelineDeps> & { store?: Store } = {}) {
  const store = over.store ?? openStore(':memory:')
  if (!over.store) t.teardown(() => store.close())
  const clock = { t: Date.UTC(2026, 10, 24, 3, 0, 0) }
  const sent: Sent[] = []
  let kicks = 0
  const pipeline = createPipeline({
    store,
    routes: [aRoute('ops')],
    groupWindowMs: 60_000,
    enqueue: (robot, message) => sent.push({ robot, message }),
    onQueued: () => kicks++,
    now: () => clock.t,
    ...over,
  })
  return { store, clock, sent, pipeline, kicks: () => kicks }
}

/** A list that fits in one page. */
const whole = (scope?: string) => ({ scope, first: true, last: true })

/** The first complete list of the cluster (empty), as the event source gives it: from then on, new events alert. */
const bootstrap = (pipeline: Pipeline) => pipeline.ingestListPage([], whole())

/** Why the pipeline has the watches list again after a lost batch. */
const LOST = 'the events taken in since the last commit were lost with it'

const occurrences = (sent: Sent[]) =>
  sent.reduce((n, s) => n + ('occurrences' in s.message ? s.message.occurrences : 0), 0)

t.test('the first list ever is archived, not alerted; later events alert', async (t) => {
  const { pipeline, sent, store } = setup(t)
  t.ok(pipeline.isBootstrapping())
  pipeline.ingestListPage([aClusterEvent(), aClusterEvent()], whole())
  t.equal(sent.length, 0)
  t.equal((store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 2)
  pipeline.ingest(aClusterEvent())
  pipeline.flush()
  t.equal(sent.length, 1)
  t.equal(sent[0]?.message.kind, 'alert')
})

t.test(
  'an event dated "in the future" shown again later: one row, alerted once, until it changes',
  async (t) => {
    const { pipeline, sent, store, clock } = setup(t)
    bootstrap(pipeline)
    // Times past the clock's slack read as now: neither what identifies the row nor whether the
    // event changed may follow the clock.
    const raw = buildEvent({ firstTimestamp: new Date(clock.t + 365 * 86_400_000).toISOString() })
    raw.metadata.resourceVersion = '42'
    const convert = () => {
      const e = toClusterEvent(raw, clock.t)
      if (isRejection(e)) throw new Error(e.reason)
      return e as ClusterEvent
    }
    pipeline.ingest(convert())
    pipeline.flush()
    clock.t += 3_600_000
    pipeline.ingestListPage([convert()], whole())
    pipeline.ingest(convert())
    pipeline.flush()
    t.equal(sent.length, 1, 'the same object version, listed and watched again: not alerted')
    t.equal((store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 1)
    raw.metadata.resourceVersion = '43'
    raw.count = 2
    clock.t += 120_000
    pipeline.ingest(convert())
    pipeline.flush()
    t.equal(sent.length, 2, 'it happened again: alerted')
  },
)

t.test(
  'a known event seen again unchanged is not alerted; a grown one alerts its growth',
  async (t) => {
    const { pipeline, sent } = setup(t)
    const e = aClusterEvent({ count: 3 })
    pipeline.ingestListPage([e], whole())
    pipeline.ingestListPage([e], whole())
    t.equal(sent.length, 0, 'relist of a known event')
    pipeline.ingestListPage([{ ...e, count: 5, lastSeen: e.lastSeen + 1000 }], whole())
    t.equal(sent.length, 1)
    t.equal(occurrences(sent), 2, 'two new occurrences, not five')
  },
)

t.test('repeats inside the window fold into one follow-up', async (t) => {
  const { pipeline, sent, clock, kicks } = setup(t)
  bootstrap(pipeline)
  const e = aClusterEvent()
  pipeline.ingest(e)
  pipeline.flush()
  for (let c = 2; c <= 30; c++) {
    clock.t += 1000
    pipeline.ingest({ ...e, count: c, lastSeen: clock.t })
    pipeline.flush()
  }
  t.equal(sent.length, 1, 'one alert for 30 occurrences so far')
  pipeline.tick()
  t.equal(sent.length, 1, 'window still open')
  clock.t += 31_000
  pipeline.tick()
  t.equal(sent.length, 2)
  t.equal(sent[1]?.message.kind, 'repeat')
  t.equal(occurrences(sent), 30, 'every occurrence accounted')
  clock.t += 61_000
  pipeline.tick()
  t.equal(sent.length, 2, 'a quiet window ends without a message')
  t.equal(pipeline.nextDue(), undefined)
  t.ok(kicks() >= 2)
})

t.test('different objects or reasons are different groups', async (t) => {
  const { pipeline, sent } = setup(t)
  bootstrap(pipeline)
  pipeline.ingest(aClusterEvent({ name: 'a', reason: 'BackOff' }))
  pipeline.ingest(aClusterEvent({ name: 'a', reason: 'Unhealthy' }))
  pipeline.ingest(aClusterEvent({ name: 'b', reason: 'BackOff' }))
  pipeline.flush()
  t.equal(sent.length, 3)
})

t.test('routes: per robot, filters apply and mentions merge', async (t) => {
  const { pipeline, sent } = setup(t, {
    routes: [
      aRoute('ops', { at: { mobiles: ['138'], userIds: [], all: false } }),
      aRoute('ops', { kinds: ['Node'], at: { mobiles: ['139'], userIds: [], all: false } }),
      aRoute('nodes', { kinds: ['Node'] }),
      aRoute('all', { level: 'Normal' }),
    ],
  })
  bootstrap(pipeline)
  pipeline.ingest(aClusterEvent({ kind: 'Node', namespace: '', name: 'n1' }))
  pipeline.ingest(aClusterEvent({ type: 'Normal', reason: 'Pulled' }))
  pipeline.flush()
  const byRobot = sent.map((s) => s.robot).sort()
  t.same(byRobot, ['all', 'all', 'nodes', 'ops'])
  const ops = sent.find((s) => s.robot === 'ops')?.message
  t.same(ops?.kind === 'alert' && ops.at.mobiles, ['138', '139'])
})

t.test('a muted event is archived and counted, not queued', async (t) => {
  const held: Record<string, number> = {}
  const { pipeline, sent } = setup(t, {
    mutes: {
      match: (e) => (e.kind === 'Pod' ? { id: 'm1' } : undefined),
      recordHeldBack: (id, n) => {
        held[id] = (held[id] ?? 0) + n
      },
    },
  })
  bootstrap(pipeline)
  const pod = aClusterEvent({ count: 4 })
  pipeline.ingest(pod)
  pipeline.ingest(aClusterEvent({ kind: 'Node', namespace: '', name: 'n1' }))
  pipeline.flush()
  t.equal(sent.length, 1)
  t.equal(sent[0]?.message.kind === 'alert' && sent[0].message.event.kind, 'Node')
  t.same(held, { m1: 4 })
  t.equal(pipeline.stats().muted, 4)
})

t.test('archive sinks get every new or changed event once', async (t) => {
  const copies: ClusterEvent[] = []
  const { pipeline } = setup(t, { sinks: [{ enqueue: (es) => copies.push(...es) }] })
  const e = aClusterEvent()
  pipeline.ingestListPage([e, aClusterEvent({ type: 'Normal' })], whole())
  pipeline.ingestListPage([e], whole())
  t.equal(copies.length, 2)
})

t.test(
  'a failed transaction takes nothing in, so the next list finds the event again',
  async (t) => {
    let fail = true
    const { pipeline, sent } = setup(t, {
      sinks: [
        {
          enqueue: () => {
            if (fail) throw new Error('disk full')
          },
        },
      ],
    })
    bootstrap(pipeline)
    const e = aClusterEvent()
    t.throws(() => pipeline.ingestListPage([e], whole()), /disk full/)
    fail = false
    sent.length = 0
    pipeline.ingestListPage([e], whole())
    t.equal(sent.length, 1, 'alerted once, after the failure')
  },
)

t.test(
  'a restart with the same store remembers the bootstrap, the archive and the windows',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeding-pipeline-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const first = openStore(dir)
    const a = setup(t, { store: first })
    const e = aClusterEvent()
    a.pipeline.ingestListPage([e], whole())
    a.pipeline.ingest({ ...e, count: 2, lastSeen: e.lastSeen + 1 })
    a.pipeline.ingest({ ...e, count: 3, lastSeen: e.lastSeen + 2 })
    a.pipeline.flush()
    t.equal(a.sent.length, 1)
    first.close()

    const second = openStore(dir)
    t.teardown(() => second.close())
    const b = setup(t, { store: second })
    b.clock.t = a.clock.t + 120_000
    t.notOk(b.pipeline.isBootstrapping())
    const downtime = aClusterEvent()
    b.pipeline.ingestListPage([{ ...e, count: 3, lastSeen: e.lastSeen + 2 }, downtime], whole())
    t.equal(b.sent.length, 1, 'only the event that appeared while down')
    b.pipeline.tick()
    t.equal(b.sent.length, 2, 'the pending follow-up of the old window is still sent')
    t.equal(b.sent[1]?.message.kind, 'repeat')
    t.equal(occurrences([...a.sent, ...b.sent]), 3, 'count 1→3 while up, plus the downtime event')
  },
)

t.test(
  "the bootstrap is per namespace: one that never lists keeps no other archive-only, each one's first list is history, and a restart remembers which are in",
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeding-pipeline-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const first = openStore(dir)
    const watchedNamespaces = ['a', 'b', 'c']
    const one = setup(t, { store: first, watchedNamespaces })
    const [history, gap, down] = ['a-history', 'a-gap', 'a-down'].map((name) =>
      aClusterEvent({ name, namespace: 'a' }),
    ) as [ClusterEvent, ClusterEvent, ClusterEvent]
    one.pipeline.ingestListPage([history], whole('a'))
    t.equal(one.sent.length, 0, "a's first list is history")
    t.notOk(one.pipeline.isBootstrapping('a'))
    t.ok(one.pipeline.isBootstrapping(), 'b and c are not in')
    // A relist of a (after a 410) while b is still forbidden: what is new in it alerts.
    one.pipeline.ingestListPage([history, gap], whole('a'))
    t.same(
      one.sent.map((s) => 'event' in s.message && s.message.event.name),
      ['a-gap'],
      'the relist alerts only the new event',
    )
    one.pipeline.ingestListPage([aClusterEvent({ name: 'b-history', namespace: 'b' })], whole('b'))
    t.equal(one.sent.length, 1, "b's first list is history, though a is in")
    first.close()

    const second = openStore(dir)
    t.teardown(() => second.close())
    const two = setup(t, { store: second, watchedNamespaces })
    t.notOk(two.pipeline.isBootstrapping('a'), 'a is in after a restart')
    t.notOk(two.pipeline.isBootstrapping('b'), 'b is in after a restart')
    t.ok(two.pipeline.isBootstrapping('c'), 'c never listed')
    two.pipeline.ingestListPage([history, gap, down], whole('a'))
    two.pipeline.ingestListPage([aClusterEvent({ name: 'c-history', namespace: 'c' })], whole('c'))
    t.same(
      two.sent.map((s) => 'event' in s.message && s.message.event.name),
      ['a-down'],
      "what happened in a while down alerts; c's first list does not",
    )
    t.notOk(two.pipeline.isBootstrapping())
  },
)

t.test(
  'a cluster-wide bootstrap (bootstrapped_at, also what stores from before per-namespace marks hold) counts for every namespace',
  async (t) => {
    const { pipeline, store, sent } = setup(t, { watchedNamespaces: ['a'] })
    t.ok(pipeline.isBootstrapping())
    store.setMeta('bootstrapped_at', '1')
    const again = setup(t, { store, watchedNamespaces: ['a'] })
    t.notOk(again.pipeline.isBootstrapping())
    again.pipeline.ingestListPage([aClusterEvent({ namespace: 'a' })], whole('a'))
    t.equal(again.sent.length, 1, 'a list of a namespace alerts what is new')
    t.equal(sent.length, 0)
  },
)

t.test(
  'a list marks what its scope no longer holds gone; DELETED marks one; a namespace list leaves other namespaces gone',
  async (t) => {
    const { pipeline, store, clock } = setup(t, { watchedNamespaces: ['a', 'b'] })
    const gone = () =>
      (
        store.db
          .prepare('SELECT name FROM events WHERE gone_at IS NOT NULL ORDER BY name')
          .all() as { name: string }[]
      ).map((r) => r.name)
    const inA = aClusterEvent({ name: 'a1', namespace: 'a' })
    const inA2 = aClusterEvent({ name: 'a2', namespace: 'a' })
    const inB = aClusterEvent({ name: 'b1', namespace: 'b' })
    const elsewhere = aClusterEvent({ name: 'x1', namespace: 'x' })
    // Archived long ago (seen at 0) as they were then.
    const archive = createEventArchive(store)
    store.tx(() => {
      for (const e of [inA, inA2, inB, elsewhere])
        archive.upsert({ ...e, count: 1, firstSeen: 0, lastSeen: 0 }, 0)
    })
    clock.t += 1_000
    pipeline.ingestListPage([inA], whole('a'))
    t.same(gone(), ['a2', 'x1'], "a2 left namespace a; x is no longer watched; b's list is b's")
    pipeline.ingestListPage([inB, inA2], whole('b'))
    t.same(gone(), ['x1'], 'listed again: present (even from another scope)')
    pipeline.remove(inB.uid, inB.created)
    pipeline.flush()
    t.same(gone(), ['b1', 'x1'], 'DELETED from the watch')
    const seen = store.db.prepare('SELECT seen_at FROM events WHERE uid = ?').get(inA.uid) as {
      seen_at: number
    }
    t.equal(seen.seen_at, clock.t, 'an unchanged listed event is seen again')
  },
)

t.test(
  'a write the store refuses for one event skips it alone, in a batch of any size',
  async (t) => {
    const noted: string[] = []
    const { pipeline, store } = setup(t, {
      invalid: {
        note: (_label, _detail, who) => noted.push(String(who?.name)),
        counts: () => new Map(),
      },
    })
    bootstrap(pipeline)
    store.db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events
    WHEN NEW.reason = 'Poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END`)
    const events = Array.from({ length: 50 }, (_, i) =>
      aClusterEvent({ reason: i % 10 === 3 ? 'Poison' : 'BackOff' }),
    )
    for (const e of events) pipeline.ingest(e)
    pipeline.flush()
    t.equal(noted.length, 5, 'each refused event noted')
    t.equal(pipeline.stats().eventsTaken.Warning, 45, 'the figures count only what committed')
    t.equal((store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 45)
    t.equal(pipeline.stats().messagesQueued, 45, 'one alert each (rolled-back ones not counted)')
  },
)

t.test(
  'a store that cannot be written: the batch it was writing is lost whole and the watches list again; the watch is refused meanwhile; the list takes it all in',
  async (t) => {
    const failures: string[] = []
    const relists: string[] = []
    let recoveries = 0
    const { pipeline, store, sent } = setup(t, {
      health: { failed: (_err, doing) => failures.push(doing), succeeded: () => recoveries++ },
      relist: (reason) => relists.push(reason.message),
    })
    const archived = () =>
      (store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n
    // SQLite's own switch: every write fails (SQLITE_READONLY), as on a store that cannot be written.
    const refuseWrites = () => store.db.exec('PRAGMA query_only = ON')
    const allowWrites = () => store.db.exec('PRAGMA query_only = OFF')
    refuseWrites()
    t.throws(() => bootstrap(pipeline), /readonly/)
    t.ok(pipeline.isBootstrapping(), 'not recorded: tried again with the next list')
    t.same(failures, ['taking in a list of events'])
    t.throws(() => pipeline.ingest(aClusterEvent()), { name: 'StoreUnavailableError' })
    t.throws(() => pipeline.remove('uid-x', 0), { name: 'StoreUnavailableError' })
    t.throws(() => pipeline.ingestListPage([aClusterEvent()], whole()), /readonly/)
    t.ok(pipeline.isBootstrapping(), 'a list the store refused bootstraps nothing')
    t.equal(pipeline.stats().eventsTaken.Warning, 0)
    t.same(relists, [], 'a list that failed is listed again by the watch itself')

    allowWrites()
    pipeline.ingestListPage([], whole())
    t.notOk(pipeline.isBootstrapping())
    const burst = [aClusterEvent(), aClusterEvent(), aClusterEvent()]
    pipeline.ingest(burst[0] as ClusterEvent)
    pipeline.ingest(burst[1] as ClusterEvent)
    t.equal(pipeline.stats().eventsTaken.Warning, 2, 'written as they come')
    refuseWrites()
    t.throws(() => pipeline.ingest(burst[2] as ClusterEvent), { name: 'StoreUnavailableError' })
    t.same(relists, [LOST], 'the watches are told to list again')
    t.equal(failures.at(-1), 'taking in events from the watch')
    t.equal(pipeline.stats().eventsTaken.Warning, 0, 'the figures go back with the batch')
    t.equal(pipeline.stats().messagesQueued, 0)
    allowWrites()
    t.equal(archived(), 0, 'the batch was rolled back whole')
    t.throws(() => pipeline.ingest(aClusterEvent()), { name: 'StoreUnavailableError' })
    pipeline.tick()
    t.equal(archived(), 0, 'nothing is written until a list')

    // The list the watch takes again shows what the lost batch held.
    pipeline.ingestListPage(burst, whole())
    t.equal(archived(), 3)
    t.equal(pipeline.stats().eventsTaken.Warning, 3)
    // This test's enqueue is an array, not the outbox the lost batch's two took with it.
    t.equal(sent.length, 5, 'the lost two were queued in the batch, then all three by the list')
    t.ok(recoveries > 0)
    pipeline.ingest(aClusterEvent())
    pipeline.flush()
    t.equal(pipeline.stats().eventsTaken.Warning, 4, 'the watch is taken again')
    t.same(relists, [LOST])
  },
)

t.test(
  'a write elsewhere while events are being taken in (a mute from the chat) has the batch committed first, and is not lost with the next one',
  async (t) => {
    const relists: Error[] = []
    const { pipeline, store, clock } = setup(t, { relist: (reason) => relists.push(reason) })
    bootstrap(pipeline)
    const committed = () => pipeline.stats().eventsTaken.Warning
    pipeline.ingest(aClusterEvent())
    const mutes = createMuteStore(store)
    const mute = mutes.add({
      selector: { namespace: 'prod' },
      createdBy: 'u1',
      createdByName: 'u1',
      conversationId: 'c1',
      createdAt: clock.t,
      endsAt: clock.t + 3_600_000,
    })
    t.equal(store.db.isTransaction, false, 'the batch was committed before the mute')
    pipeline.ingest(aClusterEvent())
    store.db.exec('PRAGMA query_only = ON')
    t.throws(() => pipeline.ingest(aClusterEvent()), { name: 'StoreUnavailableError' })
    store.db.exec('PRAGMA query_only = OFF')
    t.equal(relists.length, 1)
    t.ok(mutes.get(mute.id), 'the mute stays')
    t.equal(committed(), 1, 'the event before the mute stays; the one after went with its batch')
    t.equal((store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 1)
  },
)

t.test('a batch whose commit fails is lost whole, and the watches list again', async (t) => {
  const relists: Error[] = []
  const failures: string[] = []
  const { pipeline, store } = setup(t, {
    relist: (reason) => relists.push(reason),
    health: { failed: (err) => failures.push(String(err)), succeeded: () => {} },
  })
  bootstrap(pipeline)
  // A deferred constraint is checked by COMMIT: the one way to fail a commit, not a write.
  store.db.exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
    CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);
    PRAGMA foreign_keys = ON;
    CREATE TRIGGER orphan AFTER INSERT ON events WHEN NEW.reason = 'Orphan'
    BEGIN INSERT INTO child (p) VALUES (42); END`)
  pipeline.ingest(aClusterEvent())
  pipeline.ingest(aClusterEvent({ reason: 'Orphan' }))
  t.equal(pipeline.stats().eventsTaken.Warning, 2)
  pipeline.flush()
  t.equal(pipeline.stats().eventsTaken.Warning, 0, 'the figures go back')
  t.equal((store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n, 0)
  t.same(
    relists.map((r) => r.message),
    [LOST],
  )
  t.match(failures, [/FOREIGN KEY/], 'the failure itself goes to the store health')
  t.throws(() => pipeline.ingest(aClusterEvent()), { name: 'StoreUnavailableError' })
})

/** Rows of the archive: name → [seen_at, gone_at]. */
const rows = (store: Store) =>
  new Map(
    (
      store.db.prepare('SELECT name, seen_at, gone_at FROM events').all() as {
        name: string
        seen_at: number
        gone_at: number | null
      }[]
    ).map((r) => [r.name, [r.seen_at, r.gone_at]]),
  )

t.test(
  'a list in pages: each page is archived as it comes, all seen at the first page’s time; what no page showed is gone only after the last',
  async (t) => {
    const { pipeline, store, clock } = setup(t)
    const old = aClusterEvent({ name: 'old' })
    pipeline.ingestListPage([old], whole())
    clock.t += 1_000
    const listedAt = clock.t
    const [p1, p2, p3] = [['a1', 'a2'], ['b1', 'b2'], ['c1']].map((names) =>
      names.map((name) => aClusterEvent({ name })),
    ) as [ClusterEvent[], ClusterEvent[], ClusterEvent[]]
    pipeline.ingestListPage(p1, { scope: undefined, first: true, last: false })
    t.same([...rows(store).keys()].sort(), ['a1', 'a2', 'old'], 'the first page is in at once')
    t.equal(rows(store).get('old')?.[1], null, 'not gone before the last page')
    clock.t += 5_000
    pipeline.ingestListPage(p2, { scope: undefined, first: false, last: false })
    t.equal(rows(store).get('old')?.[1], null, 'still not gone')
    clock.t += 5_000
    pipeline.ingestListPage(p3, { scope: undefined, first: false, last: true })
    const after = rows(store)
    t.same(
      after.get('old'),
      [listedAt - 1_000, listedAt],
      'gone once the last page is in (at the list’s time)',
    )
    for (const name of ['a1', 'a2', 'b1', 'b2', 'c1'])
      t.same(after.get(name), [listedAt, null], `${name}: seen at the list's time, present`)
  },
)

t.test(
  'a list abandoned midway marks nothing gone; the next complete list does, and alerts nothing twice',
  async (t) => {
    const { pipeline, store, clock, sent } = setup(t)
    const old = aClusterEvent({ name: 'old' })
    pipeline.ingestListPage([old], whole())
    const early = aClusterEvent({ name: 'early' })
    const late = aClusterEvent({ name: 'late' })
    clock.t += 1_000
    pipeline.ingestListPage([early], { scope: undefined, first: true, last: false })
    t.equal(sent.length, 1, 'a new event on an early page alerts: it is real')
    // The list failed here (a 410 on its continue token): the next one starts again.
    clock.t += 1_000
    pipeline.ingestListPage([early], { scope: undefined, first: true, last: false })
    t.equal(rows(store).get('old')?.[1], null, 'the abandoned list marked nothing gone')
    pipeline.ingestListPage([late], { scope: undefined, first: false, last: true })
    t.equal(rows(store).get('old')?.[1], clock.t, 'the complete list marks what it lacks')
    t.equal(rows(store).get('early')?.[1], null, 'what the complete list showed stays')
    t.equal(occurrences(sent), 2, 'early and late once each')
  },
)

t.test('pages of lists of two scopes in between each other keep their own list time', async (t) => {
  const { pipeline, store, clock } = setup(t, { watchedNamespaces: ['a', 'b'] })
  const [a1, a2, b1] = ['a1', 'a2', 'b1'].map((name) =>
    aClusterEvent({ name, namespace: name.slice(0, 1) }),
  ) as [ClusterEvent, ClusterEvent, ClusterEvent]
  pipeline.ingestListPage([a1], { scope: 'a', first: true, last: false })
  clock.t += 1_000
  pipeline.ingestListPage([b1], whole('b'))
  pipeline.ingestListPage([a2], { scope: 'a', first: false, last: true })
  const after = rows(store)
  t.same(
    ['a1', 'a2', 'b1'].map((name) => after.get(name)?.[1]),
    [null, null, null],
    'nothing gone: each list marks against its own time',
  )
})

t.test(
  'a page that is not the first of a list it knows is refused and changes nothing',
  async (t) => {
    const { pipeline, store } = setup(t)
    t.throws(
      () => pipeline.ingestListPage([aClusterEvent()], { scope: 'a', first: false, last: true }),
      /a list page of a came before its first page/,
    )
    t.equal(rows(store).size, 0)
  },
)
