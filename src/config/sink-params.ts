/** The query parameters of a kube-eventer sink URI, checked against the names a sink takes. */

/** A sink URI problem; its message never holds a parameter's value, which may be a secret. */
export class SinkError extends Error {}

/** Parameter name → every value given for it, in order. */
export type SinkParams = Map<string, string[]>

/** Parameters that may be given more than once; the others must be given at most once. */
const REPEATABLE = new Set(['label', 'kinds', 'monitorkinds', 'namespaces', 'monitornamespaces'])

/**
 * Collects `url`'s query parameters. kube-eventer ignored names it did not know; a typo then
 * silently widened what was sent, so here an unknown or repeated name is a `SinkError`.
 */
export function toSinkParams(url: URL, known: readonly string[], scheme: string): SinkParams {
  const params: SinkParams = new Map()
  for (const [name, value] of url.searchParams) {
    if (!known.includes(name)) {
      throw new SinkError(`unknown parameter "${name}" (${scheme} sinks take ${known.join(', ')})`)
    }
    const values = params.get(name) ?? []
    if (values.length > 0 && !REPEATABLE.has(name)) {
      throw new SinkError(`parameter "${name}" is given more than once`)
    }
    params.set(name, [...values, value])
  }
  return params
}

/** The first non-empty value of the first of `names` that has one. */
export function firstParam(params: SinkParams, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = params.get(name)?.[0]
    if (value !== undefined && value !== '') return value
  }
  return undefined
}

/** kube-eventer splits `kinds=Pod,Node` on commas; an empty value means all. */
export function toParamList(params: SinkParams, ...names: string[]): string[] {
  return names
    .flatMap((name) => params.get(name) ?? [])
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '')
}
