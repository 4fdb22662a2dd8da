/**
 * How many commands the bot takes: per sender (`dingtalk.outgoing.commandsPerMinute`), per
 * group, and for everyone together. The sender and group ids come from the message body, so
 * changing `senderStaffId` gets past the first limit but not the other two. The excess gets one
 * polite "try again in Ns" per sender (or group) and budget, then nothing until the budget frees.
 */
import { createRollingLimit } from './rolling-limit.ts'
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

/** A busy group has a few people typing at once; everyone together, a few busy groups. */
export const CONVERSATION_FACTOR = 3
export const EVERYONE_FACTOR = 10

/** Creates the limits. */
export function createChatLimits(options: ChatLimitOptions): ChatLimits {
  const { perSenderPerMinute, maxKeys } = options
  const perConversation = CONVERSATION_FACTOR * perSenderPerMinute
  const perEveryone = EVERYONE_FACTOR * perSenderPerMinute
  const senders = createRollingLimit({ perMinute: perSenderPerMinute, maxKeys })
  const conversations = createRollingLimit({ perMinute: perConversation, maxKeys })
  const everyone = createRollingLimit({ perMinute: perEveryone, maxKeys: 1 })
  return {
    take(sender, conversation, now) {
      const bySender = senders.take(sender, now)
      if (bySender.waitMs > 0) {
        return refuse(
          'rate_limited',
          bySender,
          (wait) =>
            `You have sent ${perSenderPerMinute} commands in the last minute; please wait ${wait} and try again`,
        )
      }
      const byConversation = conversations.take(conversation, now)
      if (byConversation.waitMs > 0) {
        return refuse(
          'group_rate_limited',
          byConversation,
          (wait) =>
            `This group has sent ${perConversation} commands in the last minute; please wait ${wait} and try again`,
        )
      }
      const byEveryone = everyone.take('', now)
      if (byEveryone.waitMs > 0) {
        return refuse(
          'busy',
          byEveryone,
          (wait) =>
            `I have answered ${perEveryone} commands in the last minute, more than I take; please wait ${wait} and try again`,
        )
      }
      return undefined
    },
    size: () => ({ senders: senders.size(), conversations: conversations.size() }),
  }
}

function refuse(
  code: 'rate_limited' | 'group_rate_limited' | 'busy',
  taken: { waitMs: number; firstRefusal: boolean },
  say: (wait: string) => string,
): Refusal {
  const wait = `${Math.ceil(taken.waitMs / 1_000)}s`
  return { error: new UserError(code, say(wait)), quiet: !taken.firstRefusal }
}
