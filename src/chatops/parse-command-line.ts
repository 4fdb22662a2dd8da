/**
 * Turns the text of an @-mention into a command word and its `key=value` arguments, forgiving
 * what phones and DingTalk add: leading @mentions, full-width spaces and letters, smart quotes,
 * a sentence-ending dot, commas between arguments, spaces around `=`.
 */
import { UserError } from './user-error.ts'

/** One typed argument; `key` is lower-cased. */
export interface Arg {
  key: string
  value: string
}

/** A parsed chat command, before the command's own argument rules are applied. */
export interface CommandLine {
  /** The command word, lower-cased; '' when the text holds no command. */
  name: string
  /** `key=value` arguments in the order typed. */
  args: Arg[]
  /** Words that are not `key=value` (`unmute m3`). */
  words: string[]
}

interface Token {
  text: string
  quoted: boolean
  /** An unquoted `=`. */
  equals: boolean
  /** A separator came right before it. */
  spaced: boolean
}

const SMART_DOUBLE = /[“”„‟″「」『』]/g
const SMART_SINGLE = /[‘’‚‛′]/g
const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/g
/** Separators between arguments besides whitespace (after NFKC `，；` are `,;`). */
const SEPARATOR = /[\s,;、]/
/** Punctuation a phone keyboard leaves at the end of a word ("events ns=prod."). */
const TRAILING_PUNCTUATION = new Set(['.', '。', '!', '?', ':'])
/** Prefixes of a command word from other chat tools' habits (`/events`, `!events`). */
const COMMAND_PREFIX = /^[/!#.\\]+/

/**
 * Parses `text` (the message with the @robot removed). Throws `UserError('bad_syntax')` when an
 * `=` has no key in front of it or the command word is missing before arguments.
 */
export function parseCommandLine(text: string): CommandLine {
  const tokens = tokenize(normalize(text))
  while (tokens[0] && !tokens[0].quoted && /^@/.test(tokens[0].text)) tokens.shift()
  const first = tokens[0]
  if (!first) return { name: '', args: [], words: [] }
  if (first.equals || tokens[1]?.equals) {
    throw new UserError('bad_syntax', (s) => s.chat.commandWordFirst)
  }
  const name = first.text.replace(COMMAND_PREFIX, '').toLowerCase()
  const args: Arg[] = []
  const words: string[] = []
  let i = 1
  while (i < tokens.length) {
    const token = tokens[i] as Token
    if (token.equals) throw new UserError('bad_syntax', (s) => s.chat.equalsWithoutKey)
    if (!tokens[i + 1]?.equals) {
      words.push(token.text)
      i += 1
      continue
    }
    const key = token.text.replace(/^-+/, '').toLowerCase()
    const value = tokens[i + 2]
    // `ns= for=1h`: the spaced-off word after `=` is the next key, so this value was left empty.
    const after = tokens[i + 3]
    const valueIsNextKey = value?.spaced && !value.quoted && after?.equals && !after.spaced
    if (!value || value.equals || valueIsNextKey) {
      args.push({ key, value: '' })
      i += 2
    } else {
      args.push({ key, value: value.text })
      i += 3
    }
  }
  return { name, args, words }
}

/** NFKC folds full-width letters, digits, `＝` and the ideographic space to their ASCII forms. */
function normalize(text: string): string {
  return text
    .normalize('NFKC')
    .replace(INVISIBLE, '')
    .replace(SMART_DOUBLE, '"')
    .replace(SMART_SINGLE, "'")
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = []
  let word = ''
  let spaced = true
  const push = (token: Omit<Token, 'spaced'>) => {
    tokens.push({ ...token, spaced })
    spaced = false
  }
  const endWord = () => {
    const cleaned = word.slice(0, toTrimmedEnd(word))
    if (cleaned !== '') push({ text: cleaned, quoted: false, equals: false })
    word = ''
  }
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string
    if (SEPARATOR.test(c)) {
      endWord()
      spaced = true
    } else if (c === '=' && !(word !== '' && !spaced && tokens.at(-1)?.equals)) {
      // Only the first `=` of a word splits key from value: `content=a=b` keeps `a=b` whole.
      endWord()
      push({ text: '=', quoted: false, equals: true })
    } else if ((c === '"' || c === "'") && word === '') {
      // A quote opens a value only at the start of a word; an unclosed one runs to the end.
      const close = text.indexOf(c, i + 1)
      const end = close === -1 ? text.length : close
      push({ text: text.slice(i + 1, end), quoted: true, equals: false })
      i = end
    } else {
      word += c
    }
  }
  endWord()
  return tokens
}

/**
 * Where `word` ends once trailing punctuation is cut. A loop, not `/[.]+$/`: that regex retries
 * from every dot of a long run of dots and takes quadratic time on a hostile paste.
 */
function toTrimmedEnd(word: string): number {
  let end = word.length
  while (end > 0 && TRAILING_PUNCTUATION.has(word[end - 1] as string)) end--
  return end
}
