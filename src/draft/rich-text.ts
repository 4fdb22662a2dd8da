/**
 * Rich text that is safe by construction and says nothing about any chat platform: the `md` tag
 * keeps our own markup (literals) apart from untrusted values, and each platform's renderer
 * (`src/dingtalk/render-rich-text.ts`) escapes the values its own way, so a command or an alert
 * cannot forget to escape event text. Literals use a small markdown: `**bold**` and `  \n`.
 */

const MARK = Symbol('rich-text')

/** A piece of text: ours (`trusted`) or someone else's (`untrusted`, escaped when rendered). */
export type RichPart =
  | { trusted: string }
  /** `lineStart`: the value starts a line, where `- x` or `1. x` would make a list. */
  | { untrusted: string; lineStart: boolean }

/** Rich text: our markup with untrusted values kept apart. */
export interface Markdown {
  readonly [MARK]: true
  readonly parts: readonly RichPart[]
}

/** The text so far ends at the start of a line. */
const LINE_START = /(^|\n)[ \t]*$/

const wrap = (parts: readonly RichPart[]): Markdown => ({ [MARK]: true, parts })

/** True for values built by `md`, `joinMarkdown` or `trusted`. */
export const isMarkdown = (value: unknown): value is Markdown =>
  typeof value === 'object' && value !== null && MARK in value

/**
 * Template tag: the literal parts are trusted markup written by us; each `${value}` is untrusted
 * text, except values that are already `Markdown`.
 */
export function md(literals: TemplateStringsArray, ...values: unknown[]): Markdown {
  const parts: RichPart[] = []
  let sofar = ''
  const push = (part: RichPart) => {
    parts.push(part)
    sofar = 'trusted' in part ? sofar + part.trusted : `${sofar}${part.untrusted}`
  }
  if (literals[0]) push({ trusted: literals[0] })
  values.forEach((value, i) => {
    if (isMarkdown(value)) for (const part of value.parts) push(part)
    else push({ untrusted: String(value), lineStart: LINE_START.test(sofar) })
    const literal = literals[i + 1]
    if (literal) push({ trusted: literal })
  })
  return wrap(parts)
}

/** Joins rich-text pieces with a (trusted) separator. */
export function joinMarkdown(pieces: readonly Markdown[], separator: string): Markdown {
  const parts: RichPart[] = []
  pieces.forEach((piece, i) => {
    if (i > 0 && separator !== '') parts.push({ trusted: separator })
    parts.push(...piece.parts)
  })
  return wrap(parts)
}

/**
 * Shortens text for a one-line summary: whitespace runs become one space and anything past `max`
 * characters becomes `…`. Counts code points, so CJK text and emoji are not cut in half.
 */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  const chars = Array.from(flat)
  return chars.length <= max ? flat : `${chars.slice(0, max - 1).join('')}…`
}
