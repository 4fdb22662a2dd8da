/**
 * A command's reply as a neutral message draft: its title as the heading, one paragraph per
 * line; lines that would pass the size budget are left out (by the renderer) and counted.
 */
import type { MessageDraft } from '../draft/message-draft.ts'
import { NO_MENTIONS } from '../draft/message-draft.ts'
import { md } from '../draft/rich-text.ts'
import type { Strings } from '../i18n/strings.ts'
import type { Reply } from './context.ts'

/** Longest title shown, in characters (DingTalk shows it in the notification). */
const TITLE_CHARS = 100

/** The reply as a draft, in the chat's language. */
export function toReplyDraft(reply: Reply, strings: Strings): MessageDraft {
  const title = [...reply.title.replace(/\s+/g, ' ').trim()].slice(0, TITLE_CHARS).join('')
  return {
    title,
    blocks: [
      { kind: 'heading', text: md`${title}` },
      {
        kind: 'list',
        bullet: false,
        items: reply.lines,
        overflow: (n) => md`${strings.chat.moreLines(n)}`,
      },
    ],
    at: NO_MENTIONS,
  }
}
