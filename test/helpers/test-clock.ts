/**
 * The tests' wall clock. Fixtures are built relative to it, never written as dates, and the
 * service under test is given it as its `now`: a suite that passes today then passes on any
 * day. `KUBEDING_TEST_CLOCK_SHIFT_DAYS` moves it (test/integration/clock-shift.test.ts runs the
 * time-sensitive files a year ahead to prove that nothing reads the calendar).
 */

const DAY_MS = 86_400_000

/** How far the tests' clock stands from the real one. */
export const CLOCK_SHIFT_MS = Number(process.env.KUBEDING_TEST_CLOCK_SHIFT_DAYS ?? 0) * DAY_MS

/** Now, on the tests' clock. */
export function testNow(): number {
  return Date.now() + CLOCK_SHIFT_MS
}

/** The tests' clock `ms` ago, as the API server writes times (ISO, whole seconds). */
export function isoAgo(ms: number): string {
  return new Date(Math.floor((testNow() - ms) / 1_000) * 1_000).toISOString().replace('.000', '')
}
