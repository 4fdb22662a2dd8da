/**
 * An in-process fake Kubernetes API server speaking the real wire protocol (node:http on
 * 127.0.0.1, port 0), for Events and Nodes: bearer-token auth, paged lists with a consistent
 * snapshot, watches (chunked newline-delimited JSON) that replay from a resourceVersion, send
 * bookmarks, end after `timeoutSeconds`, and answer 410 once the history is compacted. Tests
 * drive it through the real @kubernetes/client-node. Every knob an outage test needs is here:
 * wrong tokens, failures, garbage lines, dropped streams, the server going away and back.
 */
import { randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { KubeConfig } from '@kubernetes/client-node'
import { buildCondition, type ConditionSpec, type KubeObject } from './event-builders.ts'
import { FakeObjectStore, matchObjectRoute, readBody } from './fake-kube-objects.ts'
import { testNow } from './test-clock.ts'

type Resource = 'events' | 'nodes'
type Verb = 'list' | 'watch'
type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED'

interface Route {
  resource: Resource
  /** undefined: all namespaces (and always for nodes). */
  namespace: string | undefined
}

/** One request the server saw, for assertions. */
export interface RequestRecord {
  verb: Verb
  resource: Resource
  namespace: string | undefined
  resourceVersion: string | undefined
  limit: number | undefined
  continue: string | undefined
  allowWatchBookmarks: boolean
  timeoutSeconds: number | undefined
  /** The HTTP status answered (0 while unanswered). */
  status: number
  /** When it arrived (Date.now()). */
  at: number
}

/** How the fake behaves. */
export interface FakeKubeApiOptions {
  /** The bearer token it accepts; default `fake-token`. */
  token?: string
  /**
   * How a watch from a compacted resourceVersion is refused: `stream` (default; 200 and an ERROR
   * Status 410 in the stream, as the watch cache does) or `http` (HTTP 410 on the request).
   */
  expiredWatchAs?: 'stream' | 'http'
}

/**
 * How a broken server (or a proxy in front of it) fails a watch it has just accepted with a 200:
 * an ERROR Status 500 line, a connection reset, or an empty body that ends.
 */
export type WatchFlap = 'error' | 'reset' | 'empty'

/**
 * How a broken server (or proxy) pages a list that never ends: every page carries a continue
 * token, the same one again (`same-token`) or a new one each time (`new-token`).
 */
export type EndlessList = 'same-token' | 'new-token'

interface OpenWatch {
  res: http.ServerResponse
  route: Route
  bookmarks: boolean
  timer?: NodeJS.Timeout
}

interface Change {
  rv: number
  type: ChangeType
  resource: Resource
  namespace: string
  object: KubeObject
}

interface Failure {
  status: number
  on: Verb | 'any'
  /** Only requests for this namespace; undefined: any. */
  namespace: string | undefined
  message: string
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  410: 'Expired',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
}

const statusBody = (code: number, message: string, reason = REASONS[code] ?? 'Unknown') => ({
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message,
  reason,
  code,
})

function matchRoute(pathname: string): Route | undefined {
  if (pathname === '/api/v1/events') return { resource: 'events', namespace: undefined }
  if (pathname === '/api/v1/nodes') return { resource: 'nodes', namespace: undefined }
  const m = /^\/api\/v1\/namespaces\/([^/]+)\/events$/.exec(pathname)
  return m?.[1] ? { resource: 'events', namespace: decodeURIComponent(m[1]) } : undefined
}

const clone = <T>(v: T): T => structuredClone(v)
const namespaceOf = (o: KubeObject) => o.metadata.namespace ?? ''

/** The fake API server. Build it with `createFakeKubeApi()`. */
export class FakeKubeApi {
  /** Every request, in order. */
  readonly requests: RequestRecord[] = []
  /** `GET /readyz` requests (not in `requests`: they are no list or watch). */
  readyzRequests = 0
  /** How a watch from a compacted resourceVersion is refused; may be changed between steps. */
  expiredWatchAs: 'stream' | 'http'
  /** While set, every watch is accepted (200) and failed at once this way; may be changed between steps. */
  flapWatches: WatchFlap | undefined
  /** While set, every list page (first or following) says there is more; may be changed between steps. */
  endlessLists: EndlessList | undefined
  /** Leases and ConfigMaps (kubeding's leader election and shared state). */
  readonly objects = new FakeObjectStore()
  #server = http.createServer((req, res) => this.#handle(req, res))
  #port = 0
  #token: string
  #rv = 100
  #oldest = 0
  #objects = new Map<string, { resource: Resource; object: KubeObject }>()
  #changes: Change[] = []
  #watches = new Set<OpenWatch>()
  #snapshots = new Map<string, { items: KubeObject[]; rv: string; offset: number }>()
  #failures: Failure[] = []
  #stalls: Verb[] = []
  #pageHolds: Promise<void>[] = []
  #heldPages = 0
  #endlessPages = 0

  constructor(opts: FakeKubeApiOptions = {}) {
    this.#token = opts.token ?? 'fake-token'
    this.expiredWatchAs = opts.expiredWatchAs ?? 'stream'
    this.flapWatches = undefined
    this.endlessLists = undefined
  }

  /** Listens on 127.0.0.1: a fresh port the first time, the same port after `stop()`. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject)
      this.#server.listen(this.#port, '127.0.0.1', () => {
        this.#server.off('error', reject)
        resolve()
      })
    })
    this.#port = (this.#server.address() as AddressInfo).port
  }

  /** Goes away like a crashed API server: open streams are cut, new connections refused. */
  async stop(): Promise<void> {
    if (!this.#server.listening) return
    for (const w of this.#watches) clearTimeout(w.timer)
    this.#watches.clear()
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()))
    this.#server.closeAllConnections()
    await closed
  }

  /** Comes back on the same port, with the same state. */
  restart(): Promise<void> {
    return this.listen()
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`
  }

  /** The current (latest) resourceVersion. */
  get resourceVersion(): string {
    return String(this.#rv)
  }

  get openWatchCount(): number {
    return this.#watches.size
  }

  /** Accept a different token from now on (the old one gets 401). */
  setToken(token: string): void {
    this.#token = token
  }

  /** How many requests of this verb (and resource) were made. */
  count(verb: Verb, resource?: Resource): number {
    return this.requests.filter((r) => r.verb === verb && (!resource || r.resource === resource))
      .length
  }

  /** A KubeConfig for the real client, with this token (default: the one the server accepts). */
  kubeConfig(opts: { token?: string; server?: string } = {}): KubeConfig {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: opts.server ?? this.url, skipTLSVerify: true }],
      users: [{ name: 'fake-user', token: opts.token ?? this.#token }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'fake-user' }],
      currentContext: 'fake',
    })
    return kc
  }

  /** A kubeconfig file's text for this server, for spawning the real service. */
  kubeconfigYaml(opts: { token?: string; context?: string } = {}): string {
    const context = opts.context ?? 'fake'
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: fake',
      '  cluster:',
      `    server: ${this.url}`,
      '    insecure-skip-tls-verify: true',
      'users:',
      '- name: fake-user',
      '  user:',
      `    token: ${JSON.stringify(opts.token ?? this.#token)}`,
      'contexts:',
      `- name: ${context}`,
      '  context:',
      '    cluster: fake',
      '    user: fake-user',
      `current-context: ${context}`,
      '',
    ].join('\n')
  }

  /**
   * The next `n` requests (of verb `on` and for `namespace`, default any) are answered with
   * `status` and a Status body.
   */
  failNext(
    n: number,
    status: number,
    opts: { on?: Verb; namespace?: string; message?: string } = {},
  ): void {
    for (let i = 0; i < n; i++)
      this.#failures.push({
        status,
        on: opts.on ?? 'any',
        namespace: opts.namespace,
        message: opts.message ?? `injected failure ${status}`,
      })
  }

  /** The next `n` requests of verb `on` get no answer at all (until the client gives up or the server stops). */
  stallNext(n: number, on: Verb): void {
    for (let i = 0; i < n; i++) this.#stalls.push(on)
  }

  /**
   * The next request for a list's following page (one carrying a continue token) waits until the
   * returned function is called, then is answered as any request would be (a failure injected
   * meanwhile included): to look at what a list's earlier pages did before the rest is served.
   */
  holdNextPage(): () => void {
    let release = () => {}
    this.#pageHolds.push(
      new Promise<void>((resolve) => {
        release = resolve
      }),
    )
    return release
  }

  /** How many requests for a following page are waiting to be released. */
  get heldPageCount(): number {
    return this.#heldPages
  }

  /** Stores a new Event (uid and resourceVersion assigned) and sends ADDED. */
  addEvent(event: KubeObject): KubeObject {
    return this.#put('events', event, 'ADDED')
  }

  /**
   * The emitter folds a repeat into the Event: `count + 1` (or `series.count + 1`) and a new
   * last time (default: 10 s after the previous one), sent as MODIFIED.
   */
  updateEvent(
    namespace: string,
    name: string,
    opts: { at?: string; message?: string } = {},
  ): KubeObject {
    const event = clone(this.#get('events', namespace, name))
    const series = event.series as { count: number; lastObservedTime: string } | undefined
    const previous =
      series?.lastObservedTime ??
      (event.lastTimestamp as string | null) ??
      (event.eventTime as string)
    const at = opts.at ?? new Date(Date.parse(previous) + 10_000).toISOString()
    if (series) {
      series.count++
      series.lastObservedTime = at
    } else {
      event.count = ((event.count as number | undefined) ?? 1) + 1
      event.lastTimestamp = at
    }
    if (opts.message !== undefined) event.message = opts.message
    return this.#put('events', event, 'MODIFIED')
  }

  deleteEvent(namespace: string, name: string): void {
    this.#delete('events', namespace, name)
  }

  addNode(node: KubeObject): KubeObject {
    return this.#put('nodes', node, 'ADDED')
  }

  /** Sets these conditions on the node (same type replaced, new ones appended); sends MODIFIED. */
  updateNode(name: string, conditions: ConditionSpec[]): KubeObject {
    const node = clone(this.#get('nodes', '', name))
    const status = (node.status ?? {}) as { conditions?: Record<string, string>[] }
    const list = status.conditions ?? []
    for (const c of conditions) {
      const i = list.findIndex((x) => x.type === c.type)
      if (i >= 0) list[i] = buildCondition(c)
      else list.push(buildCondition(c))
    }
    node.status = { ...status, conditions: list }
    return this.#put('nodes', node, 'MODIFIED')
  }

  deleteNode(name: string): void {
    this.#delete('nodes', '', name)
  }

  /** Sends a BOOKMARK with a fresh resourceVersion (as if other objects changed) to every watch that asked for them. */
  bookmark(): string {
    this.#rv++
    for (const w of this.#watches) {
      if (!w.bookmarks) continue
      const kind = w.route.resource === 'events' ? 'Event' : 'Node'
      this.#write(w, {
        type: 'BOOKMARK',
        object: { kind, apiVersion: 'v1', metadata: { resourceVersion: this.resourceVersion } },
      })
    }
    return this.resourceVersion
  }

  /**
   * Forgets the history: every resourceVersion seen so far becomes too old, as after an etcd
   * compaction. Open watches get an ERROR 410 and end, unless `expireOpenWatches` is false.
   */
  compact(opts: { expireOpenWatches?: boolean } = {}): string {
    this.#rv++
    this.#oldest = this.#rv
    this.#changes = []
    this.#snapshots.clear()
    if (opts.expireOpenWatches ?? true)
      for (const w of this.#watches) {
        this.#write(w, { type: 'ERROR', object: this.#expired(0) })
        w.res.end()
      }
    return this.resourceVersion
  }

  /** Ends every open watch normally, as the API server does every few minutes. */
  dropWatches(): void {
    for (const w of this.#watches) w.res.end()
  }

  /** Sends an ERROR with this Status into every open watch and ends it, as the API server does. */
  sendError(code: number, message: string): void {
    for (const w of this.#watches) {
      this.#write(w, { type: 'ERROR', object: statusBody(code, message) })
      w.res.end()
    }
  }

  /** Writes a line (by default one that is not JSON) into every open watch. */
  injectGarbage(text = '<html>502 Bad Gateway</html>'): void {
    for (const w of this.#watches) w.res.write(`${text}\n`)
  }

  #expired(from: number) {
    return statusBody(410, `too old resource version: ${from} (${this.#oldest})`, 'Expired')
  }

  #key(resource: Resource, namespace: string, name: string) {
    return `${resource}/${resource === 'nodes' ? '' : namespace}/${name}`
  }

  #get(resource: Resource, namespace: string, name: string): KubeObject {
    const stored = this.#objects.get(this.#key(resource, namespace, name))
    if (!stored) throw new Error(`fake kube api: no ${resource} ${namespace}/${name}`)
    return stored.object
  }

  #put(resource: Resource, input: KubeObject, type: ChangeType): KubeObject {
    const object = clone(input)
    if (resource === 'events') object.metadata.namespace ??= 'default'
    const key = this.#key(resource, namespaceOf(object), object.metadata.name)
    if (type === 'ADDED' && this.#objects.has(key))
      throw new Error(`fake kube api: ${key} already exists`)
    object.metadata.uid ??= randomUUID()
    object.metadata.creationTimestamp ??= new Date(testNow()).toISOString()
    object.metadata.resourceVersion = String(++this.#rv)
    this.#objects.set(key, { resource, object })
    this.#record(type, resource, object)
    return clone(object)
  }

  #delete(resource: Resource, namespace: string, name: string): void {
    const object = clone(this.#get(resource, namespace, name))
    this.#objects.delete(this.#key(resource, namespace, name))
    object.metadata.resourceVersion = String(++this.#rv)
    this.#record('DELETED', resource, object)
  }

  #record(type: ChangeType, resource: Resource, object: KubeObject) {
    const change = {
      rv: this.#rv,
      type,
      resource,
      namespace: namespaceOf(object),
      object: clone(object),
    }
    this.#changes.push(change)
    for (const w of this.#watches)
      if (this.#matches(w.route, change)) this.#write(w, { type, object })
  }

  #matches(route: Route, c: { resource: Resource; namespace: string }) {
    return (
      route.resource === c.resource &&
      (route.namespace === undefined || route.namespace === c.namespace)
    )
  }

  #select(route: Route): KubeObject[] {
    return [...this.#objects.values()]
      .filter((s) =>
        this.#matches(route, { resource: s.resource, namespace: namespaceOf(s.object) }),
      )
      .map((s) => clone(s.object))
      .sort((a, b) =>
        `${namespaceOf(a)}/${a.metadata.name}`.localeCompare(
          `${namespaceOf(b)}/${b.metadata.name}`,
        ),
      )
  }

  #write(w: OpenWatch, line: unknown) {
    if (!w.res.writableEnded) w.res.write(`${JSON.stringify(line)}\n`)
  }

  #send(res: http.ServerResponse, record: RequestRecord, code: number, body: unknown) {
    record.status = code
    res.writeHead(code, { 'content-type': 'application/json' })
    res.end(JSON.stringify(body))
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://fake')
    // The readiness endpoint, which every identity may read on a real API server.
    if (url.pathname === '/readyz') {
      this.readyzRequests++
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok')
      return
    }
    const q = url.searchParams
    const route = matchRoute(url.pathname)
    const verb: Verb = q.get('watch') === '1' || q.get('watch') === 'true' ? 'watch' : 'list'
    const record: RequestRecord = {
      verb,
      resource: route?.resource ?? 'events',
      namespace: route?.namespace,
      resourceVersion: q.get('resourceVersion') ?? undefined,
      limit: q.has('limit') ? Number(q.get('limit')) : undefined,
      continue: q.get('continue') ?? undefined,
      allowWatchBookmarks: q.get('allowWatchBookmarks') === 'true',
      timeoutSeconds: q.has('timeoutSeconds') ? Number(q.get('timeoutSeconds')) : undefined,
      status: 0,
      at: Date.now(),
    }
    this.requests.push(record)
    if (req.headers.authorization !== `Bearer ${this.#token}`)
      return this.#send(res, record, 401, statusBody(401, 'Unauthorized'))
    const objectRoute = matchObjectRoute(url.pathname)
    if (objectRoute) {
      readBody(req).then(
        (body) => {
          const answer = this.objects.answer(req.method ?? 'GET', objectRoute, body)
          this.#send(res, record, answer.status, answer.body)
        },
        (err: unknown) => this.#send(res, record, 413, statusBody(413, String(err), 'TooLarge')),
      )
      return
    }
    if (!route)
      return this.#send(
        res,
        record,
        404,
        statusBody(404, 'the server could not find the requested resource'),
      )
    if (req.method !== 'GET')
      return this.#send(res, record, 405, statusBody(405, `${req.method} is not supported here`))
    const stall = this.#stalls.indexOf(verb)
    if (stall >= 0) {
      this.#stalls.splice(stall, 1)
      return
    }
    const hold = verb === 'list' && q.has('continue') ? this.#pageHolds.shift() : undefined
    if (!hold) return this.#answer(res, record, route, q)
    this.#heldPages++
    void hold.then(() => {
      this.#heldPages--
      if (!res.destroyed) this.#answer(res, record, route, q)
    })
  }

  /** An injected failure, or the list or watch asked for. */
  #answer(res: http.ServerResponse, record: RequestRecord, route: Route, q: URLSearchParams) {
    const verb = record.verb
    const i = this.#failures.findIndex(
      (f) =>
        (f.on === 'any' || f.on === verb) &&
        (f.namespace === undefined || f.namespace === route.namespace),
    )
    const failure = i >= 0 ? this.#failures.splice(i, 1)[0] : undefined
    if (failure)
      return this.#send(res, record, failure.status, statusBody(failure.status, failure.message))
    if (verb === 'watch') this.#watch(res, record, route, q)
    else this.#list(res, record, route, q)
  }

  #list(res: http.ServerResponse, record: RequestRecord, route: Route, q: URLSearchParams) {
    if (this.endlessLists) return this.#endlessList(res, record, route, q)
    const token = q.get('continue')
    const snapshot = token
      ? this.#snapshots.get(token)
      : { items: this.#select(route), rv: this.resourceVersion, offset: 0 }
    if (!snapshot)
      return this.#send(
        res,
        record,
        410,
        statusBody(
          410,
          'The provided continue parameter is too old to display a consistent list result.',
        ),
      )
    const limit = Number(q.get('limit')) || 0
    const end =
      limit > 0 ? Math.min(snapshot.offset + limit, snapshot.items.length) : snapshot.items.length
    const metadata: Record<string, unknown> = { resourceVersion: snapshot.rv }
    if (end < snapshot.items.length) {
      const next = randomUUID()
      this.#snapshots.set(next, { ...snapshot, offset: end })
      metadata.continue = next
      metadata.remainingItemCount = snapshot.items.length - end
    }
    const kind = route.resource === 'events' ? 'EventList' : 'NodeList'
    this.#send(res, record, 200, {
      kind,
      apiVersion: 'v1',
      metadata,
      items: snapshot.items.slice(snapshot.offset, end),
    })
  }

  /** A page of the first objects that says there is more, whatever token it was asked with. */
  #endlessList(res: http.ServerResponse, record: RequestRecord, route: Route, q: URLSearchParams) {
    const n = ++this.#endlessPages
    const limit = Number(q.get('limit')) || undefined
    this.#send(res, record, 200, {
      kind: route.resource === 'events' ? 'EventList' : 'NodeList',
      apiVersion: 'v1',
      metadata: {
        resourceVersion: this.resourceVersion,
        continue: this.endlessLists === 'same-token' ? 'same-token' : `page-${n}`,
      },
      items: this.#select(route).slice(0, limit),
    })
  }

  #watch(res: http.ServerResponse, record: RequestRecord, route: Route, q: URLSearchParams) {
    const rvText = q.get('resourceVersion') ?? ''
    const from = rvText === '' || rvText === '0' ? undefined : Number(rvText)
    if (from !== undefined && !Number.isInteger(from))
      return this.#send(res, record, 400, statusBody(400, `invalid resourceVersion "${rvText}"`))
    const expired = from !== undefined && from < this.#oldest
    if (expired && this.expiredWatchAs === 'http')
      return this.#send(res, record, 410, this.#expired(from))
    record.status = 200
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-cache, private' })
    res.flushHeaders()
    const w: OpenWatch = { res, route, bookmarks: q.get('allowWatchBookmarks') === 'true' }
    if (this.flapWatches === 'error') {
      this.#write(w, { type: 'ERROR', object: statusBody(500, 'etcdserver: leader changed') })
      return res.end()
    }
    if (this.flapWatches === 'empty') return res.end()
    // The headers are out (flushHeaders); the reset follows them, as a proxy dropping the stream.
    if (this.flapWatches === 'reset') return void setImmediate(() => res.socket?.resetAndDestroy())
    if (expired) {
      this.#write(w, { type: 'ERROR', object: this.#expired(from) })
      return res.end()
    }
    this.#watches.add(w)
    res.on('close', () => {
      clearTimeout(w.timer)
      this.#watches.delete(w)
    })
    const seconds = Number(q.get('timeoutSeconds')) || 0
    if (seconds > 0) w.timer = setTimeout(() => res.end(), seconds * 1000)
    if (from === undefined)
      for (const object of this.#select(route)) this.#write(w, { type: 'ADDED', object })
    else
      for (const c of this.#changes)
        if (c.rv > from && this.#matches(route, c))
          this.#write(w, { type: c.type, object: c.object })
  }
}

/** Starts a fake API server on 127.0.0.1 (port 0). Close it with `stop()`. */
export async function createFakeKubeApi(opts: FakeKubeApiOptions = {}): Promise<FakeKubeApi> {
  const api = new FakeKubeApi(opts)
  await api.listen()
  return api
}

/** Polls `check` every 10 ms until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(
  check: () => boolean,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await sleep(10)
  }
}

/** One line logged through `recordingLogger`. */
export interface LoggedLine {
  level: 'debug' | 'info' | 'warn' | 'error'
  obj: Record<string, unknown>
  msg: string
}

/** A pino-compatible logger that keeps every line, to assert on what the operator would read. */
export function recordingLogger() {
  const lines: LoggedLine[] = []
  const at =
    (level: LoggedLine['level']) =>
    (obj: object, msg = '') =>
      lines.push({ level, obj: obj as Record<string, unknown>, msg })
  return {
    logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    lines,
    /** Everything logged, as one string (to prove a secret never appears). */
    text: () => JSON.stringify(lines),
  }
}
