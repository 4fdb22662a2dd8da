/** Durations as the config writes them: `30s`, `5m`, `1h`, `7d`, or a sum such as `1h30m`. */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const
const PART = /(\d+)(ms|s|m|h|d)/g
const WHOLE = /^(?:\d+(?:ms|s|m|h|d))+$/

/** Parses `90s`, `5m`, `1h30m`, `7d` into milliseconds; undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim()
  if (!WHOLE.test(trimmed)) return undefined
  let ms = 0
  for (const [, n, unit] of trimmed.matchAll(PART)) {
    ms += Number(n) * UNIT_MS[unit as keyof typeof UNIT_MS]
  }
  return ms
}

/** Writes milliseconds back in the config's notation, largest units first (`90000` → `1m30s`). */
export function toDurationText(ms: number): string {
  if (ms === 0) return '0s'
  let rest = ms
  let text = ''
  for (const unit of ['d', 'h', 'm', 's', 'ms'] as const) {
    const size = UNIT_MS[unit]
    const n = Math.floor(rest / size)
    if (n > 0) {
      text += `${n}${unit}`
      rest -= n * size
    }
  }
  return text
}
