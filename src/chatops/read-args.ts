/**
 * Applies a command's argument schema to a parsed command line: aliases to canonical keys,
 * unknown and repeated keys refused, bare words placed, values validated. Every refusal is a
 * `UserError` naming the key, and nothing has run yet when it is thrown.
 */
import type { z } from 'zod'
import type { Strings } from '../i18n/strings.ts'
import { clip } from './markdown.ts'
import type { CommandLine } from './parse-command-line.ts'
import { UserError } from './user-error.ts'

/** Other names for argument keys (keys are compared lower-cased). */
export const KEY_ALIASES: Readonly<Record<string, string>> = {
  namespace: 'ns',
  命名空间: 'ns',
  类型: 'kind',
  名称: 'name',
  名字: 'name',
  原因: 'reason',
  type: 'level',
  级别: 'level',
  时间: 'since',
  数量: 'limit',
  条数: 'limit',
  duration: 'for',
  时长: 'for',
}

/** Validates `line` against `schema`; returns the schema's output. */
export function readArgs<S extends z.ZodObject>(
  schema: S,
  positional: readonly string[],
  line: CommandLine,
): z.output<S> {
  const keys = Object.keys(schema.shape)
  const input: Record<string, string> = {}
  const put = (key: string, value: string) => {
    if (key in input) throw new UserError('duplicate_key', (s) => s.chat.givenTwice(key))
    input[key] = value
  }
  for (const { key, value } of line.args) {
    const canonical = KEY_ALIASES[key] ?? key
    if (!keys.includes(canonical)) {
      const typed = clip(key, 30)
      const takes = keys.map((k) => `${k}=`).join(' ')
      throw new UserError('unknown_key', (s) =>
        keys.length === 0 ? s.chat.noArguments(typed) : s.chat.unknownKey(typed, takes),
      )
    }
    if (value.trim() === '') {
      throw new UserError('bad_value', (s) => s.chat.emptyValue(canonical))
    }
    put(canonical, value)
  }
  line.words.forEach((word, i) => {
    const key = positional[i]
    if (key === undefined) {
      const typed = clip(word, 40)
      throw new UserError('unexpected_argument', (s) => s.chat.unexpectedWord(typed))
    }
    put(key, word)
  })
  const parsed = schema.safeParse(input)
  if (parsed.success) return parsed.data
  const issue = parsed.error.issues[0]
  const key = String(issue?.path[0] ?? 'arguments')
  if (issue?.code === 'invalid_type')
    throw new UserError('missing_key', (s) => s.chat.required(key))
  const say = (issue?.code === 'custom' ? issue.params?.say : undefined) as
    | ((strings: Strings) => string)
    | undefined
  throw new UserError('bad_value', (s) => `${key}: ${say?.(s) ?? issue?.message ?? 'is not valid'}`)
}
