/**
 * One watch request, read line by line. We do not use @kubernetes/client-node's `Watch`: it
 * drops lines it cannot parse without a word, throws away the Status body of a refused request
 * (so a 403 loses the "cannot watch resource events in namespace x" text that says which RBAC
 * rule is missing) and fixes its inactivity timeout at 30 s. Authentication, TLS and proxies still
 * come from the library: `KubeConfig.applyToHTTPSOptions` is the same path its exec/attach use.
 */
import { type KubeGetOptions, openKubeGet } from './kube-request.ts'

/** One parsed line of a watch: `{"type": ..., "object": ...}`. */
export interface WatchLine {
  type: string
  object: unknown
}

/** How to read one watch; `watch=1` is added to the query. */
export interface WatchStreamOptions extends KubeGetOptions {
  /** The API server accepted the watch (HTTP 200). */
  onConnected(): void
  onLine(line: WatchLine): void
  /** A line that is not a JSON watch event (it is skipped). */
  onGarbage(text: string): void
}

/** A line longer than this is not a Kubernetes object we can use; the stream is abandoned. */
const MAX_LINE_CHARS = 16 * 1024 * 1024

function parseLine(text: string): WatchLine | undefined {
  try {
    const value: unknown = JSON.parse(text)
    if (typeof value !== 'object' || value === null) return undefined
    const { type, object } = value as { type?: unknown; object?: unknown }
    return typeof type === 'string' ? { type, object } : undefined
  } catch {
    return undefined
  }
}

/**
 * Opens the watch and hands every line to the callbacks until the server ends the stream
 * (resolves) or the request fails (rejects: `KubeApiError` for an HTTP error, a socket error,
 * `WatchIdleError`, or the abort reason).
 */
export async function readWatchStream(o: WatchStreamOptions): Promise<void> {
  const response = await openKubeGet({ ...o, query: { watch: '1', ...o.query } })
  o.onConnected()
  response.setEncoding('utf8')
  let pending = ''
  for await (const chunk of response as AsyncIterable<string>) {
    pending += chunk
    let newline = pending.indexOf('\n')
    while (newline >= 0) {
      const text = pending.slice(0, newline).trim()
      pending = pending.slice(newline + 1)
      if (text !== '') {
        const line = parseLine(text)
        if (line) o.onLine(line)
        else o.onGarbage(text)
      }
      newline = pending.indexOf('\n')
    }
    if (pending.length > MAX_LINE_CHARS) throw new Error('a watch line exceeded 16 MiB')
  }
  const rest = pending.trim()
  if (rest !== '') {
    const line = parseLine(rest)
    if (line) o.onLine(line)
    else o.onGarbage(rest)
  }
}
