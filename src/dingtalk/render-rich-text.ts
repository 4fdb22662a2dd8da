/**
 * Rich text (`src/draft/rich-text.ts`) as DingTalk writes it: our markup kept, every untrusted
 * value escaped (`escape-markdown.ts`), in a markdown message or a plain `text` message.
 */
import type { Markdown } from '../draft/rich-text.ts'
import { escapeLineStart, escapeMarkdown, escapeText } from './escape-markdown.ts'

/** DingTalk markdown. */
export function toDingTalkMarkdown(text: Markdown): string {
  let out = ''
  for (const part of text.parts) {
    if ('trusted' in part) out += part.trusted
    else out += part.lineStart ? escapeLineStart(part.untrusted) : escapeMarkdown(part.untrusted)
  }
  return out
}

/** Our markup as plain text: `**` dropped, a markdown line break (`  \n`) a newline. */
const toPlainMarkup = (trusted: string): string =>
  trusted.replaceAll('**', '').replaceAll('  \n', '\n')

/** A `text` message's content: no markup; untrusted values still cannot mention or add lines. */
export function toDingTalkText(text: Markdown): string {
  let out = ''
  for (const part of text.parts) {
    out += 'trusted' in part ? toPlainMarkup(part.trusted) : escapeText(part.untrusted)
  }
  return out
}
