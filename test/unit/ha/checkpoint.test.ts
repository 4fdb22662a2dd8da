/**
 * The checkpoint between a leader and its standbys, on real stores: the leader's outbox records
 * each message that left by identity (and the answer times, and pauses); a standby's outbox,
 * filled by its own pipeline with the same messages under other row ids, drops exactly those;
 * a new leader counts the old leader's answers in its rate budget.
 */
import t, { type Test } from 'tap'
import { createCheckpointOutbox, importBudget } from '../../../src/ha/checkpoint-outbox.ts'
import { toMessageIdentity } from '../../../src/ha/message-identity.ts'
import { createEmptyDoc, type SharedDoc } from '../../../src/ha/shared-doc.ts'
import { createStandbyOutbox, SLS_STANDBY_KEEP_MS } from '../../../src/ha/standby-outbox.ts'
import { createOutbox } from '../../../src/notify/outbox.ts'
import type { AlertMessage, OutboxMessage } from '../../../src/notify/outbox-message.ts'
import { toAlertEvent } from '../../../src/pipeline/pipeline.ts'
import { createEventArchive } from '../../../src/store/events.ts'
import { openStore } from '../../../src/store/open-store.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'
import { testNow } from '../../helpers/test-clock.ts'

const now = testNow()
const alert = (uid: string, count = 1): AlertMessage => ({
  kind: 'alert',
  event: aClusterEvent({ uid, count }),
  occurrences: 1,
  at: { mobiles: [], userIds: [], all: false },
})
const ok = { at: now, kind: 'alert', occurrences: 1, errcode: 0, errmsg: 'ok' }

t.test('identities: the same message on any replica, a different one otherwise', async (t) => {
  const a = alert('u1', 3)
  t.equal(toMessageIdentity('ops', a), toMessageIdentity('ops', structuredClone(a)))
  t.not(toMessageIdentity('ops', a), toMessageIdentity('dev', a), 'per robot')
  t.not(toMessageIdentity('ops', a), toMessageIdentity('ops', alert('u1', 4)), 'per count')
  t.not(toMessageIdentity('ops', a), toMessageIdentity('ops', { ...a, kind: 'repeat' }))
  const notice: OutboxMessage = { kind: 'notice', title: 'Mute m3 ended', lines: ['12 held'] }
  t.equal(
    toMessageIdentity('ops', notice),
    toMessageIdentity('ops', { ...notice, lines: ['13 held'] }),
    'a notice by its title: the held-back count may differ between replicas',
  )
  const ended = (heldBack: number): OutboxMessage => ({
    kind: 'notice',
    topic: 'mute-ended',
    mute: { id: 'm3', selector: {}, createdAt: now, endsAt: now, endedBy: 'expired', heldBack },
  })
  t.equal(
    toMessageIdentity('ops', ended(12)),
    toMessageIdentity('ops', ended(13)),
    'a mute that ran out by its id: the held-back count may differ between replicas',
  )
  const node = (since: number): OutboxMessage => ({
    kind: 'node-problem',
    node: 'node-1',
    condition: 'KernelDeadlock',
    status: 'True',
    reason: 'DockerHung',
    message: 'task docker blocked',
    since,
    ready: 'True',
    schedulable: true,
    flips: 0,
    at: { mobiles: [], userIds: [], all: false },
  })
  t.equal(toMessageIdentity('ops', node(now)), toMessageIdentity('ops', node(now)))
  t.not(toMessageIdentity('ops', node(now)), toMessageIdentity('ops', node(now + 1)), 'per onset')
  t.match(toMessageIdentity('ops', a), /^[A-Za-z0-9_-]{10}$/)
})

/** A leader's and a standby's stores, the leader's outbox recording into `doc`. */
function replicas(t: Test) {
  const leaderStore = openStore(':memory:')
  const standbyStore = openStore(':memory:')
  t.teardown(() => {
    leaderStore.close()
    standbyStore.close()
  })
  const doc: SharedDoc = createEmptyDoc()
  const leader = createCheckpointOutbox(createOutbox(leaderStore), async (change) => change(doc))
  return { leaderStore, standbyStore, doc, leader, standbyOutbox: createOutbox(standbyStore) }
}

t.test('the leader records; a standby drops exactly what was delivered', async (t) => {
  const { standbyStore, doc, leader, standbyOutbox } = replicas(t)
  // The standby's pipeline queued the same messages, after a Normal note of its own.
  standbyOutbox.enqueue('ops', { kind: 'notice', title: 'only here', lines: [] }, now)
  const messages = [alert('u1'), alert('u2'), alert('u3'), alert('u4')]
  for (const m of messages) {
    leader.enqueue('ops', m, now)
    standbyOutbox.enqueue('ops', m, now)
  }
  const [r1, r2, r3] = leader.peek('ops', 10)
  leader.settle('ops', [r1?.id ?? 0], ok)
  leader.settle('ops', [r2?.id ?? 0, r3?.id ?? 0], { ...ok, kind: 'digest', occurrences: 2 })
  leader.refuse('ops', [], { ...ok, errcode: 130101, errmsg: 'send too fast' })
  leader.defer('ops', now + 60_000)
  t.equal(Object.keys(doc.delivered.ops ?? {}).length, 3, 'three identities recorded')
  t.same(doc.answered.ops, [now, now, now], 'each answer counts in the budget, refusals too')
  t.equal(doc.paused.ops, now + 60_000)
  await leader.checkpointed('ops')
  t.pass('what was recorded for ops is stored')
  await leader.checkpointed('never-sent')

  const standby = createStandbyOutbox(standbyStore)
  t.equal(standby.prune(doc), 3)
  t.same(
    standbyOutbox
      .peek('ops', 10)
      .map((r) => (r.message?.kind === 'alert' ? r.message.event.uid : r.kind)),
    ['notice', 'u4'],
    'what the leader has not delivered stays, in order',
  )
  t.equal(standby.prune(doc), 0, 'pruning again finds nothing')
  standbyOutbox.enqueue('ops', alert('u5'), now)
  t.equal(standby.prune(doc), 0, 'rows queued later are looked at too')
})

t.test(
  'alerts that name their archive rows (each replica its own) are dropped by the standby as delivered',
  async (t) => {
    const { leaderStore, standbyStore, doc, leader, standbyOutbox } = replicas(t)
    const leaderArchive = createEventArchive(leaderStore)
    const standbyArchive = createEventArchive(standbyStore)
    // The standby archived one event the leader never saw: the same events get other rows there.
    standbyArchive.insert(aClusterEvent({ uid: 'only-here' }), now)
    for (const uid of ['u1', 'u2']) {
      const event = aClusterEvent({ uid, count: 3 })
      const queue = (archive: typeof leaderArchive): AlertMessage => ({
        ...alert(uid, 3),
        event: toAlertEvent(event),
        row: archive.insert(event, now),
      })
      leader.enqueue('ops', queue(leaderArchive), now)
      standbyOutbox.enqueue('ops', queue(standbyArchive), now)
    }
    const [first] = leader.peek('ops', 10)
    t.equal(first?.message?.kind === 'alert' && first.message.row, 1, "the leader's own row")
    leader.settle('ops', [first?.id ?? 0], ok)
    const standby = createStandbyOutbox(standbyStore)
    t.equal(standby.prune(doc), 1, 'the delivered one is recognised')
    t.same(
      standbyOutbox
        .peek('ops', 10)
        .map((r) => (r.message?.kind === 'alert' ? [r.message.event.uid, r.message.row] : r.kind)),
      [['u2', 3]],
      'the other stays, naming the standby’s row',
    )
  },
)

t.test('a new leader inherits the budget and the pauses', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const outbox = createOutbox(store)
  outbox.enqueue('ops', alert('u1'), now)
  const doc = createEmptyDoc()
  doc.answered.ops = [now - 30_000, now - 20_000, now - 70_000]
  doc.paused.ops = now + 45_000
  outbox.settle('ops', [], { ...ok, at: now - 20_000 })
  importBudget(outbox, doc, ['ops', 'dev'], now)
  t.same(
    outbox.answeredSince('ops', now - 61_000),
    [now - 30_000, now - 20_000],
    "the old leader's answers of the last minute, not counted twice",
  )
  t.equal(outbox.heldUntil('ops'), now + 45_000, 'the pause holds here too')
  t.same(outbox.answeredSince('dev', now - 61_000), [])
})

t.test('a standby trims its Log Service queue', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const insert = store.db.prepare('INSERT INTO sls_queue (at, log) VALUES (?, ?)')
  insert.run(now - SLS_STANDBY_KEEP_MS - 1, '{}')
  insert.run(now - 1_000, '{}')
  t.equal(createStandbyOutbox(store).trimSlsQueue(now), 1)
  t.equal((store.db.prepare('SELECT count(*) AS n FROM sls_queue').get() as { n: number }).n, 1)
})
