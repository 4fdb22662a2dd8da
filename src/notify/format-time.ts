/** Times as a phone shows them in a message: local to `timeZone` (default: the process's zone). */

const cache = new Map<string, Intl.DateTimeFormat>()

function formatter(timeZone: string | undefined): Intl.DateTimeFormat {
  const key = timeZone ?? ''
  let f = cache.get(key)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'shortOffset',
    })
    cache.set(key, f)
  }
  return f
}

function parts(ms: number, timeZone: string | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const p of formatter(timeZone).formatToParts(ms)) out[p.type] = p.value
  return out
}

/** `GMT+8` → `UTC+8`; `GMT`/`GMT+0` → `UTC`. */
const toUtcOffset = (name = ''): string => {
  const offset = name.replace(/^GMT/, '')
  return offset === '' || offset === '+0' ? 'UTC' : `UTC${offset}`
}

/** `21:03` */
export function formatClock(ms: number, timeZone?: string): string {
  const p = parts(ms, timeZone)
  return `${p.hour}:${p.minute}`
}

/**
 * A time as short as a phone line wants it, seen from `now`: `21:03:05` on the same day,
 * `11-23 21:03:05` on another; `zone: true` adds the offset (`21:03:05 UTC+8`).
 */
export function formatStamp(
  ms: number,
  now: number,
  options: { timeZone?: string | undefined; zone?: boolean } = {},
): string {
  const p = parts(ms, options.timeZone)
  const today = parts(now, options.timeZone)
  const sameDay = p.year === today.year && p.month === today.month && p.day === today.day
  const day = sameDay
    ? ''
    : p.year === today.year
      ? `${p.month}-${p.day} `
      : `${p.year}-${p.month}-${p.day} `
  const zone = options.zone ? ` ${toUtcOffset(p.timeZoneName)}` : ''
  return `${day}${p.hour}:${p.minute}:${p.second}${zone}`
}
