/** Human time spans for chat replies: `3m ago`, `in 45m`, `2h 5m`. */

const UNITS = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
] as const

/** A span in its largest unit, plus the next one for days and hours: `45s`, `3m`, `2h 5m`, `3d 4h`. */
export function formatSpan(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1_000) * 1_000)
  for (const [i, [unit, size]] of UNITS.entries()) {
    const n = Math.floor(total / size)
    if (n === 0) continue
    const next = UNITS[i + 1]
    if (!next || unit === 'm' || unit === 's') return `${n}${unit}`
    const m = Math.floor((total - n * size) / next[1])
    return m > 0 ? `${n}${unit} ${m}${next[0]}` : `${n}${unit}`
  }
  return '0s'
}

/** How long ago `at` was, seen from `now`: `just now`, `3m ago`, `2h 5m ago`. */
export function formatAge(at: number, now: number): string {
  const ms = now - at
  if (ms < 1_000) return 'just now'
  return `${formatSpan(ms)} ago`
}

/** How long until `at`, seen from `now`: `in 45m`, or `now` when it is due. */
export function formatUntil(at: number, now: number): string {
  const ms = at - now
  return ms < 1_000 ? 'now' : `in ${formatSpan(ms)}`
}
