/**
 * A command's reply as the DingTalk message JSON the transports send: markdown, one paragraph
 * per line (a single newline often does not break a line in DingTalk), and always under
 * DingTalk's 20,000-byte limit.
 */

import { escapeMarkdown, toPlainLine } from '../dingtalk/escape-markdown.ts'
import type { Reply } from './context.ts'

/** A DingTalk markdown message (`{"msgtype":"markdown",...}`). */
export interface DingTalkMarkdown {
  msgtype: 'markdown'
  markdown: { title: string; text: string }
}

/** Room left under DingTalk's 20,000-byte limit for the JSON around the text and escaping. */
export const MAX_TEXT_BYTES = 16_000

const bytes = (text: string) => Buffer.byteLength(text, 'utf8')

/** Renders `reply`; lines that would pass the limit are left out and counted at the end. */
export function toDingTalkMessage(reply: Reply): DingTalkMarkdown {
  const title = toPlainLine(reply.title).slice(0, 100)
  let text = `#### ${escapeMarkdown(title)}`
  let used = bytes(text)
  const lines = reply.lines.map((l) => l.text)
  for (const [i, line] of lines.entries()) {
    const left = lines.length - i
    const note = `\n\n… ${left} more line${left === 1 ? '' : 's'} left out: narrow the query`
    const size = bytes(line) + 2
    const needsRoomForNote = i < lines.length - 1
    if (used + size + (needsRoomForNote ? bytes(note) : 0) > MAX_TEXT_BYTES) {
      text += note
      break
    }
    text += `\n\n${line}`
    used += size
  }
  return { msgtype: 'markdown', markdown: { title, text } }
}
