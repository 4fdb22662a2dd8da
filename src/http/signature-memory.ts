/**
 * Replay protection for app-robot callbacks. DingTalk's `sign` covers only the timestamp, so a
 * captured `timestamp`+`sign` pair would pass verification for an hour with any body. Each pair
 * is remembered with the msgId it came with until its timestamp is too old to verify anyway; the
 * same pair with another msgId is a replay. The same msgId again is DingTalk re-delivering: the
 * reply memory answers it without running anything.
 */
import { MAX_SKEW_MS } from './verify-outgoing.ts'

/** What a pair was: new, seen with this msgId, seen with another one, or not checkable now. */
export type SignatureUse = 'new' | 'same_message' | 'replayed' | 'full'

export interface SignatureMemory {
  /** Records `timestamp`+`sign` as used by `msgId`, unless it was used before. */
  claim(pair: { timestamp: string; sign: string }, msgId: string, now: number): SignatureUse
  size(): number
}

/**
 * Pairs held at most. Only DingTalk can make a valid pair, one per @-mention, so this is two
 * hours of far more chat than any group has; past it new pairs are refused ('full') rather than
 * old ones forgotten early, which would let those be replayed.
 */
export const MAX_SIGNATURES = 20_000

/** How often expired pairs are swept out. */
const SWEEP_EVERY_MS = 60_000

/** Creates the memory. */
export function createSignatureMemory(maxEntries = MAX_SIGNATURES): SignatureMemory {
  const used = new Map<string, { msgId: string; expiresAt: number }>()
  let nextSweep = 0
  const sweep = (now: number) => {
    for (const [key, entry] of used) if (entry.expiresAt < now) used.delete(key)
    nextSweep = now + SWEEP_EVERY_MS
  }
  return {
    claim({ timestamp, sign }, msgId, now) {
      if (now >= nextSweep) sweep(now)
      const key = `${timestamp}\n${sign}`
      const seen = used.get(key)
      if (seen && seen.expiresAt >= now) return seen.msgId === msgId ? 'same_message' : 'replayed'
      if (used.size >= maxEntries) sweep(now)
      if (used.size >= maxEntries) return 'full'
      // verifyOutgoing takes a timestamp up to MAX_SKEW_MS old: the pair is live until then.
      used.set(key, { msgId, expiresAt: Number(timestamp) + MAX_SKEW_MS })
      return 'new'
    },
    size: () => used.size,
  }
}
