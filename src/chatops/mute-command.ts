/**
 * The mute command an alert's click-to-mute link sends. Whatever the event holds (spaces, emoji,
 * zero-width characters, quotes in a reason or a name), the command parses and each key it keeps
 * means exactly the event's value: values are quoted where the parser needs it, a name's
 * characters that no mute can name become the `*` wildcard, and a key that still would not come
 * back unchanged through `parseCommandLine` and the mute's argument rules is left out.
 */
import type { z } from 'zod'
import { kindArg, nameArg, namespaceArg, reasonArg } from './arg-values.ts'
import { parseCommandLine } from './parse-command-line.ts'

/** The fields of an event a mute link names. */
export interface MutedObject {
  namespace: string
  kind: string
  name: string
  reason: string
}

/** A character a mute's `name=` cannot take. */
const UNNAMEABLE = /[^A-Za-z0-9.:_-]/
/** Names are at most 253 characters; prefix and suffix share what is left around the `*`. */
const MAX_NAME_CHARS = 253

/** A value as typed: bare when it is one plain word, else in double quotes. */
const toTyped = (value: string): string =>
  /^[\p{L}\p{N}_*-]+(?:[.:][\p{L}\p{N}_*-]+)*$/u.test(value) ? value : `"${value}"`

/** `key=value` when the value survives the parser and the key's rule unchanged, else undefined. */
function toKey(key: string, value: string, rule: z.ZodType): string | undefined {
  if (value === '' || value.includes('"')) return undefined
  const typed = `${key}=${toTyped(value)}`
  let parsed: string | undefined
  try {
    parsed = parseCommandLine(`mute ${typed}`).args[0]?.value
  } catch {
    return undefined
  }
  const checked = rule.safeParse(parsed)
  return parsed === value && checked.success && checked.data === value ? typed : undefined
}

/**
 * The name as a mute can write it: as it is when it can, else its nameable prefix and suffix
 * around one `*` (one wildcard keeps the mute cheap to match, whatever the name holds);
 * undefined when nothing nameable is left.
 */
function toNamePattern(name: string): string | undefined {
  const chars = [...name]
  if (chars.length <= MAX_NAME_CHARS && !chars.some((c) => UNNAMEABLE.test(c))) return name
  const first = chars.findIndex((c) => UNNAMEABLE.test(c))
  const prefix = chars.slice(0, first === -1 ? chars.length : first)
  const afterLast = chars.length - [...chars].reverse().findIndex((c) => UNNAMEABLE.test(c))
  const suffix = first === -1 ? [] : chars.slice(afterLast)
  const room = MAX_NAME_CHARS - 1
  const head = prefix.slice(0, Math.min(prefix.length, room - Math.min(suffix.length, room / 2)))
  const tail = suffix.slice(suffix.length - Math.min(suffix.length, room - head.length))
  const pattern = `${head.join('')}*${tail.join('')}`
  return pattern === '*' ? undefined : pattern
}

/** `mute ns=payments kind=Pod name=api-7d9f reason=BackOff for=1h` */
export function toMuteCommand(object: MutedObject, duration = '1h'): string {
  const name = toNamePattern(object.name)
  const keys = [
    object.namespace ? toKey('ns', object.namespace, namespaceArg) : undefined,
    toKey('kind', object.kind, kindArg),
    name === undefined ? undefined : toKey('name', name, nameArg),
    toKey('reason', object.reason, reasonArg),
    `for=${duration}`,
  ]
  return `mute ${keys.filter((k) => k !== undefined).join(' ')}`
}
