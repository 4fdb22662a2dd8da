/**
 * ChatOps assembled: the command registry, the dispatcher and the sessionWebhook replier,
 * shared by the HTTP callback and Stream mode so a msgId is never run twice whichever way it
 * came in.
 */
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import { renderDraft } from '../dingtalk/render-draft.ts'
import { createSessionSender } from '../dingtalk/session-webhook.ts'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/language.ts'
import { toStrings } from '../i18n/to-strings.ts'
import { createCommandRegistry } from './command-registry.ts'
import type { CommandInfo, Reply } from './context.ts'
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
import { toReplyDraft } from './to-reply-draft.ts'

export interface ChatOpsDeps {
  /** The command list (`commands/index.ts`); duplicates fail here, at start-up. */
  commands: readonly Command[]
  services: Omit<ChatServices, 'strings'>
  admins: readonly string[]
  conversations: readonly string[]
  /** `language` from the config; default zh-CN. */
  language?: Language
  /** The configured robot webhooks: sessionWebhooks on their hosts are posted to, besides DingTalk's. */
  robotWebhooks?: readonly string[]
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
  /** A reply as the DingTalk message that carries it (the HTTP response of a custom robot). */
  toMessage(reply: Reply): DingTalkMessage
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
  const strings = toStrings(deps.language ?? DEFAULT_LANGUAGE)
  const registry = createCommandRegistry(deps.commands)
  const dispatcher = createDispatcher({
    ...deps,
    services: { ...deps.services, strings },
    registry,
  })
  const session = createSessionSender({ ...deps, robotWebhooks: deps.robotWebhooks ?? [] })
  const inFlight = new Set<Promise<void>>()
  const toMessage = (reply: Reply) =>
    renderDraft(toReplyDraft(reply, strings), { msgType: 'markdown', keywords: [] })

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
    await session.send(
      { url: message.sessionWebhook, expiresAt: message.sessionWebhookExpiredTime },
      toMessage(reply),
    )
  }

  return {
    dispatch: (message) => dispatcher.dispatch(message),
    toMessage,
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
