/**
 * One GET to the API server, as every list and watch of kubeding makes it: authentication, TLS
 * and proxies from `KubeConfig.applyToHTTPSOptions` (the path the library's own exec and attach
 * use), the request itself over node:http(s). The library's generated APIs would send it through
 * the npm undici and turn every object into model classes; loading those costs about 30 MB of
 * resident memory before kubeding does anything (issue 10), and kubeding reads plain JSON anyway.
 */
import http from 'node:http'
import https from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeApiError, toStatus } from './kube-api-error.ts'

/** What to ask. */
export interface KubeGetOptions {
  kc: KubeConfig
  /** API path, e.g. `/api/v1/events`. */
  path: string
  query: Record<string, string>
  /** Aborting ends the request at once; the promise then rejects with the abort reason. */
  signal: AbortSignal
  /** No byte for this long (before or after the headers) counts as a dead connection. */
  idleTimeoutMs: number
}

const MAX_ERROR_BODY_CHARS = 64 * 1024

/** Error raised when the connection stays silent for `idleTimeoutMs`. */
export class WatchIdleError extends Error {
  readonly code = 'WATCH_IDLE'
  constructor(ms: number) {
    super(`no data from the API server for ${Math.round(ms / 1000)} s`)
    this.name = 'WatchIdleError'
  }
}

function kubeUrl(kc: KubeConfig, path: string, query: Record<string, string>): URL {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new Error('the kubeconfig has no current cluster')
  // String concatenation keeps a path prefix in the server address (Rancher-style proxies).
  const url = new URL(cluster.server.replace(/\/+$/, '') + path)
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value)
  return url
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

function send(url: URL, options: https.RequestOptions, o: KubeGetOptions) {
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
    // node:http fails an aborted request with its own AbortError; the reason says why (stop, timeout).
    request.once('error', (error) => reject(o.signal.aborted ? o.signal.reason : error))
    request.end()
  })
}

/**
 * Sends the GET; resolves with the response once the API server answered 200, rejects with a
 * `KubeApiError` (its Status message kept: a 403 says which RBAC rule is missing), a socket
 * error, `WatchIdleError` or the abort reason. The caller reads the body.
 */
export async function openKubeGet(o: KubeGetOptions): Promise<http.IncomingMessage> {
  const url = kubeUrl(o.kc, o.path, o.query)
  const options: https.RequestOptions = {}
  await o.kc.applyToHTTPSOptions(options)
  o.signal.throwIfAborted()
  const response = await send(url, options, o)
  if (response.statusCode !== 200) throw await readErrorBody(response)
  return response
}
