/**
 * The list+watch loop under the event source and the node cache. The watch is unreliable by
 * nature (style habit 8), so the loop never stops on its own: 1. list (paged), hand the full list
 * over, then watch from the list's resourceVersion with bookmarks; 2. a stream that ends normally
 * is resumed from the last resourceVersion seen, without a list; 3. `410 Expired` (in the stream
 * or as the HTTP answer) means the list is taken again; 4. any other failure is logged with what
 * to fix and retried after a capped exponential backoff with jitter. The library's informers stop
 * on errors other than 410, which is why this loop exists.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { describeKubeError, KubeApiError, statusOf, toStatus } from './kube-api-error.ts'
import { readWatchStream, type WatchLine } from './read-watch-stream.ts'

type LogFn = (obj: object, msg?: string) => void
/** The pino-compatible logger every kube module takes. */
export interface KubeLogger {
  debug: LogFn
  info: LogFn
  warn: LogFn
  error: LogFn
}

/** Health of a watch, for /readyz and the `status` command. Times are epoch ms. */
export interface WatchState {
  /** A complete list was taken in (of every namespace, for the event source). */
  listed: boolean
  /** The watch stream is open (every stream, for the event source). */
  connected: boolean
  lastListAt?: number
  /** Last ADDED/MODIFIED/DELETED received. */
  lastEventAt?: number
  /** Since when the watch is not connected; absent while it is. */
  downSince?: number
  /** Relists and retries after a failure or a 410 (routine resumes of ended streams are not counted). */
  restarts: number
  /** The last failure, described for an operator. */
  lastError?: string
  lastErrorAt?: number
}

/** Retry delays: the first retry waits about `initialMs`, doubling up to `maxMs`. */
export interface Backoff {
  initialMs: number
  maxMs: number
}

/** One page of a list, in wire (JSON) shape. */
export interface ListPage {
  items: unknown[]
  resourceVersion: string
  continueToken: string | undefined
}

/** Fetches one page; `signal` aborts it (on stop, or when the page takes too long). */
export type ListPageFn = (page: {
  limit: number
  continueToken: string | undefined
  signal: AbortSignal
}) => Promise<ListPage>

/** A change from the watch. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED'

/** What one loop lists and watches, and where it hands the results. */
export interface ListWatchOptions {
  kc: KubeConfig
  /** For log lines and hints: `events in namespace prod`, `nodes`. */
  what: string
  /** Watch path, e.g. `/api/v1/namespaces/prod/events`. */
  path: string
  listPage: ListPageFn
  /** The complete list (first list, or again after 410 / a failure). Awaited before watching. */
  onList(items: unknown[]): void | Promise<void>
  /** One change from the watch. A throw is logged and forces a relist, so nothing is lost. */
  onChange(type: ChangeType, object: unknown): void
  logger: KubeLogger
  now?: () => number
  backoff?: Backoff
  /** Asked of the server per watch request; it ends the stream after this. Default 300. */
  watchTimeoutSeconds?: number
  /** Items per list page. Default 500. */
  pageSize?: number
  /** One list page taking longer than this is abandoned and retried. Default 60 s. */
  listTimeoutMs?: number
  /** For jitter; default Math.random. */
  random?: () => number
}

/** A running loop. */
export interface ListWatch {
  start(): void
  /** Ends the open request and any wait, and resolves once the loop has returned. */
  stop(): Promise<void>
  state(): WatchState
}

/** Default backoff: 1 s doubling to 30 s, like client-go's reflector roughly. */
export const DEFAULT_BACKOFF: Backoff = { initialMs: 1000, maxMs: 30_000 }
/** A stream that delivered nothing and lasted less than this counts as a failure (no hot loop). */
const HEALTHY_STREAM_MS = 1000

/** Our own handler (onList/onChange) threw: not the API server's fault, said so in the log. */
class HandlerError extends Error {
  constructor(handler: string, cause: unknown) {
    super(`${handler} threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'HandlerError'
  }
}

type Outcome =
  | { kind: 'ended'; healthy: boolean }
  | { kind: 'expired' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'stopped' }

const resourceVersionOf = (object: unknown): string | undefined => {
  const meta = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata
  return typeof meta?.resourceVersion === 'string' && meta.resourceVersion !== ''
    ? meta.resourceVersion
    : undefined
}

/** Starts nothing until `start()`: builds one list+watch loop. */
export function createListWatch(o: ListWatchOptions): ListWatch {
  const now = o.now ?? Date.now
  const backoff = o.backoff ?? DEFAULT_BACKOFF
  const random = o.random ?? Math.random
  const timeoutSeconds = o.watchTimeoutSeconds ?? 300
  const log = o.logger
  const st: WatchState = { listed: false, connected: false, restarts: 0 }
  let resourceVersion = ''
  let failures = 0
  let stopped = true
  let running: Promise<void> | undefined
  let abort = new AbortController()
  let wake: (() => void) | undefined

  const markDown = () => {
    st.connected = false
    st.downSince ??= now()
  }

  async function listAll(): Promise<{ items: unknown[]; resourceVersion: string }> {
    const items: unknown[] = []
    let continueToken: string | undefined
    let rv = ''
    do {
      const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(o.listTimeoutMs ?? 60_000)])
      const page = await o.listPage({ limit: o.pageSize ?? 500, continueToken, signal })
      items.push(...page.items)
      rv = page.resourceVersion
      continueToken = page.continueToken
    } while (continueToken)
    return { items, resourceVersion: rv }
  }

  async function watchOnce(signal: AbortSignal, stop: () => void): Promise<Outcome> {
    const startedAt = now()
    let received = 0
    let outcome: Outcome | undefined
    const onLine = ({ type, object }: WatchLine) => {
      if (outcome) return
      if (type === 'ERROR') {
        const status = toStatus(object)
        outcome =
          status?.code === 410
            ? { kind: 'expired' }
            : {
                kind: 'failed',
                error: new KubeApiError(
                  status?.code ?? 500,
                  status?.reason ?? '',
                  status?.message ?? 'watch ERROR',
                ),
              }
        // The server ends the stream after an ERROR; do not rely on it.
        stop()
        return
      }
      if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') {
        log.warn({ what: o.what, type }, 'unknown watch event type: skipped')
        return
      }
      received++
      failures = 0
      resourceVersion = resourceVersionOf(object) ?? resourceVersion
      if (type === 'BOOKMARK') return
      st.lastEventAt = now()
      try {
        o.onChange(type, object)
      } catch (error) {
        outcome = { kind: 'failed', error: new HandlerError('onChange', error) }
        resourceVersion = ''
        stop()
      }
    }
    try {
      await readWatchStream({
        kc: o.kc,
        path: o.path,
        query: {
          resourceVersion,
          allowWatchBookmarks: 'true',
          timeoutSeconds: String(timeoutSeconds),
        },
        signal,
        idleTimeoutMs: (timeoutSeconds + 30) * 1000,
        onConnected: () => {
          if (st.downSince !== undefined && failures > 0)
            log.info({ what: o.what, downForMs: now() - st.downSince }, 'watch connected again')
          st.connected = true
          delete st.downSince
        },
        onLine,
        onGarbage: (text) =>
          log.warn(
            { what: o.what, line: text.slice(0, 200) },
            'watch sent a line that is not JSON: skipped',
          ),
      })
    } catch (error) {
      if (stopped) return { kind: 'stopped' }
      if (outcome) return outcome
      return statusOf(error) === 410 ? { kind: 'expired' } : { kind: 'failed', error }
    }
    if (stopped) return { kind: 'stopped' }
    return (
      outcome ?? { kind: 'ended', healthy: received > 0 || now() - startedAt >= HEALTHY_STREAM_MS }
    )
  }

  async function round(): Promise<Outcome> {
    if (resourceVersion === '') {
      const list = await listAll()
      if (stopped) return { kind: 'stopped' }
      try {
        await o.onList(list.items)
      } catch (error) {
        throw new HandlerError('onList', error)
      }
      resourceVersion = list.resourceVersion
      st.listed = true
      st.lastListAt = now()
      log.debug({ what: o.what, items: list.items.length, resourceVersion }, 'listed')
    }
    const request = new AbortController()
    const onStop = () => request.abort()
    abort.signal.addEventListener('abort', onStop)
    try {
      return await watchOnce(request.signal, onStop)
    } finally {
      abort.signal.removeEventListener('abort', onStop)
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer)
        wake = undefined
        resolve()
      }
      const timer = setTimeout(done, ms)
      wake = done
    })
  }

  function delayFor(attempt: number): number {
    const capped = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.min(attempt - 1, 30))
    return Math.round(capped / 2 + (random() * capped) / 2)
  }

  function noteFailure(error: unknown, delayMs: number) {
    st.lastErrorAt = now()
    const retry = { what: o.what, retryInMs: delayMs, attempt: failures }
    if (error instanceof HandlerError) {
      st.lastError = error.message
      log.error({ ...retry, err: error.cause }, `${error.message}: listing ${o.what} again`)
      return
    }
    const d = describeKubeError(error, o.what)
    st.lastError = `${d.message} (${d.hint})`
    const fields = { ...retry, status: d.status, code: d.code, error: d.message }
    // Quiet while it may be a blip; loud once it lasts.
    log[failures >= 5 ? 'error' : 'warn'](fields, `watching ${o.what} failed: ${d.hint}`)
  }

  async function run() {
    while (!stopped) {
      let outcome: Outcome
      try {
        outcome = await round()
      } catch (error) {
        outcome = stopped ? { kind: 'stopped' } : { kind: 'failed', error }
      }
      if (outcome.kind === 'stopped' || stopped) break
      markDown()
      if (outcome.kind === 'ended') {
        if (outcome.healthy) {
          failures = 0
          log.debug({ what: o.what, resourceVersion }, 'watch ended: resuming')
          continue
        }
        failures++
      } else if (outcome.kind === 'expired') {
        resourceVersion = ''
        st.restarts++
        log.info({ what: o.what }, 'resourceVersion expired (410): listing again')
        // The first 410 relists at once; a second one in a row waits, so a broken server cannot spin us.
        if (failures++ === 0) continue
      } else {
        failures++
        st.restarts++
        const delayMs = delayFor(failures)
        noteFailure(outcome.error, delayMs)
        await sleep(delayMs)
        continue
      }
      await sleep(delayFor(failures))
    }
    markDown()
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      abort = new AbortController()
      st.downSince ??= now()
      const previous = running ?? Promise.resolve()
      running = previous.then(run)
    },
    async stop() {
      stopped = true
      abort.abort()
      wake?.()
      await running
    },
    state: () => ({ ...st }),
  }
}
