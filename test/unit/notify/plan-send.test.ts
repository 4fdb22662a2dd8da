import t from 'tap'
import type { OutboxRow } from '../../../src/notify/outbox.ts'
import {
  type PlanInput,
  planSend,
  RATE_WINDOW_MS,
  selectDigest,
} from '../../../src/notify/plan-send.ts'

const now = 1_000_000
const row = (id: number, kind = 'alert'): OutboxRow => ({
  id,
  robot: 'ops',
  kind,
  createdAt: now,
  attempts: 0,
  occurrences: 1,
  message: undefined,
  lastError: null,
})
const rows = (n: number) => Array.from({ length: n }, (_, i) => row(i + 1))
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  now,
  rows: [],
  answered: [],
  ratePerMinute: 20,
  burst: 5,
  digestSpacingMs: 15_000,
  pausedUntil: 0,
  lastDigestAt: undefined,
  flushing: false,
  ...over,
})

t.test('nothing waiting: idle', async (t) => {
  t.same(planSend(input()), { step: 'idle' })
})

t.test('a lone alert goes at once, alone', async (t) => {
  const plan = planSend(input({ rows: rows(1) }))
  t.same(plan, { step: 'send', row: row(1) })
})

t.test('a small burst goes one by one while few went out lately', async (t) => {
  const plan = planSend(input({ rows: rows(3), answered: [now - 1000, now - 500] }))
  t.equal(plan.step, 'send')
  t.same(plan, { step: 'send', row: row(1) })
})

t.test('more than the burst: one digest of everything waiting', async (t) => {
  const plan = planSend(input({ rows: rows(6) }))
  t.same(plan, { step: 'digest' })
  const afterBurst = planSend(
    input({ rows: rows(1), answered: [1, 2, 3, 4, 5].map((i) => now - i) }),
  )
  t.same(afterBurst, { step: 'digest' }, 'after 5 singles even one goes by the digest rules')
})

t.test('digests are spaced, except when flushing for shutdown', async (t) => {
  const spaced = planSend(input({ rows: rows(50), lastDigestAt: now - 5_000 }))
  t.same(spaced, { step: 'wait', until: now + 10_000 })
  const single = planSend(input({ rows: rows(1), lastDigestAt: now - 5_000 }))
  t.same(single, { step: 'wait', until: now + 10_000 }, 'no singles squeezed between digests')
  const flushing = planSend(input({ rows: rows(50), lastDigestAt: now - 5_000, flushing: true }))
  t.equal(flushing.step, 'digest')
  const later = planSend(input({ rows: rows(50), lastDigestAt: now - 15_000 }))
  t.equal(later.step, 'digest')
})

t.test('never more than ratePerMinute answers in the rolling window', async (t) => {
  const answered = Array.from({ length: 20 }, (_, i) => now - 50_000 + i * 1000)
  const plan = planSend(input({ rows: rows(1), answered }))
  t.same(plan, { step: 'wait', until: now - 50_000 + RATE_WINDOW_MS })
  const three = planSend(
    input({
      rows: rows(1),
      ratePerMinute: 3,
      answered: [now - 30_000, now - 20_000, now - 10_000],
    }),
  )
  t.same(three, { step: 'wait', until: now - 30_000 + RATE_WINDOW_MS })
  t.ok(RATE_WINDOW_MS >= 60_000)
})

t.test('a paused robot waits for the pause to end', async (t) => {
  t.same(planSend(input({ rows: rows(1), pausedUntil: now + 60_000 })), {
    step: 'wait',
    until: now + 60_000,
  })
})

t.test('a notice at the head goes alone; digests leave notices out', async (t) => {
  const notice = planSend(
    input({ rows: [row(1, 'notice'), ...rows(10).map((r) => ({ ...r, id: r.id + 1 }))] }),
  )
  t.same(notice, { step: 'send', row: row(1, 'notice') })
  const mixed = [...rows(6), row(7, 'notice'), row(8)]
  t.same(planSend(input({ rows: mixed })), { step: 'digest' })
  t.same(
    selectDigest(mixed, 2000).map((r) => r.id),
    [1, 2, 3, 4, 5, 6, 8],
  )
})

t.test('batchCap bounds a digest (split after too-long)', async (t) => {
  t.equal(selectDigest(rows(100), 30).length, 30)
})
