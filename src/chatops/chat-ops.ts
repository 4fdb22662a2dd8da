/**
 * ChatOps assembled: the command registry, the dispatcher and the sessionWebhook replier,
 * shared by the HTTP callback and Stream mode so a msgId is never run twice whichever way it
 * came in.
 */
import { createCommandRegistry } from './command-registry.ts'
import type { CommandInfo } from './context.ts'
import type { Command } from './define-command.ts'
import {
  type ChatFootprint,
  type ChatMemoryLimits,
  type ChatServices,
  type CommandCount,
  createDispatcher,
  type Dispatched,
} from './dispatcher.ts'
import type { InboundMessage } from './inbound-message.ts'
import type { Logger } from './logger.ts'
import { postToSessionWebhook } from './session-webhook.ts'
import { toDingTalkMessage } from './to-dingtalk-message.ts'

export interface ChatOpsDeps {
  /** The command list (`commands/index.ts`); duplicates fail here, at start-up. */
  commands: readonly Command[]
  services: ChatServices
  admins: readonly string[]
  conversations: readonly string[]
  /** Used for sessionWebhook replies. */
  fetch: typeof fetch
  now: () => number
  logger: Logger
  /** `dingtalk.outgoing.commandsPerMinute`. */
  perSenderPerMinute?: number
  memoryLimits?: ChatMemoryLimits
}

export interface ChatOps {
  /** Runs a message's command (or recalls its reply); the caller sends the reply. */
  dispatch(message: InboundMessage): Promise<Dispatched>
  /**
   * Runs a message's command and posts the reply to its sessionWebhook (app robot HTTP mode,
   * Stream). A re-delivered msgId is not posted again: the group already has that reply.
   * Never rejects.
   */
  answerViaSessionWebhook(message: InboundMessage): Promise<void>
  /** Commands run so far, by command and result. */
  stats(): CommandCount[]
  /** What the reply memory and the rate limits hold now; capped by `ChatMemoryLimits`. */
  footprint(): ChatFootprint
  /** Resolves when every reply in flight has been posted (or given up). */
  idle(): Promise<void>
  readonly commands: readonly CommandInfo[]
}

/** Creates ChatOps. Throws when two commands share a name or alias. */
export function createChatOps(deps: ChatOpsDeps): ChatOps {
  const registry = createCommandRegistry(deps.commands)
  const dispatcher = createDispatcher({ ...deps, registry })
  const inFlight = new Set<Promise<void>>()

  const answer = async (message: InboundMessage) => {
    const expiresAt = message.sessionWebhookExpiredTime
    if (expiresAt !== undefined && expiresAt <= deps.now()) {
      // Its answer could not reach anyone, and a change nobody sees confirmed is worse than none.
      deps.logger.warn(
        { msgId: message.msgId, expiredAt: new Date(expiresAt).toISOString() },
        'message arrived with an expired sessionWebhook: not run',
      )
      return
    }
    const { reply, replayed, quiet } = await dispatcher.dispatch(message)
    if (replayed || quiet) return
    await postToSessionWebhook(
      deps,
      { url: message.sessionWebhook, expiresAt: message.sessionWebhookExpiredTime },
      toDingTalkMessage(reply),
    )
  }

  return {
    dispatch: (message) => dispatcher.dispatch(message),
    stats: () => dispatcher.stats(),
    footprint: () => dispatcher.footprint(),
    answerViaSessionWebhook(message) {
      const done = answer(message)
        .catch((err: unknown) => {
          deps.logger.error({ err, msgId: message.msgId }, 'answering a chat message failed')
        })
        .finally(() => inFlight.delete(done))
      inFlight.add(done)
      return done
    },
    async idle() {
      while (inFlight.size > 0) await Promise.all(inFlight)
    },
    commands: registry.list,
  }
}
