/**
 * One watch request, read line by line. We do not use @kubernetes/client-node's `Watch`: it
 * drops lines it cannot parse without a word, throws away the Status body of a refused request
 * (so a 403 loses the "cannot watch resource events in namespace x" text that says which RBAC
 * rule is missing) and fixes its inactivity timeout at 30 s. Authentication, TLS and proxies still
 * come from the library: `KubeConfig.applyToHTTPSOptions` is the same path its exec/attach use.
 */
import http from 'node:http'
import https from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeApiError, toStatus } from './kube-api-error.ts'

/** One parsed line of a watch: `{"type": ..., "object": ...}`. */
export interface WatchLine {
  type: string
  object: unknown
}

/** How to read one watch. */
export interface WatchStreamOptions {
  kc: KubeConfig
  /** API path, e.g. `/api/v1/events`. */
  path: string
  /** Query parameters; `watch=1` is added. */
  query: Record<string, string>
  /** Aborting ends the request at once; the promise then rejects with the abort reason. */
  signal: AbortSignal
  /** No byte for this long (before or after the headers) counts as a dead connection. */
  idleTimeoutMs: number
  /** The API server accepted the watch (HTTP 200). */
  onConnected(): void
  onLine(line: WatchLine): void
  /** A line that is not a JSON watch event (it is skipped). */
  onGarbage(text: string): void
}

/** A line longer than this is not a Kubernetes object we can use; the stream is abandoned. */
const MAX_LINE_CHARS = 16 * 1024 * 1024
const MAX_ERROR_BODY_CHARS = 64 * 1024

/** Error raised when the connection stays silent for `idleTimeoutMs`. */
export class WatchIdleError extends Error {
  readonly code = 'WATCH_IDLE'
  constructor(ms: number) {
    super(`no data from the API server for ${Math.round(ms / 1000)} s`)
    this.name = 'WatchIdleError'
  }
}

/** The URL of an API path on the kubeconfig's current cluster. */
export function toApiUrl(kc: KubeConfig, path: string): URL {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new Error('the kubeconfig has no current cluster')
  // String concatenation keeps a path prefix in the server address (Rancher-style proxies).
  return new URL(cluster.server.replace(/\/+$/, '') + path)
}

function watchUrl(kc: KubeConfig, path: string, query: Record<string, string>): URL {
  const url = toApiUrl(kc, path)
  url.searchParams.set('watch', '1')
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
  return url
}

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

async function readErrorBody(response: http.IncomingMessage): Promise<KubeApiError> {
  let body = ''
  for await (const chunk of response) {
    body += chunk
    if (body.length > MAX_ERROR_BODY_CHARS) break
  }
  const status = toStatus(body)
  const code = response.statusCode ?? 0
  return new KubeApiError(
    status?.code ?? code,
    status?.reason ?? '',
    status?.message || response.statusMessage || `HTTP ${code}`,
  )
}

function send(url: URL, options: https.RequestOptions, o: WatchStreamOptions) {
  return new Promise<http.IncomingMessage>((resolve, reject) => {
    const request = (url.protocol === 'http:' ? http : https).request(url, {
      ...options,
      method: 'GET',
      headers: { ...options.headers, accept: 'application/json' },
      signal: o.signal,
    })
    let response: http.IncomingMessage | undefined
    // Once the response has begun, destroying only the request surfaces as a bare ECONNRESET
    // "aborted" on the response; destroying the response too keeps the real reason.
    const fail = (error: unknown) => {
      response?.destroy(error as Error)
      request.destroy(error as Error)
    }
    request.setTimeout(o.idleTimeoutMs, () => fail(new WatchIdleError(o.idleTimeoutMs)))
    o.signal.addEventListener('abort', () => fail(o.signal.reason), { once: true })
    request.once('response', (r) => {
      response = r
      resolve(r)
    })
    request.once('error', reject)
    request.end()
  })
}

/**
 * Opens the watch and hands every line to the callbacks until the server ends the stream
 * (resolves) or the request fails (rejects: `KubeApiError` for an HTTP error, a socket error,
 * `WatchIdleError`, or the abort reason).
 */
export async function readWatchStream(o: WatchStreamOptions): Promise<void> {
  const url = watchUrl(o.kc, o.path, o.query)
  const options: https.RequestOptions = {}
  await o.kc.applyToHTTPSOptions(options)
  o.signal.throwIfAborted()
  const response = await send(url, options, o)
  if (response.statusCode !== 200) throw await readErrorBody(response)
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
