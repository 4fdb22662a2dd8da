import t from 'tap'
import { backoffDelay, createSleeper, DEFAULT_BACKOFF } from '../../../src/kube/backoff-delay.ts'

t.test('doubles from initialMs, caps at maxMs, jitters between half and all', async (t) => {
  const b = { initialMs: 100, maxMs: 1000 }
  t.same(
    [1, 2, 3, 4, 5, 6].map((n) => backoffDelay(b, n, () => 1)),
    [100, 200, 400, 800, 1000, 1000],
  )
  t.same(
    [1, 2, 5].map((n) => backoffDelay(b, n, () => 0)),
    [50, 100, 500],
  )
  t.equal(
    backoffDelay(b, 0, () => 1),
    100,
    'attempt below 1 counts as the first',
  )
  t.equal(
    backoffDelay(DEFAULT_BACKOFF, 10_000, () => 1),
    30_000,
    'huge attempt numbers do not overflow',
  )
})

t.test('a sleep ends on time, or at once when woken', async (t) => {
  const s = createSleeper()
  let started = Date.now()
  await s.sleep(20)
  t.ok(Date.now() - started >= 15)
  started = Date.now()
  const long = s.sleep(60_000)
  s.wake()
  await long
  t.ok(Date.now() - started < 1000)
  s.wake()
  t.pass('waking with nothing asleep is harmless')
})
