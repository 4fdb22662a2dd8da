/**
 * A clock that runs faster than the wall, for a bench phase that needs minutes of the service's
 * own time (its rolling rate budget) without taking minutes: the parent and the service's
 * process compute it alike from the same origin, so the fake DingTalk and the service agree.
 */

/** `speed` times faster than the wall, from `origin` (epoch ms). */
export interface FastClock {
  origin: number
  speed: number
}

/** Now on a fast clock, from the wall's high-resolution time. */
export function fastNow(clock: FastClock): number {
  return clock.origin + (performance.timeOrigin + performance.now() - clock.origin) * clock.speed
}

/** The wall time (epoch ms) at which a fast clock reads `at`. */
export function toWallTime(clock: FastClock, at: number): number {
  return clock.origin + (at - clock.origin) / clock.speed
}
