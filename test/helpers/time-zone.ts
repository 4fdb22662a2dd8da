/** Times in messages follow the process's zone (TZ): tests pin it, and put it back after. */
import type { Test } from 'tap'

/** Sets TZ to `zone` until `t` ends. */
export function inZone(t: Test, zone: string): void {
  const before = process.env.TZ
  process.env.TZ = zone
  t.teardown(() => {
    if (before === undefined) delete process.env.TZ
    else process.env.TZ = before
  })
}
