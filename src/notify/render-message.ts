/** Picks the rendering for what leaves the outbox in one send: an alert, a notice, a node condition, or a digest. */
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import type { RenderOptions } from './compose-message.ts'
import type { AlertMessage, NodeConditionMessage, OutboxMessage } from './outbox-message.ts'
import { renderAlert } from './render-alert.ts'
import { renderDigest } from './render-digest.ts'
import { renderNodeCondition, toDigestEntry } from './render-node-condition.ts'
import { renderNotice } from './render-notice.ts'

/** What a digest merges: alerts and node condition messages (notices go alone). */
export type DigestMessage = AlertMessage | NodeConditionMessage

/** Renders one outbox message as it is. */
export function renderMessage(message: OutboxMessage, options: RenderOptions): DingTalkMessage {
  if (message.kind === 'notice') return renderNotice(message, options)
  if ('node' in message) return renderNodeCondition(message, options)
  return renderAlert(message, options)
}

/** One message for a batch of waiting messages: the message itself when alone, else their digest. */
export function renderBatch(
  messages: readonly DigestMessage[],
  options: RenderOptions,
): DingTalkMessage {
  const [only] = messages
  if (messages.length === 1 && only) return renderMessage(only, options)
  return renderDigest(
    messages.map((m) => ('node' in m ? toDigestEntry(m) : m)),
    options,
  )
}
