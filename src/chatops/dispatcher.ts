/**
 * From a validated @-mention to a reply: replay memory, the group allow-list, the per-sender
 * rate limit, parsing, the admin gate for write commands, the audit, and the two kinds of error
 * (style habit 6). It never sends: the caller picks the transport.
 */
import { randomBytes } from 'node:crypto'
import { createChatLimits } from './chat-limits.ts'
import type { CommandRegistry } from './command-registry.ts'
import type { CommandContext, Reply } from './context.ts'
import type { Command } from './define-command.ts'
import { toErrorReply, toSorryReply } from './error-reply.ts'
import type { InboundMessage } from './inbound-message.ts'
import type { Logger } from './logger.ts'
import { clip } from './markdown.ts'
import { parseCommandLine } from './parse-command-line.ts'
import {
  type Answer,
  createReplyMemory,
  REPLY_MEMORY_LIMITS,
  type ReplyMemoryLimits,
} from './reply-memory.ts'
import { isUserError, UserError } from './user-error.ts'

/** The stateful parts commands read and write; shared with the pipeline where it matters. */
export type ChatServices = Pick<
  CommandContext,
  'events' | 'mutes' | 'audit' | 'nodes' | 'status' | 'strings'
>

export interface DispatcherDeps {
  registry: CommandRegistry
  services: ChatServices
  /** senderStaffId or senderId allowed to run write commands; empty = everyone. */
  admins: readonly string[]
  /** conversationIds answered; empty = any. */
  conversations: readonly string[]
  now: () => number
  logger: Logger
  /** Commands one sender may run in a rolling minute (`dingtalk.outgoing.commandsPerMinute`, default 10). */
  perSenderPerMinute?: number
  /** Caps of what the dispatcher remembers (default `CHAT_MEMORY_LIMITS`); tests shrink them. */
  memoryLimits?: ChatMemoryLimits
}

/** What the dispatcher may hold, whatever the callers send. */
export interface ChatMemoryLimits {
  replies: ReplyMemoryLimits
  /** Senders and groups whose rate is tracked, each. */
  maxRateKeys: number
}

export const CHAT_MEMORY_LIMITS: ChatMemoryLimits = {
  replies: REPLY_MEMORY_LIMITS,
  maxRateKeys: 1_000,
}

/** A reply, and whether it came from memory (the msgId was seen before: nothing ran). */
export interface Dispatched {
  reply: Reply
  replayed: boolean
  /**
   * True when the reply must not be sent: a refusal for rate the sender was already given in
   * this budget. Answering each refused command would turn a flood into a flood of replies.
   */
  quiet: boolean
}

/** How much the dispatcher holds now: it stays under `ChatMemoryLimits`. */
export interface ChatFootprint {
  replies: number
  replyBytes: number
  senders: number
  conversations: number
}

/** How many commands ran, by command (`unknown` when none matched) and result (`ok` or a code). */
export interface CommandCount {
  command: string
  result: string
  count: number
}

export interface Dispatcher {
  dispatch(message: InboundMessage): Promise<Dispatched>
  /** Running totals for `/metrics`. Replays from memory are not counted: nothing ran. */
  stats(): CommandCount[]
  footprint(): ChatFootprint
}

/** Creates the dispatcher. */
export function createDispatcher(deps: DispatcherDeps): Dispatcher {
  const caps = deps.memoryLimits ?? CHAT_MEMORY_LIMITS
  const memory = createReplyMemory<Reply>(caps.replies)
  const limits = createChatLimits({
    perSenderPerMinute: deps.perSenderPerMinute ?? 10,
    maxKeys: caps.maxRateKeys,
  })
  const { registry, logger } = deps
  const counts = new Map<string, CommandCount>()
  const tally = (command: string, result: string) => {
    const key = `${command}\0${result}`
    const entry = counts.get(key) ?? { command, result, count: 0 }
    entry.count++
    counts.set(key, entry)
  }

  const run = async (message: InboundMessage, now: number): Promise<Answer<Reply>> => {
    const sender = { id: message.senderStaffId ?? message.senderId, name: message.senderNick }
    let command: Command | undefined
    let result = 'ok'
    const audit = (outcome: string) =>
      deps.services.audit.record({
        at: now,
        senderId: sender.id,
        senderName: sender.name,
        conversationId: message.conversationId,
        command: message.text?.content.trim() ?? '',
        outcome,
      })
    try {
      checkConversation(deps.conversations, message.conversationId)
      const refusal = limits.take(sender.id, message.conversationId, now)
      if (refusal) {
        result = refusal.error.code
        return {
          reply: toErrorReply(refusal.error, undefined, registry.list, deps.services.strings),
          quiet: refusal.quiet,
        }
      }
      if (message.msgtype !== 'text' || message.text === undefined) {
        throw new UserError('not_text', (s) => s.chat.notText)
      }
      const line = parseCommandLine(message.text.content)
      command = registry.find(line.name === '' ? 'help' : line.name)
      if (!command) {
        const word = clip(line.name, 40)
        throw new UserError('unknown_command', (s) => s.chat.unknownCommand(word))
      }
      if (command.write) checkAdmin(deps.admins, message, command.name)
      const reply = await command.run(line, {
        ...deps.services,
        now,
        sender,
        conversationId: message.conversationId,
        commands: registry.list,
      })
      if (command.write) audit(`ok: ${reply.title}`)
      return { reply, quiet: false }
    } catch (err) {
      if (isUserError(err)) {
        result = err.code
        if (command?.write) audit(`refused: ${err.code}`)
        return {
          reply: toErrorReply(err, command, registry.list, deps.services.strings),
          quiet: false,
        }
      }
      result = 'internal_error'
      const ref = randomBytes(4).toString('hex')
      logger.error(
        {
          err,
          ref,
          command: command?.name,
          conversationId: message.conversationId,
          sender: sender.id,
        },
        'chat command failed',
      )
      if (command?.write) audit(`failed: ${ref}`)
      return { reply: toSorryReply(ref, deps.services.strings), quiet: false }
    } finally {
      tally(command?.name ?? 'unknown', result)
    }
  }

  return {
    async dispatch(message) {
      const now = deps.now()
      const seen = memory.recall(message.msgId, now)
      if (seen) {
        logger.debug({ msgId: message.msgId }, 'message delivered again: answering from memory')
        return { ...(await seen), replayed: true }
      }
      // Remembered before the first await, so a duplicate arriving mid-run waits for this reply.
      const pending = run(message, now)
      memory.remember(message.msgId, pending, now)
      const { reply, quiet } = await pending
      logger.info(
        {
          msgId: message.msgId,
          sender: message.senderStaffId ?? message.senderId,
          conversationId: message.conversationId,
          reply: reply.title,
          code: reply.code,
          ...(quiet ? { quiet } : {}),
        },
        quiet
          ? 'chat command refused quietly: the sender was already told to wait'
          : 'chat command answered',
      )
      return { reply, replayed: false, quiet }
    },
    stats: () => [...counts.values()].map((c) => ({ ...c })),
    footprint() {
      const replies = memory.size()
      return { replies: replies.entries, replyBytes: replies.bytes, ...limits.size() }
    },
  }
}

function checkConversation(allowed: readonly string[], conversationId: string): void {
  if (allowed.length > 0 && !allowed.includes(conversationId)) {
    throw new UserError('conversation_not_allowed', (s) =>
      s.chat.conversationNotAllowed(conversationId),
    )
  }
}

function checkAdmin(admins: readonly string[], message: InboundMessage, command: string): void {
  const ids = [message.senderStaffId, message.senderId]
  if (admins.length > 0 && !ids.some((id) => id !== undefined && admins.includes(id))) {
    throw new UserError('not_admin', (s) => s.chat.notAdmin(command))
  }
}
