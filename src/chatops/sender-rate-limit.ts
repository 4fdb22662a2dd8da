/**
 * At most `perMinute` commands per sender in any rolling minute, so one person (or a script with
 * their account) cannot flood the group through the bot. Windows use the injected clock;
 * node-cache only forgets senders who went quiet.
 */
import NodeCache from 'node-cache'

export interface SenderRateLimit {
  /** Takes one command from `sender`'s budget; returns ms to wait when the budget is spent, else 0. */
  take(sender: string, now: number): number
  close(): void
}

const WINDOW_MS = 60_000

/** Creates the limiter. */
export function createSenderRateLimit(perMinute: number): SenderRateLimit {
  const recent = new NodeCache({
    stdTTL: 2 * (WINDOW_MS / 1_000),
    checkperiod: 60,
    useClones: false,
  })
  return {
    take(sender, now) {
      const times = (recent.get<number[]>(sender) ?? []).filter((t) => t > now - WINDOW_MS)
      const oldest = times[0]
      if (times.length >= perMinute && oldest !== undefined) {
        recent.set(sender, times)
        return oldest + WINDOW_MS - now
      }
      times.push(now)
      recent.set(sender, times)
      return 0
    },
    close: () => recent.close(),
  }
}
