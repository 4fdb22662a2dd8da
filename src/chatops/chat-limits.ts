/**
 * How many commands the bot takes: per sender (`dingtalk.outgoing.commandsPerMinute`), per
 * group, and for everyone together. The sender and group ids come from the message body, so
 * changing `senderStaffId` gets past the first limit but not the other two. The excess gets one
 * polite "try again in Ns" per sender (or group) and budget, then nothing until the budget frees.
 */

import type { Strings } from '../i18n/strings.ts'
import { createRollingLimit, type RollingLimit } from './rolling-limit.ts'
import { UserError } from './user-error.ts'

/** A command refused for its rate; `quiet` when the sender was already told so. */
export interface Refusal {
  error: UserError
  quiet: boolean
}

export interface ChatLimits {
  /** Takes one command from every budget it counts against; a refusal when one is spent. */
  take(sender: string, conversation: string, now: number): Refusal | undefined
  /** Senders and groups remembered now. */
  size(): { senders: number; conversations: number }
}

export interface ChatLimitOptions {
  perSenderPerMinute: number
  /** Senders and groups remembered at most, each; the longest quiet is forgotten first. */
  maxKeys: number
}

type RateCode = 'rate_limited' | 'group_rate_limited' | 'busy'

/** A busy group has a few people typing at once; everyone together, a few busy groups. */
const CONVERSATION_FACTOR = 3
const EVERYONE_FACTOR = 10

/** Creates the limits. */
export function createChatLimits(options: ChatLimitOptions): ChatLimits {
  const { perSenderPerMinute, maxKeys } = options
  const perConversation = CONVERSATION_FACTOR * perSenderPerMinute
  const perEveryone = EVERYONE_FACTOR * perSenderPerMinute
  const senders = createRollingLimit({ perMinute: perSenderPerMinute, maxKeys })
  const conversations = createRollingLimit({ perMinute: perConversation, maxKeys })
  const everyone = createRollingLimit({ perMinute: perEveryone, maxKeys: 1 })
  /** Checked in this order; a spent budget stops the check before the next one is taken from. */
  const budgets: Array<{
    limit: RollingLimit
    key: (sender: string, conversation: string) => string
    code: RateCode
    say: (strings: Strings, waitSeconds: number) => string
  }> = [
    {
      limit: senders,
      key: (sender) => sender,
      code: 'rate_limited',
      say: (s, wait) => s.chat.rateLimited(perSenderPerMinute, wait),
    },
    {
      limit: conversations,
      key: (_, conversation) => conversation,
      code: 'group_rate_limited',
      say: (s, wait) => s.chat.groupRateLimited(perConversation, wait),
    },
    {
      limit: everyone,
      key: () => '',
      code: 'busy',
      say: (s, wait) => s.chat.busy(perEveryone, wait),
    },
  ]
  return {
    take(sender, conversation, now) {
      for (const { limit, key, code, say } of budgets) {
        const taken = limit.take(key(sender, conversation), now)
        if (taken.waitMs > 0) {
          const wait = Math.ceil(taken.waitMs / 1_000)
          const error = new UserError(code, (s) => say(s, wait))
          return { error, quiet: !taken.firstRefusal }
        }
      }
      return undefined
    },
    size: () => ({ senders: senders.size(), conversations: conversations.size() }),
  }
}
