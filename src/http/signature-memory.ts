/**
 * Replay protection for app-robot callbacks. DingTalk's `sign` covers only the timestamp, so a
 * captured `timestamp`+`sign` pair would pass verification for an hour with any body. Each pair
 * is remembered with the delivery it came with (its msgId and a digest of what the message says)
 * until its timestamp is too old to verify anyway; the same pair with another msgId, or with the
 * same msgId and another message, is a replay. Only the identical delivery again is DingTalk
 * re-delivering.
 *
 * The reply memory cannot stand in for this: it forgets a msgId an hour after it arrived (or
 * sooner when full, or at a restart), while a pair verifies until its timestamp is an hour old,
 * and a timestamp may be up to an hour ahead of our clock. Given a store, the pairs are kept
 * there too, so a restart does not forget them; they are kept as hashes, which cannot be turned
 * back into a `sign` that verifies.
 */
import { createHash } from 'node:crypto'
import type { InboundMessage } from '../chatops/inbound-message.ts'
import type { Logger } from '../chatops/logger.ts'
import type { Store } from '../store/open-store.ts'
import { MAX_SKEW_MS } from './verify-outgoing.ts'

/**
 * What a pair was: new, seen with this very delivery, seen with another msgId or another message
 * ('replayed'), or not checkable now.
 */
export type SignatureUse = 'new' | 'same_message' | 'replayed' | 'full'

/** One delivery of a signed callback: its msgId and a digest of what it asks (`toDelivery`). */
export interface Delivery {
  msgId: string
  body: string
}

export interface SignatureMemory {
  /** Records `timestamp`+`sign` as used by `delivery`, unless it was used before. */
  claim(pair: { timestamp: string; sign: string }, delivery: Delivery, now: number): SignatureUse
  size(): number
}

/**
 * Pairs held at most. Only DingTalk can make a valid pair, one per @-mention, so this is two
 * hours of far more chat than any group has; past it new pairs are refused ('full') rather than
 * old ones forgotten early, which would let those be replayed. The store holds no more rows.
 */
export const MAX_SIGNATURES = 20_000

/** How often expired pairs are swept out (from memory and from the store). */
const SWEEP_EVERY_MS = 60_000

const digest = (text: string) => createHash('sha256').update(text).digest('base64url')

/**
 * A delivery as the memory compares it: the msgId, and a digest of every field that decides what
 * runs, as whom, where, and where the answer goes. DingTalk's re-delivery repeats all of them.
 */
export function toDelivery(message: InboundMessage): Delivery {
  return {
    msgId: message.msgId,
    body: digest(
      JSON.stringify([
        message.msgtype,
        message.text?.content ?? null,
        message.conversationId,
        message.conversationType ?? null,
        message.senderId,
        message.senderStaffId ?? null,
        message.senderNick,
        message.sessionWebhook ?? null,
      ]),
    ),
  }
}

interface Entry {
  msgId: string
  body: string
  expiresAt: number
}

/** Where pairs outlive the process: the embedded store, and the log for its failures. */
export interface SignatureStore {
  store: Store
  logger: Logger
}

/**
 * Creates the memory. With `persist`, the pairs already in the store are taken in (a restart
 * remembers what the last process accepted) and every new pair is written there before it is
 * accepted. A pair the store cannot take is still remembered in memory and the failure logged:
 * chat keeps answering while the disk is full, protected against replays until the next restart.
 */
export function createSignatureMemory(
  maxEntries = MAX_SIGNATURES,
  persist?: SignatureStore,
): SignatureMemory {
  // Keyed by a hash of the pair: the memory and the store hold nothing that verifies.
  const used = new Map<string, Entry>()
  const db = persist ? openTable(persist.store) : undefined
  if (db) for (const row of db.load()) used.set(row.pair, row)
  let storeFailing = false
  const write = (what: string, fn: () => void) => {
    if (!db || !persist) return
    try {
      fn()
      if (storeFailing)
        persist.logger.info({}, 'used DingTalk callback signatures are stored again')
      storeFailing = false
    } catch (err) {
      if (!storeFailing) {
        persist.logger.error(
          { err: err instanceof Error ? err.message : String(err), doing: what },
          'used DingTalk callback signatures cannot be stored: replays are refused until kubeding restarts, not after',
        )
      }
      storeFailing = true
    }
  }
  let nextSweep = 0
  const sweep = (now: number) => {
    for (const [key, entry] of used) if (entry.expiresAt < now) used.delete(key)
    write('purging expired signatures', () => db?.purge(now))
    nextSweep = now + SWEEP_EVERY_MS
  }
  return {
    claim({ timestamp, sign }, delivery, now) {
      if (now >= nextSweep) sweep(now)
      const key = digest(`${timestamp}\n${sign}`)
      const msgId = digest(delivery.msgId)
      const seen = used.get(key)
      if (seen && seen.expiresAt >= now) {
        return seen.msgId === msgId && seen.body === delivery.body ? 'same_message' : 'replayed'
      }
      if (used.size >= maxEntries) sweep(now)
      if (used.size >= maxEntries) return 'full'
      // verifyOutgoing takes a timestamp up to MAX_SKEW_MS old: the pair is live until then.
      const entry = { msgId, body: delivery.body, expiresAt: Number(timestamp) + MAX_SKEW_MS }
      used.set(key, entry)
      write('recording a signature', () => db?.insert(key, entry))
      return 'new'
    },
    size: () => used.size,
  }
}

/** The store's `used_signatures` table (schema.ts), as the memory uses it. */
function openTable(store: Store) {
  const load = store.db.prepare('SELECT pair, msg_id, body, expires_at FROM used_signatures')
  const insert = store.db.prepare(
    'INSERT OR REPLACE INTO used_signatures (pair, msg_id, body, expires_at) VALUES (?, ?, ?, ?)',
  )
  const purge = store.db.prepare('DELETE FROM used_signatures WHERE expires_at < ?')
  return {
    load: () =>
      (load.all() as { pair: string; msg_id: string; body: string; expires_at: number }[]).map(
        (row) => ({
          pair: row.pair,
          msgId: row.msg_id,
          body: row.body,
          expiresAt: row.expires_at,
        }),
      ),
    insert: (pair: string, entry: Entry) => {
      store.tx(() => insert.run(pair, entry.msgId, entry.body, entry.expiresAt))
    },
    purge: (now: number) => {
      store.tx(() => purge.run(now))
    },
  }
}
