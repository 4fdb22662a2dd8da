import t from 'tap'
import type { OutboxMessage } from '../../../src/notify/outbox-message.ts'
import { createGrouper, toGroupKey } from '../../../src/pipeline/grouper.ts'
import { toAlertEvent } from '../../../src/pipeline/pipeline.ts'
import { hashKey } from '../../../src/store/hash-key.ts'
import { openStore } from '../../../src/store/open-store.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'

const WINDOW = 60_000
const AT = { mobiles: [], userIds: [], all: false }

t.test('two keys that share a hash keep their own windows', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const sent: OutboxMessage[] = []
  const grouper = createGrouper(store, WINDOW, (_robot, message) => sent.push(message))
  const event = toAlertEvent(aClusterEvent())
  // An open window, with repeats, for another key that has this key's hash.
  store.db
    .prepare(
      `INSERT INTO groups (key_hash, robot, key, window_end, pending, sample)
       VALUES (?, 'ops', 'Pod/other/impostor/BackOff', ?, 3, '{}')`,
    )
    .run(hashKey(toGroupKey(event)), 10 * WINDOW)
  grouper.offer('ops', event, 1, AT, 1_000)
  t.same(
    sent.map((m) => m.kind),
    ['alert'],
    'not folded into the other window',
  )
  grouper.offer('ops', { ...event, count: 2 }, 1, AT, 2_000)
  grouper.offer('other-robot', event, 1, AT, 2_000)
  t.same(
    sent.map((m) => m.kind),
    ['alert', 'alert'],
    'a repeat folds into its own window; another robot has its own',
  )
  grouper.flushDue(1_000 + WINDOW)
  t.match(sent.at(-1), { kind: 'repeat', occurrences: 1 })
  t.same(
    store.db.prepare('SELECT robot, key, pending FROM groups ORDER BY key, robot').all(),
    [
      { robot: 'ops', key: toGroupKey(event), pending: 0 },
      { robot: 'other-robot', key: toGroupKey(event), pending: 0 },
      { robot: 'ops', key: 'Pod/other/impostor/BackOff', pending: 3 },
    ],
    'the other window is left as it was',
  )
})

t.test('a window opened before a restart is found by the grouper after it', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const sent: OutboxMessage[] = []
  const event = toAlertEvent(aClusterEvent())
  createGrouper(store, WINDOW, () => {}).offer('ops', event, 1, AT, 1_000)
  const after = createGrouper(store, WINDOW, (_robot, message) => sent.push(message))
  after.offer('ops', { ...event, count: 2 }, 1, AT, 2_000)
  t.same(sent, [], 'the repeat folds into the window from before')
  after.flushDue(1_000 + WINDOW)
  t.match(sent, [{ kind: 'repeat', occurrences: 1 }])
})

t.test(
  'keys that may have a window: a full filter is rebuilt, and every window is still found',
  async (t) => {
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    const sent: OutboxMessage[] = []
    // 64 bits for 200 keys: bits shared by many keys, and rebuilt every 8 windows opened.
    const grouper = createGrouper(store, WINDOW, (_robot, m) => sent.push(m), 64)
    const events = Array.from({ length: 200 }, (_, i) =>
      toAlertEvent(aClusterEvent({ uid: `u${i}`, name: `web-${i}` })),
    )
    for (const e of events) grouper.offer('ops', e, 1, AT, 1_000)
    t.equal(sent.length, 200, 'each new object alerted once')
    for (const e of events) grouper.offer('ops', { ...e, count: 2 }, 1, AT, 2_000)
    t.equal(sent.length, 200, 'each repeat folded into its window')
    t.equal(store.db.prepare('SELECT count(*) AS n FROM groups').get()?.n, 200)
    grouper.flushDue(1_000 + WINDOW)
    t.equal(sent.filter((m) => m.kind === 'repeat').length, 200)
  },
)
