/**
 * Turns a draft (title, labelled lines, mentions) into the DingTalk message a robot takes:
 * markdown or text, untrusted values escaped, the route's mentions written into the text and the
 * `at` field, one of the robot's keywords present, and the body under the size limit.
 */
import type { RobotConfig } from '../config/schema.ts'
import type { DingTalkAt, DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import { toWireBytes } from '../dingtalk/dingtalk-message.ts'
import {
  escapeMarkdown,
  escapeMarkdownChar,
  escapeText,
  escapeTextChar,
  fitEscaped,
} from '../dingtalk/escape-markdown.ts'
import type { Mentions } from './outbox-message.ts'

/** What every renderer needs to know about where the message goes. */
export interface RenderOptions {
  robot: Pick<RobotConfig, 'name' | 'keywords' | 'msgType'>
  /** The cluster label shown in every message. */
  cluster: string
  /** End alerts with a click-to-mute link (`alerting.muteLinks`). */
  muteLinks: boolean
  /** Cap on the JSON body in bytes; default 18,000, under DingTalk's 20,000. */
  maxBytes?: number
  /** Zone for times shown; default the process's. */
  timeZone?: string
}

/** Default body cap: DingTalk refuses over 20,000 bytes; the margin absorbs counting differences. */
export const DEFAULT_MAX_BYTES = 18_000

/**
 * One line of a draft. Values are untrusted and escaped here. `fill` marks the one value that is
 * cut to make the body fit (the event message). `item` is a list entry. `trusted` is kubeding's
 * own markup, written as is (markdown and its text-message equivalent).
 */
export type DraftLine =
  | { label: string; value: string; fill?: boolean }
  | { item: string }
  | { trusted: { markdown: string; text: string } }

export interface Draft {
  /** Plain text shown in the notification; untrusted parts allowed. */
  title: string
  lines: DraftLine[]
  at: Mentions
}

const TITLE_MAX_BYTES = 300
/** A draft that mentions nobody. */
export const NO_MENTIONS: Mentions = { mobiles: [], userIds: [], all: false }

/** Builds the message for the robot's `msgType`, fitting the `fill` value into the size cap. */
export function composeMessage(draft: Draft, options: RenderOptions): DingTalkMessage {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES
  const markdown = options.robot.msgType !== 'text'
  const title = fitEscaped(draft.title, TITLE_MAX_BYTES, escapeTextChar)
  const build = (fill: string | undefined) =>
    markdown
      ? toMarkdown(title, draft, fill, options.robot.keywords)
      : toText(title, draft, fill, options.robot.keywords)
  const fillLine = draft.lines.find((l) => 'label' in l && l.fill === true) as
    | { value: string }
    | undefined
  const whole = build(undefined)
  if (!fillLine || toWireBytes(whole) <= maxBytes) return whole
  const spare = maxBytes - toWireBytes(build(''))
  const escapeChar = markdown ? escapeMarkdownChar : escapeTextChar
  return build(fitEscaped(fillLine.value, Math.max(0, spare), escapeChar))
}

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

function toMarkdown(
  title: string,
  draft: Draft,
  fill: string | undefined,
  keywords: readonly string[],
): DingTalkMessage {
  const lines = [`#### ${escapeMarkdown(title)}`]
  for (const line of draft.lines) {
    if ('trusted' in line) lines.push(line.trusted.markdown)
    else if ('item' in line) lines.push(`- ${escapeMarkdown(line.item)}`)
    else {
      const value = line.fill && fill !== undefined ? fill : escapeMarkdown(line.value)
      lines.push(`**${line.label}:** ${value}`)
    }
  }
  const mentions = mentionText(draft.at)
  if (mentions) lines.push(mentions)
  const at = toAt(draft.at)
  // A single \n often does not break a line in DingTalk's markdown: paragraphs do.
  const text = withKeyword(lines, keywords).join('\n\n')
  return { msgtype: 'markdown', markdown: { title, text }, ...(at ? { at } : {}) }
}

function toText(
  title: string,
  draft: Draft,
  fill: string | undefined,
  keywords: readonly string[],
): DingTalkMessage {
  const lines = [title]
  for (const line of draft.lines) {
    if ('trusted' in line) lines.push(line.trusted.text)
    else if ('item' in line) lines.push(`- ${escapeText(line.item)}`)
    else {
      const value = line.fill && fill !== undefined ? fill : escapeText(line.value)
      lines.push(`${line.label}: ${value}`)
    }
  }
  const mentions = mentionText(draft.at)
  if (mentions) lines.push(mentions)
  const at = toAt(draft.at)
  const content = withKeyword(lines, keywords).join('\n')
  return { msgtype: 'text', text: { content }, ...(at ? { at } : {}) }
}
