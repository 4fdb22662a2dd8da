/**
 * Markdown that is safe by construction: the `md` tag escapes every interpolated value unless it
 * is itself `Markdown`, so a command cannot forget to escape event text.
 */
import { escapeLineStart, escapeMarkdown } from '../dingtalk/escape-markdown.ts'

const MARK = Symbol('markdown')

/** A piece of DingTalk markdown whose untrusted parts are escaped. */
export interface Markdown {
  readonly [MARK]: true
  readonly text: string
}

/** The text so far ends at the start of a line, where `- x` or `1. x` would make a list. */
const LINE_START = /(^|\n)[ \t]*$/

const wrap = (text: string): Markdown => ({ [MARK]: true, text })

/** True for values built by `md` or `joinMarkdown`. */
export const isMarkdown = (value: unknown): value is Markdown =>
  typeof value === 'object' && value !== null && MARK in value

/**
 * Template tag: the literal parts are trusted markdown written by us; each `${value}` is escaped
 * with `escapeMarkdown`, except values that are already `Markdown`.
 */
export function md(literals: TemplateStringsArray, ...values: unknown[]): Markdown {
  let text = literals[0] ?? ''
  values.forEach((value, i) => {
    const escapeValue = LINE_START.test(text) ? escapeLineStart : escapeMarkdown
    text += isMarkdown(value) ? value.text : escapeValue(String(value))
    text += literals[i + 1] ?? ''
  })
  return wrap(text)
}

/** Joins markdown pieces with a (trusted) separator. */
export function joinMarkdown(parts: readonly Markdown[], separator: string): Markdown {
  return wrap(parts.map((p) => p.text).join(separator))
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
