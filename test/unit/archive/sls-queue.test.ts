import t, { type Test } from 'tap'
import { encodeLog, logFieldSize } from '../../../src/archive/log-group.ts'
import { type BadRow, createSlsQueue } from '../../../src/archive/sls-queue.ts'
import { openStore } from '../../../src/store/open-store.ts'

function setup(t: Test) {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  return { store, queue: createSlsQueue(store) }
}

const log = (i: number, size = 10) => ({
  time: i,
  contents: { i: String(i), pad: 'x'.repeat(size) },
})
const noBadRows = (row: BadRow) => {
  throw new Error(`unexpected bad row ${row.id}`)
}

t.test('a batch takes the oldest logs up to the byte limit and says more wait', async (t) => {
  const { queue } = setup(t)
  for (let i = 1; i <= 10; i++) queue.add(1000, log(i, 100))
  const one = logFieldSize(encodeLog(log(1, 100)))
  const batch = queue.peekBatch(one * 3 + 1, 100, noBadRows)
  t.match(batch, { firstId: 1, lastId: 3, bytes: one * 3, full: true })
  t.equal(batch?.logs.length, 3)
  if (batch) queue.remove(batch)
  t.equal(queue.count(), 7)
  t.match(queue.peekBatch(one * 100, 100, noBadRows), { firstId: 4, lastId: 10, full: false })
})

t.test('a batch stops at the log limit', async (t) => {
  const { queue } = setup(t)
  for (let i = 1; i <= 5; i++) queue.add(1000, log(i))
  t.match(queue.peekBatch(1 << 20, 2, noBadRows), { firstId: 1, lastId: 2, full: true })
})

t.test('one log bigger than the limit still goes, alone', async (t) => {
  const { queue } = setup(t)
  queue.add(1000, log(1, 5000))
  queue.add(1000, log(2))
  t.match(queue.peekBatch(100, 10, noBadRows), { firstId: 1, lastId: 1, full: true })
})

t.test('an empty queue gives no batch', async (t) => {
  const { queue } = setup(t)
  t.equal(queue.peekBatch(1000, 10, noBadRows), undefined)
})

t.test('a row that cannot be encoded is reported and removed; the rest goes', async (t) => {
  const { store, queue } = setup(t)
  queue.add(1000, log(1))
  store.db.prepare('INSERT INTO sls_queue (at, log) VALUES (?, ?)').run(1000, '{not json')
  store.db
    .prepare('INSERT INTO sls_queue (at, log) VALUES (?, ?)')
    .run(1000, '{"time":-1,"contents":{}}')
  queue.add(1000, log(4))
  const bad: BadRow[] = []
  const batch = queue.peekBatch(1 << 20, 10, (row) => bad.push(row))
  t.match(batch, { firstId: 1, lastId: 4 })
  t.equal(batch?.logs.length, 2)
  t.same(
    bad.map((b) => b.id),
    [2, 3],
  )
  t.match(bad[1]?.error, /Log.Time/)
  t.equal(queue.count(), 2)
})
