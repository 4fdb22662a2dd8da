/**
 * Makes untrusted text (event messages, object names, chat arguments) safe inside a DingTalk
 * message, for alerts and chat replies alike: it cannot add links, images, headings, quotes,
 * emphasis, mentions or lines of its own.
 */

/**
 * Rule 1: link, image, autolink, HTML and quote syntax becomes look-alike characters rather than
 * backslash escapes, because whether DingTalk's renderer honours backslashes is undocumented: a
 * look-alike is inert whatever the renderer does.
 */
const LOOK_ALIKE: ReadonlyMap<string, string> = new Map([
  ['[', '［'],
  [']', '］'],
  ['<', '‹'],
  ['>', '›'],
])
/** Rule 2: emphasis, code, heading and table marks are backslash-escaped (at worst a `\` shows). */
const MARKDOWN_CHARS = new Set(['\\', '`', '*', '_', '#', '~', '|', '!'])
/** Rule 3: list markers act only at the start of a line; `escapeLineStart` escapes them there. */
const LEADING_MARKER = /^(\s*)([-+]|\d+\.)/
/** Line breaks would let the text start a fake line: each becomes a space. */
const LINE_BREAKS = new Set(['\r', '\n', '\u2028', '\u2029', '\u0085', '\t', '\v', '\f'])
/** Other control and bidi-override characters are dropped: they can disguise what the text says. */
function isInvisible(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0
  return (
    c < 0x20 ||
    (c >= 0x7f && c <= 0x9f) ||
    (c >= 0x200b && c <= 0x200f) ||
    (c >= 0x202a && c <= 0x202e) ||
    (c >= 0x2060 && c <= 0x2069) ||
    c === 0xfeff
  )
}
/** `@` would write a mention (`@all`, `@13800000000`): the full-width ＠ reads the same and mentions nobody. */
const FULLWIDTH_AT = '\uff20'

/** Escapes one code point for markdown. */
export function escapeMarkdownChar(ch: string): string {
  if (LINE_BREAKS.has(ch)) return ' '
  if (isInvisible(ch)) return ''
  if (ch === '@') return FULLWIDTH_AT
  const lookAlike = LOOK_ALIKE.get(ch)
  if (lookAlike) return lookAlike
  return MARKDOWN_CHARS.has(ch) ? `\\${ch}` : ch
}

/** Escapes one code point for a `text` message, where only mentions and lines matter. */
export function escapeTextChar(ch: string): string {
  if (LINE_BREAKS.has(ch)) return ' '
  if (isInvisible(ch)) return ''
  return ch === '@' ? FULLWIDTH_AT : ch
}

/**
 * Untrusted text as one line of inert DingTalk markdown: `[x](http://evil)` shows as written,
 * `@all` mentions nobody, `\n# fake` stays on the same line as plain text.
 */
export function escapeMarkdown(text: string): string {
  let out = ''
  for (const ch of text) out += escapeMarkdownChar(ch)
  return out
}

/** As `escapeMarkdown`, for text that starts a line: a leading `-`, `+` or `1.` is escaped too. */
export function escapeLineStart(text: string): string {
  return escapeLeadingMarker(escapeMarkdown(text))
}

/**
 * Text already escaped with `escapeMarkdown` (or cut by `fitEscaped`), for a line start: a leading
 * `-`, `+` or `1.` (a list, or with `---` a rule) is escaped. Adds at most one `\`.
 */
export function escapeLeadingMarker(escaped: string): string {
  return escaped.replace(
    LEADING_MARKER,
    (_m, space: string, marker: string) => `${space}\\${marker}`,
  )
}

/** Untrusted text for a plain-text place such as a message title: one line, no markup. */
export function toPlainLine(text: string): string {
  let out = ''
  for (const ch of text) out += LINE_BREAKS.has(ch) ? ' ' : isInvisible(ch) ? '' : ch
  return out.replace(/\s+/g, ' ').trim()
}

/** Untrusted text as one line of a `text` message (no markdown there; mentions and lines still matter). */
export function escapeText(text: string): string {
  let out = ''
  for (const ch of text) out += escapeTextChar(ch)
  return out
}

const ELLIPSIS = '…'

/** `text` cut to at most `maxChars` code points (never half a character), marked with `…` when cut. */
export function clipChars(text: string, maxChars: number): string {
  const chars = [...text]
  return chars.length > maxChars ? `${chars.slice(0, maxChars).join('')}${ELLIPSIS}` : text
}

/** Bytes a piece of text takes inside the JSON body (UTF-8, with JSON's own escapes). */
export const jsonBytes = (text: string): number =>
  Buffer.byteLength(JSON.stringify(text), 'utf8') - 2

/**
 * `text` escaped with `escapeChar` and cut so that it takes at most `maxBytes` inside the JSON
 * body, ending with `…` when cut. Cuts fall between code points, never inside an escape or a
 * multi-byte character.
 */
export function fitEscaped(
  text: string,
  maxBytes: number,
  escapeChar: (ch: string) => string,
): string {
  const budget = maxBytes - jsonBytes(ELLIPSIS)
  let out = ''
  let used = 0
  let fitsWithEllipsis = 0
  for (const ch of text) {
    const piece = escapeChar(ch)
    used += jsonBytes(piece)
    if (used > maxBytes) {
      return budget >= 0 ? `${out.slice(0, fitsWithEllipsis)}${ELLIPSIS}` : ''
    }
    out += piece
    if (used <= budget) fitsWithEllipsis = out.length
  }
  return out
}
