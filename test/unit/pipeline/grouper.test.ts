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
