import t from 'tap'
import { formatAge, formatSpan, formatUntil } from '../../../src/chatops/format-age.ts'

const S = 1_000
const M = 60 * S
const H = 60 * M
const D = 24 * H

t.test('formatSpan: the largest unit, plus the next for days and hours', async (t) => {
  t.equal(formatSpan(0), '0s')
  t.equal(formatSpan(999), '0s')
  t.equal(formatSpan(45 * S), '45s')
  t.equal(formatSpan(3 * M + 12 * S), '3m')
  t.equal(formatSpan(2 * H), '2h')
  t.equal(formatSpan(2 * H + 5 * M + 9 * S), '2h 5m')
  t.equal(formatSpan(3 * D + 4 * H + 5 * M), '3d 4h')
  t.equal(formatSpan(7 * D), '7d')
  t.equal(formatSpan(-5 * S), '0s')
})

t.test('formatAge and formatUntil', async (t) => {
  const now = Date.UTC(2026, 0, 1)
  t.equal(formatAge(now - 3 * M, now), '3m ago')
  t.equal(formatAge(now, now), 'just now')
  t.equal(formatAge(now + 5 * S, now), 'just now', 'a clock a little ahead is not "in the future"')
  t.equal(formatUntil(now + 45 * M, now), 'in 45m')
  t.equal(formatUntil(now - 1, now), 'now')
})
