/**
 * Answers remembered by DingTalk `msgId`: DingTalk re-delivers a message it thinks was not
 * taken (a slow HTTP answer, an unacknowledged Stream push), and a command must never run twice.
 * msgIds come from the body, so the memory is capped in entries and bytes as well as in time:
 * when full, the oldest answer is forgotten first.
 */

/** What a message got: the reply, and whether it is left unsent (see `Dispatched.quiet`). */
export interface Answer<R> {
  reply: R
  quiet: boolean
}

export interface ReplyMemory<R> {
  /** The answer (or the answer being made) for `msgId`, if it is remembered. */
  recall(msgId: string, now: number): Promise<Answer<R>> | undefined
  remember(msgId: string, answer: Promise<Answer<R>>, now: number): void
  /** Entries and bytes held now. */
  size(): { entries: number; bytes: number }
}

export interface ReplyMemoryLimits {
  /** How long a msgId is remembered: DingTalk re-delivers within minutes, and a signed callback is valid for an hour. */
  ttlMs: number
  maxEntries: number
  /** Counted as the UTF-16 size of the msgId and of the reply as JSON. */
  maxBytes: number
}

/** Room for an hour of the busiest traffic the rate limits let through, and no more. */
export const REPLY_MEMORY_LIMITS: ReplyMemoryLimits = {
  ttlMs: 3_600_000,
  maxEntries: 10_000,
  maxBytes: 16 * 1024 * 1024,
}

/** While a reply is being made its size is unknown: it counts as this much until it is ready. */
const PENDING_BYTES = 1_024

interface Entry<R> {
  answer: Promise<Answer<R>>
  at: number
  bytes: number
}

/** Creates the memory. Holds promises, so a duplicate arriving mid-run waits for the same reply. */
export function createReplyMemory<R>(
  limits: ReplyMemoryLimits = REPLY_MEMORY_LIMITS,
): ReplyMemory<R> {
  /** Insertion order is arrival order: the first entry is always the oldest. */
  const entries = new Map<string, Entry<R>>()
  let bytes = 0

  const forget = (msgId: string, entry: Entry<R>) => {
    entries.delete(msgId)
    bytes -= entry.bytes
  }
  const trim = (now: number) => {
    for (const [msgId, entry] of entries) {
      const over = entries.size > limits.maxEntries || bytes > limits.maxBytes
      if (!over && entry.at + limits.ttlMs > now) break
      forget(msgId, entry)
    }
  }

  return {
    recall(msgId, now) {
      trim(now)
      return entries.get(msgId)?.answer
    },
    remember(msgId, answer, now) {
      const previous = entries.get(msgId)
      if (previous) forget(msgId, previous)
      const entry: Entry<R> = { answer, at: now, bytes: 2 * msgId.length + PENDING_BYTES }
      entries.set(msgId, entry)
      bytes += entry.bytes
      trim(now)
      answer.then(
        (settled) => {
          if (entries.get(msgId) !== entry) return
          const size = 2 * (msgId.length + JSON.stringify(settled.reply).length)
          bytes += size - entry.bytes
          entry.bytes = size
          trim(now)
        },
        () => {
          // A failed answer is not remembered: the re-delivery may run it again.
          if (entries.get(msgId) === entry) forget(msgId, entry)
        },
      )
    },
    size: () => ({ entries: entries.size, bytes }),
  }
}
