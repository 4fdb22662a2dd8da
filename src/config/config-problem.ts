/**
 * One thing wrong with the config, printed as `config: <path.to.key>: <what is wrong>`.
 * Messages name the key and the rule, never the value: a value may be a secret.
 */
import type { z } from 'zod'

/** `path` is dot-joined (`dingtalk.robots.0.webhook`), or a flag/variable name (`--sink[1]`). */
export type ConfigProblem = { path: string; message: string }

/** The line an operator reads: `config: dingtalk.robots.0.webhook: must be an http(s) URL`. */
export function formatProblem(problem: ConfigProblem): string {
  return `config: ${problem.path}: ${problem.message}`
}

/** Joins a zod-style path; the document itself is `(root)`. */
export function toPathText(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.')
}

const EXPECTED: Record<string, string> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
}

function describeInput(input: unknown): string {
  if (input === null) return 'empty (null)'
  if (Array.isArray(input)) return 'a list'
  return EXPECTED[typeof input] ?? typeof input
}

/**
 * Replaces zod's generic messages ("Invalid input: expected string, received number") with an
 * operator's wording. Messages written in the schema itself take precedence over this map.
 */
export const configErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required'
      return `must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${describeInput(issue.input)}`
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return 'must not be empty'
      if (issue.origin === 'number') return `must be at least ${issue.minimum}`
      return undefined
    case 'too_big':
      if (issue.origin === 'number') return `must be at most ${issue.maximum}`
      return undefined
    default:
      return undefined
  }
}

/** Turns zod's issues into problems; an unknown key is reported at the key itself. */
export function toConfigProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: toPathText([...issue.path, key]),
          message: 'unknown key',
        }))
      : [{ path: toPathText(issue.path), message: issue.message }],
  )
}
