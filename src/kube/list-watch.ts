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
import { backoffDelay, createSleeper, DEFAULT_BACKOFF } from './backoff-delay.ts'
import { describeKubeError } from './kube-api-error.ts'
import { HandlerError, type WatchOutcome, watchOnce } from './watch-once.ts'
import type { Backoff, ChangeType, KubeLogger, ListPageFn, WatchState } from './watch-state.ts'

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
  const sleeper = createSleeper()

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

  async function round(): Promise<WatchOutcome> {
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
        if (st.downSince !== undefined && failures > 0)
          log.info({ what: o.what, downForMs: now() - st.downSince }, 'watch connected again')
        st.connected = true
        delete st.downSince
      },
      onProgress: (type, rv) => {
        failures = 0
        resourceVersion = rv ?? resourceVersion
        if (type !== 'BOOKMARK') st.lastEventAt = now()
      },
      onChange: o.onChange,
    })
  }

  const delayFor = (attempt: number) => backoffDelay(backoff, attempt, random)

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
      let outcome: WatchOutcome
      try {
        outcome = await round()
      } catch (error) {
        outcome = stopped ? { kind: 'stopped' } : { kind: 'failed', error }
      }
      if (outcome.kind === 'stopped' || stopped) break
      markDown()
      // A change the handler could not take is only found again by listing.
      if (outcome.kind === 'failed' && outcome.error instanceof HandlerError) resourceVersion = ''
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
        await sleeper.sleep(delayMs)
        continue
      }
      await sleeper.sleep(delayFor(failures))
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
