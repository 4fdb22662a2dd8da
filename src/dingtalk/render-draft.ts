/**
 * The one DingTalk renderer: a neutral draft (`src/draft/message-draft.ts`) becomes the message a
 * robot or a sessionWebhook takes, markdown or text, with untrusted text escaped, the mentions
 * written into the text and the `at` field, one of the robot's keywords present, and the body
 * under the size budget (lists lose their last items, the free text is cut).
 */
import type { DraftBlock, Mentions, MessageDraft } from '../draft/message-draft.ts'
import type { DingTalkAt, DingTalkMessage } from './dingtalk-message.ts'
import { toWireBytes } from './dingtalk-message.ts'
import {
  escapeLeadingMarker,
  escapeLineStart,
  escapeMarkdown,
  escapeMarkdownChar,
  escapeText,
  escapeTextChar,
  fitEscaped,
  jsonBytes,
} from './escape-markdown.ts'
import { toDingTalkMarkdown, toDingTalkText } from './render-rich-text.ts'

/** Where the message goes: what shapes it beyond the draft. */
export interface RenderTarget {
  msgType: 'markdown' | 'text'
  /** The robot's keyword security setting; [] for none (chat replies). */
  keywords: readonly string[]
  /** Cap on the JSON body in bytes; default `DEFAULT_MAX_BYTES`. */
  maxBytes?: number
}

/**
 * The one size budget, for alerts and chat replies alike: DingTalk refuses bodies over 20,000
 * bytes; the margin absorbs counting differences on DingTalk's side.
 */
export const DEFAULT_MAX_BYTES = 18_000

const TITLE_MAX_BYTES = 300

/** How much of each shrinkable block is kept: items per list, and the free text as cut. */
interface Fit {
  kept: Map<DraftBlock, number>
  fill: string | undefined
}

/** Renders `draft` for `target`, within its size budget. */
export function renderDraft(draft: MessageDraft, target: RenderTarget): DingTalkMessage {
  const maxBytes = target.maxBytes ?? DEFAULT_MAX_BYTES
  const markdown = target.msgType !== 'text'
  const title = fitEscaped(draft.title, TITLE_MAX_BYTES, escapeTextChar)
  const fit: Fit = { kept: new Map(), fill: undefined }
  const build = () => toMessage(title, draft, fit, target, markdown)
  let message = build()
  if (toWireBytes(message) <= maxBytes) return message
  // Lists shrink first, the last list first: the free text is what the reader came for.
  const lists = draft.blocks.filter((b) => b.kind === 'list').reverse()
  for (const list of lists) {
    fit.kept.set(
      list,
      largestFitting(list.items.length, (n) => {
        fit.kept.set(list, n)
        return toWireBytes(build()) <= maxBytes
      }),
    )
    message = build()
    if (toWireBytes(message) <= maxBytes) return message
  }
  const fill = draft.blocks.find((b) => b.kind === 'fill')
  if (!fill) return message
  fit.fill = ''
  const spare = Math.max(0, maxBytes - toWireBytes(build()))
  fit.fill = fitFill(fill.text, spare, markdown)
  // The line-start escape can add a `\` the cut did not count: cut again with room for it.
  if (jsonBytes(fit.fill) > spare)
    fit.fill = fitFill(fill.text, Math.max(0, spare - jsonBytes('\\')), markdown)
  return build()
}

/**
 * The free text cut to `maxBytes`, then, in markdown, escaped at its start (which may add one
 * `\` past `maxBytes`): it opens a paragraph, where a leading `- `, `+ `, `1. ` or `---` would
 * make a list or a rule, so it is escaped as any untrusted text at a line start is.
 */
function fitFill(text: string, maxBytes: number, markdown: boolean): string {
  if (!markdown) return fitEscaped(text, maxBytes, escapeTextChar)
  return escapeLeadingMarker(fitEscaped(text, maxBytes, escapeMarkdownChar))
}

/** The largest n in [0, max] for which `fits(n)` holds (fits is monotonic); 0 when none does. */
function largestFitting(max: number, fits: (n: number) => boolean): number {
  let low = 0
  let high = max
  while (low < high) {
    const mid = Math.ceil((low + high) / 2)
    if (fits(mid)) low = mid
    else high = mid - 1
  }
  return low
}

function toMessage(
  title: string,
  draft: MessageDraft,
  fit: Fit,
  target: RenderTarget,
  markdown: boolean,
): DingTalkMessage {
  const lines: string[] = []
  for (const block of draft.blocks) lines.push(...toLines(block, fit, markdown))
  const mentions = mentionText(draft.at)
  if (mentions) lines.push(mentions)
  const withKey = withKeyword(lines, target.keywords)
  const at = toAt(draft.at)
  const extra = at ? { at } : {}
  // A single \n often does not break a line in DingTalk's markdown: paragraphs do.
  if (markdown) {
    return { msgtype: 'markdown', markdown: { title, text: withKey.join('\n\n') }, ...extra }
  }
  return { msgtype: 'text', text: { content: withKey.join('\n') }, ...extra }
}

function toLines(block: DraftBlock, fit: Fit, markdown: boolean): string[] {
  const rich = markdown ? toDingTalkMarkdown : toDingTalkText
  switch (block.kind) {
    case 'heading':
      return [markdown ? `#### ${rich(block.text)}` : rich(block.text)]
    case 'text':
      return [rich(block.text)]
    case 'fill':
      return [fit.fill ?? (markdown ? escapeLineStart(block.text) : escapeText(block.text))]
    case 'list': {
      const kept = fit.kept.get(block) ?? block.items.length
      const lines = block.items
        .slice(0, kept)
        .map((item) => (block.bullet ? `- ${rich(item)}` : rich(item)))
      const left = block.items.length - kept + (block.more ?? 0)
      if (left > 0) lines.push(rich(block.overflow(left)))
      return lines
    }
    case 'links':
      return block.links.length === 0 ? [] : [toLinksLine(block.links, markdown)]
  }
}

/**
 * `[静默 1 小时](dtmd://dingtalkclient/sendMessage?content=…)`: DingTalk's link that makes the
 * clicking user's client post the command into the chat. In a text message, the command itself.
 */
function toLinksLine(
  links: readonly { label: string; command: string }[],
  markdown: boolean,
): string {
  if (!markdown)
    return links.map((l) => `${escapeText(l.label)}: ${escapeText(l.command)}`).join('\n')
  return links
    .map(
      (l) =>
        `[${escapeMarkdown(l.label)}](dtmd://dingtalkclient/sendMessage?content=${encodeStrict(l.command)})`,
    )
    .join(' · ')
}

/**
 * encodeURIComponent leaves `( ) ! ' *` as they are; a `)` would end the markdown link early, so
 * they are encoded too and nothing from the event can leave the URL.
 */
export const encodeStrict = (text: string): string =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )

function toAt(at: Mentions): DingTalkAt | undefined {
  if (at.mobiles.length === 0 && at.userIds.length === 0 && !at.all) return undefined
  return {
    ...(at.mobiles.length > 0 ? { atMobiles: at.mobiles } : {}),
    ...(at.userIds.length > 0 ? { atUserIds: at.userIds } : {}),
    ...(at.all ? { isAtAll: true } : {}),
  }
}

/** DingTalk notifies only when the text itself carries `@<mobile>` / `@<userId>`. */
function mentionText(at: Mentions): string | undefined {
  const names = [...at.mobiles, ...at.userIds].map((m) => `@${m}`)
  if (at.all) names.push('@all')
  return names.length > 0 ? names.join(' ') : undefined
}

/** DingTalk's keyword setting refuses a message without one: add the first if none is there. */
function withKeyword(lines: string[], keywords: readonly string[]): string[] {
  const text = lines.join('\n')
  const first = keywords[0]
  if (first === undefined || keywords.some((k) => text.includes(k))) return lines
  return [...lines, first]
}
