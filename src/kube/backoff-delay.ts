/**
 * Capped exponential backoff with jitter, and a wait that `stop()` can cut short.
 */
import type { Backoff } from './watch-state.ts'

/** 1 s doubling to 30 s, roughly client-go's reflector. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000 }

/**
 * The wait before retry number `attempt` (1-based): `initialMs * 2^(attempt-1)` capped at
 * `maxMs`, then "equal jitter" (between half and all of it) so many replicas or namespaces that
 * failed together do not come back in step.
 */
export function backoffDelay(backoff: Backoff, attempt: number, random: () => number): number {
  const capped = Math.min(
    backoff.maxMs,
    backoff.initialMs * 2 ** Math.min(Math.max(attempt, 1) - 1, 30),
  )
  return Math.round(capped / 2 + (random() * capped) / 2)
}

/** A sleep that `wake()` ends early (used by stop, so it never waits out a backoff). */
export function createSleeper(): { sleep(ms: number): Promise<void>; wake(): void } {
  let wakeCurrent: (() => void) | undefined
  return {
    sleep: (ms) =>
      new Promise((resolve) => {
        const done = () => {
          clearTimeout(timer)
          wakeCurrent = undefined
          resolve()
        }
        const timer = setTimeout(done, ms)
        wakeCurrent = done
      }),
    wake: () => wakeCurrent?.(),
  }
}

/**
 * Sleeps `ms` in steps of `everyMs`, asking `ask` after each; true once it says yes. Ends at
 * once, with false, when `stopped()` says so (after the sleeper's `wake()`).
 */
export async function sleepUnless(
  sleeper: { sleep(ms: number): Promise<void> },
  wait: { ms: number; everyMs: number; stopped: () => boolean },
  ask: () => Promise<boolean>,
): Promise<boolean> {
  const end = performance.now() + wait.ms
  for (;;) {
    const left = end - performance.now()
    if (left <= 0 || wait.stopped()) return false
    await sleeper.sleep(Math.min(wait.everyMs, left))
    if (end - performance.now() <= 0 || wait.stopped()) return false
    if (await ask()) return true
  }
}
