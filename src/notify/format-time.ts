/**
 * Times as a phone shows them in a message, in the process's local zone (`TZ`, else the
 * system's). Read with Date's local getters rather than Intl.DateTimeFormat: constructing any
 * DateTimeFormat makes V8 probe ICU's list of locales, which keeps about 5 MiB of the node
 * binary's ICU data resident for the life of the process (issue 10); the local getters read only
 * the zone's rules.
 */

const pad = (n: number): string => String(n).padStart(2, '0')

/** `UTC+8`, `UTC+5:30`, `UTC-3:30`, `UTC`: the zone's offset from UTC at `d`. */
const toUtcOffset = (d: Date): string => {
  const east = -d.getTimezoneOffset()
  if (east === 0) return 'UTC'
  const minutes = Math.abs(east)
  const hours = Math.trunc(minutes / 60)
  const rest = minutes % 60
  return `UTC${east < 0 ? '-' : '+'}${hours}${rest === 0 ? '' : `:${pad(rest)}`}`
}

/** `21:03` */
export function formatClock(ms: number): string {
  const d = new Date(ms)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/**
 * A time as short as a phone line wants it, seen from `now`: `21:03:05` on the same day,
 * `11-23 21:03:05` on another; `zone: true` adds the offset (`21:03:05 UTC+8`).
 */
export function formatStamp(ms: number, now: number, options: { zone?: boolean } = {}): string {
  const d = new Date(ms)
  const today = new Date(now)
  const [year, month, day] = [d.getFullYear(), pad(d.getMonth() + 1), pad(d.getDate())]
  const sameYear = year === today.getFullYear()
  const date =
    sameYear && d.getMonth() === today.getMonth() && d.getDate() === today.getDate()
      ? ''
      : sameYear
        ? `${month}-${day} `
        : `${year}-${month}-${day} `
  const zone = options.zone ? ` ${toUtcOffset(d)}` : ''
  return `${date}${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${zone}`
}
