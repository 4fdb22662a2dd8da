/**
 * Replies remembered by DingTalk `msgId`: DingTalk re-delivers a message it thinks was not
 * taken (a slow HTTP answer, an unacknowledged Stream push), and a command must never run twice.
 */
import NodeCache from 'node-cache'
import type { Reply } from './context.ts'

export interface ReplyMemory {
  /** The reply (or the reply being made) for `msgId`, if it was seen. */
  recall(msgId: string): Promise<Reply> | undefined
  remember(msgId: string, reply: Promise<Reply>): void
  close(): void
}

/** How long a msgId is remembered; DingTalk re-delivers within minutes, not hours. */
export const REPLY_MEMORY_TTL_S = 3_600

/** Creates the memory. Holds promises, so a duplicate arriving mid-run waits for the same reply. */
export function createReplyMemory(ttlSeconds = REPLY_MEMORY_TTL_S): ReplyMemory {
  const cache = new NodeCache({ stdTTL: ttlSeconds, checkperiod: 60, useClones: false })
  return {
    recall: (msgId) => cache.get<Promise<Reply>>(msgId),
    remember: (msgId, reply) => {
      cache.set(msgId, reply)
    },
    close: () => cache.close(),
  }
}
