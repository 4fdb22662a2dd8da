/**
 * What a robot does next with its waiting messages: nothing, wait until some time, or send
 * some of them. Pure, so the rate rules are tested without a clock or a network.
 *
 * Rules:
 * 1. A robot paused (throttled, backing off, halted) waits until the pause ends.
 * 2. Never more than `ratePerMinute` answers in any rolling window of `RATE_WINDOW_MS`.
 * 3. A notice goes alone, when it is the oldest message.
 * 4. While everything waiting fits in what is left of the rolling budget minus a small reserve,
 *    the oldest goes alone, at once: what fits in the budget is not delayed (interface.md,
 *    "What reaches DingTalk"), at any rate up to the budget minus the reserve.
 * 5. Otherwise every waiting alert (up to `batchCap`) goes as one digest, at most one digest per
 *    `digestSpacingMs`, so a storm becomes a handful of messages a minute. The reserve is what
 *    keeps those digests going once singles have spent the rest of the minute. A flush
 *    (shutdown) does not wait for the spacing.
 */
import type { OutboxRow } from './outbox.ts'

/**
 * DingTalk counts 20 a minute; the window is a little longer because the time recorded is when
 * the answer came back, and DingTalk's own clock and latency differ from ours.
 */
export const RATE_WINDOW_MS = 61_000

export interface PlanInput {
  now: number
  /**
   * The robot's oldest waiting messages, oldest first: at least `ratePerMinute + 1` of them when
   * there are (see `planPeekLimit`).
   */
  rows: readonly OutboxRow[]
  /** When DingTalk answered this robot within the last `RATE_WINDOW_MS`, oldest first. */
  answered: readonly number[]
  ratePerMinute: number
  /** Answers of the rolling budget kept for digests (capped by `reserveFor`). */
  digestReserve: number
  digestSpacingMs: number
  pausedUntil: number
  lastDigestAt: number | undefined
  flushing: boolean
}

/** `send`: that one message alone. `digest`: the waiting alerts together (see selectDigest). */
export type Plan =
  | { step: 'idle' }
  | { step: 'wait'; until: number }
  | { step: 'send'; row: OutboxRow }
  | { step: 'digest' }

/** How many waiting rows `planSend` needs to see to decide. */
export function planPeekLimit(ratePerMinute: number): number {
  return ratePerMinute + 1
}

/**
 * The reserve a robot keeps for digests: the tuned one, but never more than a fifth of its
 * budget, so a robot allowed 3 a minute still sends a lone alert alone.
 */
export function reserveFor(digestReserve: number, ratePerMinute: number): number {
  return Math.max(0, Math.min(digestReserve, Math.floor(ratePerMinute / 5)))
}

/** Decides the next step for one robot. */
export function planSend(input: PlanInput): Plan {
  const { now, rows, answered } = input
  const first = rows[0]
  if (!first) return { step: 'idle' }
  if (input.pausedUntil > now) return { step: 'wait', until: input.pausedUntil }
  if (answered.length >= input.ratePerMinute) {
    const oldest = answered[answered.length - input.ratePerMinute] ?? now
    return { step: 'wait', until: oldest + RATE_WINDOW_MS }
  }
  if (first.kind === 'notice') return { step: 'send', row: first }
  const left = input.ratePerMinute - answered.length
  const singles = left - reserveFor(input.digestReserve, input.ratePerMinute)
  if (rows.length <= singles) return { step: 'send', row: first }
  const spacedUntil =
    input.lastDigestAt === undefined ? now : input.lastDigestAt + input.digestSpacingMs
  if (spacedUntil > now && !input.flushing) return { step: 'wait', until: spacedUntil }
  return { step: 'digest' }
}

/** The rows one digest merges: the oldest alerts, at most `batchCap`; notices go on their own. */
export function selectDigest(rows: readonly OutboxRow[], batchCap: number): OutboxRow[] {
  return rows.filter((r) => r.kind !== 'notice').slice(0, batchCap)
}
