/**
 * The config file's text to a plain object: YAML parsed, then `${VAR}` interpolated in values.
 *
 * Interpolation works on the parsed values, not on the text, for two reasons: keys are never
 * rewritten, and a variable's value cannot change the document's structure (a secret holding
 * `#` or `: ` stays one string). An unquoted value that is wholly a number or true/false after
 * interpolation (`port: ${PORT:-8080}`) becomes that number or boolean, as YAML would have read
 * it written out; a quoted one (`port: "${PORT}"`) stays text. Inside a flow collection
 * (`[...]`, `{...}`) `{` is YAML syntax, so a reference there must be quoted: `["${KEYWORD}"]`.
 * A key with no value (YAML null) is left out, as if it were not written.
 */
import { isMap, isScalar, isSeq, type Node, parseDocument, Scalar } from 'yaml'
import type { ConfigProblem } from './config-problem.ts'
import { toPathText } from './config-problem.ts'
import { interpolateEnv } from './interpolate-env.ts'

/** The document as a plain object, or every problem found in it. */
export type ParsedYaml =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; problems: ConfigProblem[] }

/** `{` is YAML syntax inside `[...]`/`{...}`, so an unquoted `${VAR}` there breaks the line. */
const FLOW_REFERENCE = /[[{].*\$\{/
const FLOW_HINT = `(inside [...] or {...}, quote a reference: ["\${VAR}"])`

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/
const BOOLEAN = /^(?:true|True|TRUE|false|False|FALSE)$/

/**
 * Parses config YAML from `file` (named in problems) and interpolates `${VAR}` from `env`.
 * An empty document (or only comments) is `{}`: every key has a default.
 */
export function parseConfigYaml(text: string, file: string, env: NodeJS.ProcessEnv): ParsedYaml {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return {
      ok: false,
      problems: doc.errors.map((error) => {
        const at = error.linePos?.[0]
        // The message is cut before yaml's excerpt of the source line, which may hold a secret.
        const what = error.message.split(/ at line \d+/)[0] ?? error.code
        const line = at ? (text.split('\n')[at.line - 1] ?? '') : ''
        return {
          path: at ? `${file}:${at.line}:${at.col}` : file,
          message: FLOW_REFERENCE.test(line) ? `${what} ${FLOW_HINT}` : what,
        }
      }),
    }
  }
  const problems: ConfigProblem[] = []
  interpolateNode(doc.contents, [], env, problems)
  if (problems.length > 0) return { ok: false, problems }
  let value: unknown
  try {
    value = doc.toJS()
  } catch (error) {
    // yaml refuses alias bombs ("Excessive alias count") here rather than while parsing.
    return { ok: false, problems: [{ path: file, message: (error as Error).message }] }
  }
  if (value === null || value === undefined) return { ok: true, value: {} }
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      problems: [
        {
          path: file,
          message: `must hold a YAML mapping (cluster: ..., dingtalk: ...), not ${Array.isArray(value) ? 'a list' : 'a single value'}`,
        },
      ],
    }
  }
  return { ok: true, value: withoutEmptyKeys(value) as Record<string, unknown> }
}

/**
 * `key:` with nothing after it (YAML null) counts as not written, so a section whose lines are
 * all commented out (`server:` then `#  port: 80`) takes its defaults instead of failing.
 */
function withoutEmptyKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmptyKeys)
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => [k, withoutEmptyKeys(v)]),
  )
}

function interpolateNode(
  node: Node | null,
  path: (string | number)[],
  env: NodeJS.ProcessEnv,
  problems: ConfigProblem[],
): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?'
      interpolateNode(pair.value as Node | null, [...path, key], env, problems)
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      interpolateNode(item as Node | null, [...path, i], env, problems)
    })
  } else if (isScalar(node) && typeof node.value === 'string' && node.value.includes('$')) {
    const result = interpolateEnv(node.value, env)
    if (!result.ok) {
      problems.push({ path: toPathText(path), message: result.problem })
      return
    }
    node.value = node.type === Scalar.PLAIN ? toPlainValue(result.text) : result.text
  }
}

/** How YAML's core schema would read an unquoted number or boolean; anything else is text. */
function toPlainValue(text: string): string | number | boolean {
  if (NUMBER.test(text)) return Number(text)
  if (BOOLEAN.test(text)) return text.toLowerCase() === 'true'
  return text
}
