/**
 * At most `perMinute` commands per key (a sender, a group, everyone) in any rolling minute, so
 * nobody can flood a group through the bot. The keys come from the message body, so an
 * outsider can invent as many as they like: the number of keys kept is capped, and the one
 * used longest ago is forgotten first. Windows use the injected clock.
 */

export interface RollingLimit {
  /**
   * Takes one command from `key`'s budget. Answers 0 when it fits; otherwise the ms until a
   * slot frees, and whether this is the first refusal since the budget ran out (only that one
   * deserves a reply: answering every refused command would be a flood of its own).
   */
  take(key: string, now: number): { waitMs: number; firstRefusal: boolean }
  /** How many keys are remembered now. */
  size(): number
}

export interface RollingLimitOptions {
  perMinute: number
  /** Keys remembered at most; the least recently used is forgotten first. */
  maxKeys: number
}

const WINDOW_MS = 60_000

interface Budget {
  /** When the commands in the window were taken, oldest first; at most `perMinute`. */
  times: number[]
  /** Refusals are quiet until then (the moment a slot frees). */
  toldUntil: number
}

/** Creates the limiter. Memory: at most `maxKeys` × `perMinute` timestamps. */
export function createRollingLimit(options: RollingLimitOptions): RollingLimit {
  const { perMinute, maxKeys } = options
  const budgets = new Map<string, Budget>()
  return {
    take(key, now) {
      const budget = budgets.get(key) ?? { times: [], toldUntil: 0 }
      // Re-inserted so the Map's order is least recently used first.
      budgets.delete(key)
      budgets.set(key, budget)
      if (budgets.size > maxKeys) budgets.delete(budgets.keys().next().value as string)
      while (budget.times.length > 0 && (budget.times[0] as number) <= now - WINDOW_MS) {
        budget.times.shift()
      }
      if (budget.times.length < perMinute) {
        budget.times.push(now)
        return { waitMs: 0, firstRefusal: false }
      }
      const waitMs = (budget.times[0] as number) + WINDOW_MS - now
      const firstRefusal = now >= budget.toldUntil
      if (firstRefusal) budget.toldUntil = now + waitMs
      return { waitMs, firstRefusal }
    },
    size: () => budgets.size,
  }
}
