/**
 * The list+watch loop under the event source and the node cache. The watch is unreliable by
 * nature (style habit 8), so the loop never stops on its own: 1. list, handing each page over as
 * it arrives (so one page is held at a time, however many Events the cluster keeps), then watch
 * from the last page's resourceVersion with bookmarks; a list that fails midway is not complete
 * (no `last` page is handed over) and the next round lists again from the first page; 2. a stream
 * that ends normally is resumed from the last resourceVersion seen, without a list; 3. `410
 * Expired` (in the stream or as the HTTP answer) means the list is taken again; 4. any other
 * failure (a 410 to a list's continue token included) is logged with what to fix and retried
 * after a capped exponential backoff with jitter. The library's informers stop on errors other
 * than 410, which is why this loop exists.
 *
 * An outage must not cost more than its length: 5. a list or a watch the server accepts (HTTP
 * 200) resets the backoff, so what follows a recovery (often a 410, the server's watch cache
 * being new) is not paced by the failures of the outage; 6. while the server does not answer at
 * all, the backoff wait asks its `/readyz` every `probeMs` and ends as soon as it is ready.
 * Streams that the server accepts but that bring nothing (410 again and again, closed at once)
 * keep their own count, so a broken server still cannot spin us.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { backoffDelay, createSleeper, DEFAULT_BACKOFF, sleepUnless } from './backoff-delay.ts'
import { isApiServerReady } from './is-api-server-ready.ts'
import { describeKubeError } from './kube-api-error.ts'
import { HandlerError, type WatchOutcome, watchOnce } from './watch-once.ts'
import type {
  Backoff,
  ChangeType,
  KubeLogger,
  ListPageFn,
  PagePosition,
  WatchState,
} from './watch-state.ts'

/** What one loop lists and watches, and where it hands the results. */
export interface ListWatchOptions {
  kc: KubeConfig
  /** For log lines and hints: `events in namespace prod`, `nodes`. */
  what: string
  /** Watch path, e.g. `/api/v1/namespaces/prod/events`. */
  path: string
  listPage: ListPageFn
  /**
   * One page of a list (first list, or again after 410 / a failure), awaited before the next page
   * is asked for and, after the last, before watching. A list that fails midway gets no `last`
   * page: the next one starts again with a `first`.
   */
  onListPage(items: unknown[], page: PagePosition): void | Promise<void>
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
  /** While the server does not answer, how often the backoff wait asks whether it is back. Default 1 s. */
  probeMs?: number
  /** That question; default `GET /readyz` answered 200 (is-api-server-ready.ts). */
  isReady?: (signal: AbortSignal) => Promise<boolean>
}

/** A running loop. */
export interface ListWatch {
  start(): void
  /** Ends the open request and any wait, and resolves once the loop has returned. */
  stop(): Promise<void>
  state(): WatchState
}

/** Starts nothing until `start()`: builds one list+watch loop. */
export function createListWatch(o: ListWatchOptions): ListWatch {
  const now = o.now ?? Date.now
  const backoff = o.backoff ?? DEFAULT_BACKOFF
  const random = o.random ?? Math.random
  const timeoutSeconds = o.watchTimeoutSeconds ?? 300
  const log = o.logger
  const probeMs = o.probeMs ?? 1_000
  const isReady = o.isReady ?? ((signal: AbortSignal) => isApiServerReady(o.kc, signal))
  const st: WatchState = { listed: false, connected: false, restarts: 0 }
  let resourceVersion = ''
  /** Failed attempts since the server last accepted a list or a watch. */
  let failures = 0
  /** Accepted rounds in a row that brought nothing: a 410, a stream closed at once. */
  let flaps = 0
  /** The server accepted this round's list or watch. */
  let accepted = false
  /** Something failed since the watch was last connected (a reconnect is then worth a log line). */
  let troubled = false
  let stopped = true
  let running: Promise<void> | undefined
  let abort = new AbortController()
  const sleeper = createSleeper()

  const markDown = () => {
    st.connected = false
    st.downSince ??= now()
  }

  /**
   * Hands the list over page by page as it arrives, so one page is held at a time. Returns the
   * last page's resourceVersion (the one to watch from) once that page was taken; undefined when
   * stopped midway. A failure midway throws: the list is not complete.
   */
  async function listAll(): Promise<{ resourceVersion: string; items: number } | undefined> {
    let continueToken: string | undefined
    let items = 0
    for (let first = true; ; first = false) {
      const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(o.listTimeoutMs ?? 60_000)])
      const page = await o.listPage({ limit: o.pageSize ?? 500, continueToken, signal })
      if (stopped) return undefined
      continueToken = page.continueToken
      const last = !continueToken
      if (last) {
        accepted = true
        failures = 0
      }
      try {
        await o.onListPage(page.items, { first, last })
      } catch (error) {
        throw new HandlerError('onListPage', error)
      }
      items += page.items.length
      if (last) return { resourceVersion: page.resourceVersion, items }
    }
  }

  async function round(): Promise<WatchOutcome> {
    accepted = false
    if (resourceVersion === '') {
      const list = await listAll()
      if (list === undefined) return { kind: 'stopped' }
      resourceVersion = list.resourceVersion
      st.listed = true
      st.lastListAt = now()
      log.debug({ what: o.what, items: list.items, resourceVersion }, 'listed')
    }
    return watchOnce({
      kc: o.kc,
      path: o.path,
      what: o.what,
      resourceVersion,
      timeoutSeconds,
      stopSignal: abort.signal,
      logger: log,
      now,
      onConnected: () => {
        if (st.downSince !== undefined && troubled)
          log.info({ what: o.what, downForMs: now() - st.downSince }, 'watch connected again')
        troubled = false
        st.connected = true
        delete st.downSince
        accepted = true
        failures = 0
      },
      onProgress: (type, rv) => {
        failures = 0
        flaps = 0
        resourceVersion = rv ?? resourceVersion
        if (type !== 'BOOKMARK') st.lastEventAt = now()
      },
      onChange: o.onChange,
    })
  }

  const delayFor = (attempt: number) => backoffDelay(backoff, attempt, random)

  /** A backoff wait that ends early once the server says it is ready. */
  async function sleepUntilReady(ms: number): Promise<void> {
    const wait = { ms, everyMs: probeMs, stopped: () => stopped }
    const ask = () => isReady(AbortSignal.any([abort.signal, AbortSignal.timeout(probeMs)]))
    if (await sleepUnless(sleeper, wait, ask))
      log.info({ what: o.what }, 'the API server is ready again: retrying now')
  }

  /** The server gave no HTTP answer at all (refused, reset, timed out): worth asking when it is back. */
  const isUnanswered = (error: unknown) =>
    !accepted &&
    !(error instanceof HandlerError) &&
    describeKubeError(error, o.what).status === undefined

  function noteFailure(error: unknown, delayMs: number) {
    st.lastErrorAt = now()
    const retry = { what: o.what, retryInMs: delayMs, attempt: failures + flaps }
    if (error instanceof HandlerError) {
      st.lastError = error.message
      log.error({ ...retry, err: error.cause }, `${error.message}: listing ${o.what} again`)
      return
    }
    const d = describeKubeError(error, o.what)
    st.lastError = `${d.message} (${d.hint})`
    const fields = { ...retry, status: d.status, code: d.code, error: d.message }
    // Quiet while it may be a blip; loud once it lasts.
    log[failures + flaps >= 5 ? 'error' : 'warn'](fields, `watching ${o.what} failed: ${d.hint}`)
  }

  async function run() {
    while (!stopped) {
      let outcome: WatchOutcome
      try {
        outcome = await round()
      } catch (error) {
        outcome = stopped ? { kind: 'stopped' } : { kind: 'failed', error }
      }
      if (outcome.kind === 'stopped' || stopped) break
      markDown()
      troubled ||= outcome.kind !== 'ended' || !outcome.healthy
      // A change the handler could not take is only found again by listing.
      if (outcome.kind === 'failed' && outcome.error instanceof HandlerError) resourceVersion = ''
      if (outcome.kind === 'ended') {
        if (outcome.healthy) {
          failures = 0
          flaps = 0
          log.debug({ what: o.what, resourceVersion }, 'watch ended: resuming')
          continue
        }
        flaps++
      } else if (outcome.kind === 'expired') {
        resourceVersion = ''
        st.restarts++
        log.info({ what: o.what }, 'resourceVersion expired (410): listing again')
        // The first 410 relists at once; a second one in a row waits, so a broken server cannot spin us.
        if (flaps++ === 0) continue
      } else {
        failures++
        st.restarts++
        const delayMs = delayFor(failures + flaps)
        noteFailure(outcome.error, delayMs)
        if (isUnanswered(outcome.error)) await sleepUntilReady(delayMs)
        else await sleeper.sleep(delayMs)
        continue
      }
      await sleeper.sleep(delayFor(failures + flaps))
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
      sleeper.wake()
      await running
    },
    state: () => ({ ...st }),
  }
}
