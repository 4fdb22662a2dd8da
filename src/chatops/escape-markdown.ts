/**
 * Makes untrusted text (event messages, object names, arguments typed in chat) inert inside a
 * DingTalk markdown message: it can show, but it cannot form a link, an image, a mention, an
 * HTML tag or a line of its own.
 */

/** Line breaks and other control characters: each would let text start a fake line. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
const BREAKS = /[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g
/** Bidirectional overrides and zero-width characters can disguise what a line says. */
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g
/**
 * Rule 1: link, image, HTML and mention syntax is replaced by look-alike characters rather than
 * backslash-escaped, because whether DingTalk's renderer honours backslashes is not documented:
 * a look-alike is inert whatever the renderer does.
 */
const LOOK_ALIKE: Readonly<Record<string, string>> = {
  '[': '［',
  ']': '］',
  '<': '‹',
  '>': '›',
  '@': '＠',
}
/** Rule 2: emphasis, code and heading marks are backslash-escaped (at worst a stray `\` shows). */
const EMPHASIS = /[\\*_~`#|]/g
/** Rule 3: list markers only act at the start of a line; `escapeLineStart` escapes them there. */
const LEADING_MARKER = /^(\s*)([-+]|\d+\.)/

/** Escapes `text` for use inside one line of DingTalk markdown. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(INVISIBLE, '')
    .replace(BREAKS, ' ')
    .replace(/[[\]<>@]/g, (c) => LOOK_ALIKE[c] ?? c)
    .replace(EMPHASIS, (c) => `\\${c}`)
}

/** Escapes `text` that starts a line: as `escapeMarkdown`, and a leading `-`, `+` or `1.` too. */
export function escapeLineStart(text: string): string {
  return escapeMarkdown(text).replace(
    LEADING_MARKER,
    (_m, space: string, marker: string) => `${space}\\${marker}`,
  )
}

/** Escapes `text` for a plain-text place such as a message title: one line, no markup. */
export function toPlainLine(text: string): string {
  return text.replace(INVISIBLE, '').replace(BREAKS, ' ').replace(/\s+/g, ' ').trim()
}
