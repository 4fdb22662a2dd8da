/** Compact time spans for chat replies and alerts in English: `45s`, `3m`, `2h 5m`. */

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
