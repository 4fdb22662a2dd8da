import t from 'tap'
import type { OutboxRow } from '../../../src/notify/outbox.ts'
import {
  type PlanInput,
  planPeekLimit,
  planSend,
  RATE_WINDOW_MS,
  reserveFor,
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
  digestReserve: 4,
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

t.test('what fits in the budget minus the reserve goes alone, at once', async (t) => {
  t.same(planSend(input({ rows: rows(16) })), { step: 'send', row: row(1) }, '16 of 20 - 4')
  const spent = Array.from({ length: 10 }, (_, i) => now - 50_000 + i * 1000)
  t.same(planSend(input({ rows: rows(6), answered: spent })), { step: 'send', row: row(1) })
  t.same(planSend(input({ rows: rows(7), answered: spent })), { step: 'digest' })
})

t.test('15 a minute, 4 s apart: each alert goes alone when it comes', async (t) => {
  // At each arrival the 15 before it (4 .. 60 s ago) are in the 61 s window.
  const answered = Array.from({ length: 15 }, (_, i) => now - 60_000 + i * 4_000 + 50)
  t.same(planSend(input({ rows: rows(1), answered })), { step: 'send', row: row(1) })
  t.same(
    planSend(input({ rows: rows(1), answered, lastDigestAt: now - 1_000 })),
    { step: 'send', row: row(1) },
    'a digest spaced just before does not hold a single that fits',
  )
})

t.test('more waiting than the budget minus the reserve carries: one digest', async (t) => {
  t.same(planSend(input({ rows: rows(17) })), { step: 'digest' })
  const sixteen = Array.from({ length: 16 }, (_, i) => now - 1_000 + i * 50)
  t.same(
    planSend(input({ rows: rows(1), answered: sixteen })),
    { step: 'digest' },
    'once 16 singles spent the minute, even one waits for the digest rules (the reserve)',
  )
})

t.test('digests are spaced, except when flushing for shutdown', async (t) => {
  const spaced = planSend(input({ rows: rows(50), lastDigestAt: now - 5_000 }))
  t.same(spaced, { step: 'wait', until: now + 10_000 })
  const sixteen = Array.from({ length: 16 }, (_, i) => now - 30_000 + i * 50)
  const single = planSend(input({ rows: rows(1), answered: sixteen, lastDigestAt: now - 5_000 }))
  t.same(single, { step: 'wait', until: now + 10_000 }, 'past the reserve, singles wait too')
  const flushing = planSend(input({ rows: rows(50), lastDigestAt: now - 5_000, flushing: true }))
  t.equal(flushing.step, 'digest')
  const later = planSend(input({ rows: rows(50), lastDigestAt: now - 15_000 }))
  t.equal(later.step, 'digest')
})

t.test('the reserve is at most a fifth of the budget', async (t) => {
  t.equal(reserveFor(4, 20), 4)
  t.equal(reserveFor(4, 10), 2)
  t.equal(reserveFor(4, 3), 0)
  t.equal(reserveFor(-1, 20), 0)
  const three = { ratePerMinute: 3, answered: [now - 2_000, now - 1_000] }
  t.same(planSend(input({ ...three, rows: rows(1) })), { step: 'send', row: row(1) })
  t.same(planSend(input({ ...three, rows: rows(2) })), { step: 'digest' })
  t.equal(planPeekLimit(20), 21, 'enough rows to tell whether they fit')
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
  const mixed = [...rows(16), row(17, 'notice'), row(18)]
  t.same(planSend(input({ rows: mixed })), { step: 'digest' })
  t.same(
    selectDigest(mixed, 2000).map((r) => r.id),
    [...rows(16).map((r) => r.id), 18],
  )
})

t.test('batchCap bounds a digest (split after too-long)', async (t) => {
  t.equal(selectDigest(rows(100), 30).length, 30)
})
