/**
 * The two kinds of object kubeding keeps in its own namespace (the Lease, the shared state's
 * ConfigMap), read, created and replaced as plain JSON over node:http(s), with authentication,
 * TLS and proxies from `KubeConfig.applyToHTTPSOptions`, as every list and watch of kubeding
 * (src/kube/kube-request.ts): the library's generated APIs would load undici and model classes
 * (issue 10). Each request is bounded in time: a partitioned API server must not leave the
 * leader waiting past its renew deadline.
 */
import http from 'node:http'
import https from 'node:https'
import type { KubeConfig, V1ConfigMap, V1Lease } from '@kubernetes/client-node'

/** A write lost the race: someone else changed the object since it was read (HTTP 409). */
export class ConflictError extends Error {
  readonly code = 'conflict'
}

/** Read, create and replace of one named object; `read` answers undefined for 404. */
export interface ObjectClient<T> {
  read(): Promise<T | undefined>
  /** Throws ConflictError when it exists already. */
  create(object: T): Promise<T>
  /** Throws ConflictError when `object.metadata.resourceVersion` is not the stored one. */
  replace(object: T): Promise<T>
}

export interface ObjectTarget {
  kc: KubeConfig
  namespace: string
  name: string
  /** Each request is abandoned after this long. */
  timeoutMs: number
}

/** A Lease (coordination.k8s.io/v1). */
export function createLeaseClient(t: ObjectTarget): ObjectClient<V1Lease> {
  const ns = encodeURIComponent(t.namespace)
  return createObjectClient<V1Lease>(t, `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases`)
}

/** A ConfigMap (v1). */
export function createConfigMapClient(t: ObjectTarget): ObjectClient<V1ConfigMap> {
  return createObjectClient<V1ConfigMap>(
    t,
    `/api/v1/namespaces/${encodeURIComponent(t.namespace)}/configmaps`,
  )
}

/** Bigger answers are refused: a ConfigMap holds at most 1 MiB. */
const MAX_BODY_BYTES = 4 * 1024 * 1024

function createObjectClient<T>(t: ObjectTarget, collection: string): ObjectClient<T> {
  const item = `${collection}/${encodeURIComponent(t.name)}`
  const call = (method: string, path: string, body?: unknown) =>
    requestJson(t.kc, method, path, body, t.timeoutMs)
  return {
    async read() {
      const answer = await call('GET', item)
      if (answer.status === 404) return undefined
      return expectOk<T>(answer, 'read')
    },
    async create(object) {
      return expectOk<T>(await call('POST', collection, object), 'create')
    },
    async replace(object) {
      return expectOk<T>(await call('PUT', item, object), 'replace')
    },
  }
}

interface Answer {
  status: number
  json: unknown
}

function expectOk<T>(answer: Answer, what: string): T {
  if (answer.status === 200 || answer.status === 201) return answer.json as T
  if (answer.status === 409) throw new ConflictError('the object changed since it was read')
  const message = (answer.json as { message?: unknown } | undefined)?.message
  throw new Error(
    `the API server refused to ${what} (HTTP ${answer.status}${typeof message === 'string' ? `: ${message.slice(0, 300)}` : ''})`,
  )
}

async function requestJson(
  kc: KubeConfig,
  method: string,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<Answer> {
  const cluster = kc.getCurrentCluster()
  if (!cluster) throw new Error('the kubeconfig has no current cluster')
  // String concatenation keeps a path prefix in the server address (Rancher-style proxies).
  const url = new URL(cluster.server.replace(/\/+$/, '') + path)
  const options: https.RequestOptions = {}
  await kc.applyToHTTPSOptions(options)
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise<Answer>((resolve, reject) => {
    const request = (url.protocol === 'http:' ? http : https).request(url, {
      ...options,
      method,
      headers: {
        ...options.headers,
        accept: 'application/json',
        ...(payload === undefined
          ? {}
          : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
      },
      signal: AbortSignal.timeout(timeoutMs),
    })
    request.once('error', reject)
    request.once('response', (response) => {
      const chunks: Buffer[] = []
      let size = 0
      response.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > MAX_BODY_BYTES) response.destroy(new Error('answer over 4 MiB'))
        else chunks.push(chunk)
      })
      response.once('error', reject)
      response.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json: unknown
        try {
          json = text === '' ? undefined : JSON.parse(text)
        } catch {
          json = undefined
        }
        resolve({ status: response.statusCode ?? 0, json })
      })
    })
    request.end(payload)
  })
}
