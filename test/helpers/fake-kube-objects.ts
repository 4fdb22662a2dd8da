/**
 * The namespaced objects kubeding keeps for itself, served by the fake API server: Leases
 * (coordination.k8s.io/v1) and ConfigMaps (v1), with GET, POST and PUT as the API server does
 * them: a POST of a name that exists is 409 AlreadyExists, a PUT whose metadata.resourceVersion
 * is not the stored one is 409 Conflict (optimistic concurrency), a PUT of a missing object 404.
 * Every write is recorded (time and bytes) so the bench can say what the shared state costs.
 */
import type http from 'node:http'

/** A Lease or ConfigMap as stored: whatever JSON the client sent, with the server's metadata. */
export interface StoredObject {
  apiVersion?: string
  kind?: string
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string }
  [key: string]: unknown
}

/** One accepted write, for the bench's figures. */
export interface WriteRecord {
  at: number
  resource: 'leases' | 'configmaps'
  name: string
  bytes: number
}

type ObjectResource = WriteRecord['resource']

interface ObjectRoute {
  resource: ObjectResource
  namespace: string
  name: string | undefined
}

/** Matches the paths this store serves; undefined for any other. */
export function matchObjectRoute(pathname: string): ObjectRoute | undefined {
  const m =
    /^\/(?:apis\/coordination\.k8s\.io\/v1\/namespaces\/([^/]+)\/(leases)|api\/v1\/namespaces\/([^/]+)\/(configmaps))(?:\/([^/]+))?$/.exec(
      pathname,
    )
  if (!m) return undefined
  const namespace = decodeURIComponent(m[1] ?? m[3] ?? '')
  const resource = (m[2] ?? m[4]) as ObjectResource
  return { resource, namespace, name: m[5] === undefined ? undefined : decodeURIComponent(m[5]) }
}

/** The answer to one request: status and body. */
export interface ObjectAnswer {
  status: number
  body: unknown
}

const KINDS = { leases: 'Lease', configmaps: 'ConfigMap' } as const
/** The API server refuses bodies over 3 MiB; a ConfigMap's data over 1 MiB. */
const MAX_CONFIGMAP_BYTES = 1_048_576

/** Leases and ConfigMaps by namespace and name, with their own resourceVersion counter. */
export class FakeObjectStore {
  /** Every accepted create or replace, in order. */
  readonly writes: WriteRecord[] = []
  #objects = new Map<string, StoredObject>()
  #rv = 1_000_000

  /** The stored object, or undefined. */
  get(resource: ObjectResource, namespace: string, name: string): StoredObject | undefined {
    const o = this.#objects.get(`${resource}/${namespace}/${name}`)
    return o && structuredClone(o)
  }

  /** Answers a GET, POST or PUT on a matched route; `body` is the request's text. */
  answer(method: string, route: ObjectRoute, body: string): ObjectAnswer {
    const key = (name: string) => `${route.resource}/${route.namespace}/${name}`
    if (method === 'GET') {
      const found = route.name === undefined ? undefined : this.#objects.get(key(route.name))
      return found ? { status: 200, body: found } : this.#notFound(route, route.name ?? '')
    }
    if (method !== 'POST' && method !== 'PUT')
      return status(405, 'MethodNotAllowed', `${method} is not supported here`)
    let input: StoredObject
    try {
      input = JSON.parse(body) as StoredObject
    } catch {
      return status(400, 'BadRequest', 'the body is not JSON')
    }
    const name = input?.metadata?.name
    if (typeof name !== 'string' || name === '')
      return status(422, 'Invalid', 'metadata.name: Required value')
    if (method === 'PUT' && route.name !== name)
      return status(400, 'BadRequest', 'the name of the object does not match the URL')
    if (route.resource === 'configmaps' && Buffer.byteLength(body) > MAX_CONFIGMAP_BYTES)
      return status(422, 'Invalid', 'ConfigMap is too long: must have at most 1048576 bytes')
    const stored = this.#objects.get(key(name))
    if (method === 'POST' && stored)
      return status(409, 'AlreadyExists', `${route.resource} "${name}" already exists`)
    if (method === 'PUT') {
      if (!stored) return this.#notFound(route, name)
      if (input.metadata.resourceVersion !== stored.metadata.resourceVersion)
        return status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${route.resource} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        )
    }
    const object: StoredObject = {
      ...input,
      apiVersion: route.resource === 'leases' ? 'coordination.k8s.io/v1' : 'v1',
      kind: KINDS[route.resource],
      metadata: {
        ...input.metadata,
        namespace: route.namespace,
        uid: stored?.metadata.uid ?? `uid-${name}-${this.#rv}`,
        resourceVersion: String(++this.#rv),
      },
    }
    this.#objects.set(key(name), object)
    this.writes.push({
      at: Date.now(),
      resource: route.resource,
      name,
      bytes: Buffer.byteLength(body),
    })
    return { status: method === 'POST' ? 201 : 200, body: object }
  }

  #notFound(route: ObjectRoute, name: string): ObjectAnswer {
    return status(404, 'NotFound', `${route.resource} "${name}" not found`)
  }
}

function status(code: number, reason: string, message: string): ObjectAnswer {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    },
  }
}

/** Reads a request's body (bounded: the API server's 3 MiB). */
export async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 3 * 1_048_576) throw new Error('request body over 3 MiB')
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
