/**
 * Picks the draft for what leaves the outbox in one send (an alert, a node message, a notice, or
 * a digest of several) and has the DingTalk renderer shape it for the robot.
 */
import type { RobotConfig } from '../config/schema.ts'
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import { renderDraft } from '../dingtalk/render-draft.ts'
import type { MessageDraft } from '../draft/message-draft.ts'
import { DEFAULT_LANGUAGE, type Language } from '../i18n/language.ts'
import { toStrings } from '../i18n/to-strings.ts'
import { toAlertDraft } from './draft-alert.ts'
import type { DraftContext } from './draft-context.ts'
import { toDigestDraft } from './draft-digest.ts'
import { toNodeDraft } from './draft-node.ts'
import { toNoticeDraft } from './draft-notice.ts'
import type { OutboxMessage } from './outbox-message.ts'

/** What rendering needs to know about where the message goes and how to word it. */
export interface RenderOptions {
  robot: Pick<RobotConfig, 'name' | 'keywords' | 'msgType'>
  /** The cluster label shown in every message. */
  cluster: string
  /** End alerts with a click-to-mute link (`alerting.muteLinks`). */
  muteLinks: boolean
  /** `language` from the config; default zh-CN. */
  language?: Language
  /** The clock relative times are counted from; default Date.now. */
  now?: () => number
  /** Cap on the JSON body in bytes; default the renderer's. */
  maxBytes?: number
}

function toContext(options: RenderOptions): DraftContext {
  return {
    cluster: options.cluster,
    muteLinks: options.muteLinks,
    strings: toStrings(options.language ?? DEFAULT_LANGUAGE),
    now: (options.now ?? Date.now)(),
  }
}

function render(draft: MessageDraft, options: RenderOptions): DingTalkMessage {
  const { msgType, keywords } = options.robot
  return renderDraft(draft, {
    msgType,
    keywords,
    ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
  })
}

/** The draft of one outbox message as it is. */
export function toMessageDraft(message: OutboxMessage, ctx: DraftContext): MessageDraft {
  switch (message.kind) {
    case 'notice':
      return toNoticeDraft(message, ctx)
    case 'node-problem':
    case 'node-resolved':
      return toNodeDraft(message, ctx)
    default:
      return toAlertDraft(message, ctx)
  }
}

/** Renders one outbox message as it is. */
export function renderMessage(message: OutboxMessage, options: RenderOptions): DingTalkMessage {
  return render(toMessageDraft(message, toContext(options)), options)
}

/** One message for a batch of waiting messages: the message itself when alone, else their digest. */
export function renderBatch(
  messages: readonly OutboxMessage[],
  options: RenderOptions,
): DingTalkMessage {
  const [only] = messages
  const ctx = toContext(options)
  return render(
    messages.length === 1 && only ? toMessageDraft(only, ctx) : toDigestDraft(messages, ctx),
    options,
  )
}
