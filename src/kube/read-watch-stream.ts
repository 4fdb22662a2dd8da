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
const MAX_LINE_BYTES = 16 * 1024 * 1024
const NEWLINE = 0x0a

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
  const take = (raw: string) => {
    const text = raw.trim()
    if (text === '') return
    const line = parseLine(text)
    if (line) o.onLine(line)
    else o.onGarbage(text)
  }
  // Lines are cut out of the bytes as they arrive and each is decoded once; only a line that
  // spans reads is joined (as bytes, so a character split between reads decodes whole). Reading
  // the stream as text instead joined whatever it buffered into one string, which the search for
  // a newline then copied: a quarter of what the service allocated while taking in a storm.
  let pending: Buffer[] = []
  let pendingBytes = 0
  for await (const chunk of response as AsyncIterable<Buffer>) {
    let start = 0
    for (let end = chunk.indexOf(NEWLINE); end >= 0; end = chunk.indexOf(NEWLINE, start)) {
      if (pending.length === 0) take(chunk.toString('utf8', start, end))
      else {
        pending.push(chunk.subarray(start, end))
        take(Buffer.concat(pending).toString('utf8'))
        pending = []
        pendingBytes = 0
      }
      start = end + 1
    }
    if (start < chunk.length) {
      pending.push(chunk.subarray(start))
      pendingBytes += chunk.length - start
      if (pendingBytes > MAX_LINE_BYTES) throw new Error('a watch line exceeded 16 MiB')
    }
  }
  if (pending.length > 0) take(Buffer.concat(pending).toString('utf8'))
}
