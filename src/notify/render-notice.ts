/** A notice to the group (e.g. "mute m3 ended: 12 alerts were held back") as a DingTalk message. */
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import { clipChars } from '../dingtalk/escape-markdown.ts'
import { composeMessage, NO_MENTIONS, type RenderOptions } from './compose-message.ts'
import type { NoticeMessage } from './outbox-message.ts'

/** Lines shown; a notice is a few lines, and this keeps any notice under the size limit. */
const MAX_LINES = 30
const MAX_LINE_CHARS = 400

/** Renders a notice: its title, the cluster, then each line (escaped: lines may quote chat input). */
export function renderNotice(message: NoticeMessage, options: RenderOptions): DingTalkMessage {
  const shown = message.lines
    .slice(0, MAX_LINES)
    .map((line) => ({ item: clipChars(line, MAX_LINE_CHARS) }))
  const more = message.lines.length - shown.length
  if (more > 0) shown.push({ item: `and ${more} more lines` })
  return composeMessage(
    {
      title: message.title,
      lines: [{ label: 'Cluster', value: options.cluster }, ...shown],
      at: NO_MENTIONS,
    },
    options,
  )
}
