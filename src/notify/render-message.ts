/** Picks the rendering for what leaves the outbox in one send: an alert, a notice, or a digest. */
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import type { RenderOptions } from './compose-message.ts'
import type { AlertMessage, OutboxMessage } from './outbox-message.ts'
import { renderAlert } from './render-alert.ts'
import { renderDigest } from './render-digest.ts'
import { renderNotice } from './render-notice.ts'

/** Renders one outbox message as it is. */
export function renderMessage(message: OutboxMessage, options: RenderOptions): DingTalkMessage {
  return message.kind === 'notice' ? renderNotice(message, options) : renderAlert(message, options)
}

/** One message for a batch of waiting alerts: the alert itself when alone, else their digest. */
export function renderBatch(
  messages: readonly AlertMessage[],
  options: RenderOptions,
): DingTalkMessage {
  const [only] = messages
  return messages.length === 1 && only
    ? renderAlert(only, options)
    : renderDigest(messages, options)
}
