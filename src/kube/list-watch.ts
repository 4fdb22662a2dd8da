/**
 * The list+watch loop under the event source and the node cache. The watch is unreliable by
 * nature (style habit 8), so the loop never stops on its own: 1. list, handing each page over as
 * it arrives (so one page is held at a time, however many Events the cluster keeps), then watch
 * from the last page's resourceVersion with bookmarks; a list that fails midway is not complete
 * (no `last` page is handed over) and the next round lists again from the first page; 2. a stream
 * that ends normally is resumed from the last resourceVersion seen, without a list; 3. `410
 * Expired` (in the stream or as the HTTP answer) means the list is taken again; 4. any other
 * failure (a 410 to a list's continue token included, and a list that would never end: a continue
 * token it already sent, or more than MAX_LIST_PAGES pages) is logged with what to fix and retried
 * after a capped exponential backoff with jitter. The library's informers stop on errors other
 * than 410, which is why this loop exists.
 *
 * An outage must not cost more than its length: 5. a complete list resets the backoff, and so
 * does a watch once it proved itself (below), so what follows a recovery (often a 410, the
 * server's watch cache being new) is not paced by the failures of the outage; 6. while the server
 * does not answer at all, the backoff wait asks its `/readyz` every `probeMs` and ends as soon as
 * it is ready. Streams that the server accepts but that bring nothing (410 again and again,
 * closed at once) keep their own count, so a broken server still cannot spin us.
 *
 * An HTTP 200 is not a working watch: a server (or a proxy) can accept every watch and fail it at
 * once, with an ERROR, a reset, or an empty body. 7. A watch counts as up (the outage over:
 * `downSince` cleared, the backoff reset) only once it proved itself: it delivered an event or a
 * bookmark, or it stayed open for `WATCH_PROVEN_MS`. One that ends before that leaves the
 * outage's first `downSince` standing and the backoff growing, so `alerting.watchDownAfter` is
 * told of a server that only flaps. 8. A proven watch that the server ends (its timeout, every few
 * minutes) or expires (410) is routine: the resumed watch inherits its standing, and only if that
 * one fails before it proves itself does the outage count from when the good one ended.
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
  /** The most pages one list may take (default MAX_LIST_PAGES). */
  maxPages?: number
  /** One list page taking longer than this is abandoned and retried. Default 60 s. */
  listTimeoutMs?: number
  /** For jitter; default Math.random. */
  random?: () => number
  /** While the server does not answer, how often the backoff wait asks whether it is back. Default 1 s. */
  probeMs?: number
  /** That question; default `GET /readyz` answered 200 (is-api-server-ready.ts). */
  isReady?: (signal: AbortSignal) => Promise<boolean>
}

/**
 * How long an accepted watch must stay open, when it delivers nothing, to count as up. A server
 * that accepts watches and fails them at once does so within milliseconds (an ERROR line right
 * after the 200, a proxy resetting the connection, an empty body): 10 s is far past that, yet
 * short next to `alerting.watchDownAfter` (minutes) and the 300 s a watch asks to last, so a
 * recovered watch in a quiet cluster (no events, bookmarks about once a minute) is back in
 * `status` within 10 s. A server that ends each watch after more than 10 s is retried at most
 * every 10 s and loses nothing (each resumes from the last resourceVersion).
 */
export const WATCH_PROVEN_MS = 10_000

/**
 * The most pages one list may take. At the default 500 items a page that is 500,000 objects:
 * several times the Events of the largest clusters Kubernetes supports (5,000 nodes, 150,000
 * pods; Events live an hour), and a hundred times their Nodes. A server (or proxy) whose continue
 * tokens never end would otherwise be paged forever, and a consumer that keeps the pages until
 * the last (the node cache) would grow without bound.
 */
export const MAX_LIST_PAGES = 1_000

/** A list the server never ends: a continue token came back again, or it passed MAX_LIST_PAGES. */
export class EndlessListError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'EndlessListError'
  }
}

/** relist() was asked: changes the watch delivered were lost by their consumer. */
class RelistAsked extends HandlerError {
  constructor(reason: Error) {
    super('relist', reason)
    this.message = `asked to list again: ${reason.message}`
    this.name = 'RelistAsked'
  }
}

/** A running loop. */
export interface ListWatch {
  start(): void
  /** Ends the open request and any wait, and resolves once the loop has returned. */
  stop(): Promise<void>
  /**
   * What the watch delivered since `reason` was lost (a commit the store could not make): the
   * open watch ends as if its handler had thrown, and the loop lists again after its backoff.
   * A list in progress is followed by another: the lost changes may be older than its pages.
   */
  relist(reason: Error): void
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
  // A watch that ran the course it asked for (a short `timeoutSeconds`, in tests) proved itself too:
  // the server counts the timeout from when it took the request, we from its answer, so half.
  const provenMs = Math.min(WATCH_PROVEN_MS, timeoutSeconds * 500)
  const maxPages = o.maxPages ?? MAX_LIST_PAGES
  const st: WatchState = { listed: false, connected: false, restarts: 0 }
  let resourceVersion = ''
  /** Failed attempts since a list completed or a watch proved itself. */
  let failures = 0
  /** Accepted rounds in a row that brought nothing: a 410, a stream closed at once. */
  let flaps = 0
  /** When this round's watch was accepted; undefined while no stream is open. */
  let openSince: number | undefined
  /** This round's watch proved itself (an event, a bookmark, or open for `provenMs`). */
  let proven = false
  /** A proven watch ended routinely then; the one resuming it has not proved itself yet. */
  let graceSince: number | undefined
  /** The server accepted this round's list or watch. */
  let accepted = false
  /** Something failed since the watch was last connected (a reconnect is then worth a log line). */
  let troubled = false
  let stopped = true
  let running: Promise<void> | undefined
  let abort = new AbortController()
  /** Ends the open watch on relist(); a fresh one each watch. */
  let watchAbort: AbortController | undefined
  /** Why relist() was asked, until the loop takes it up. */
  let relistFor: Error | undefined
  const sleeper = createSleeper()

  /** The watch works: the outage (if any) is over and the backoff starts again from the first step. */
  const prove = () => {
    if (proven) return
    proven = true
    failures = 0
    flaps = 0
    graceSince = undefined
    delete st.downSince
  }

  /**
   * What time alone decides: a stream open for `provenMs` proved itself; a routine resume that has
   * not even opened its stream within `provenMs` is an outage since the good watch ended.
   */
  const settle = () => {
    const t = now()
    if (openSince !== undefined && !proven && t - openSince >= provenMs) prove()
    if (graceSince !== undefined && openSince === undefined && t - graceSince >= provenMs) {
      st.downSince ??= graceSince
      graceSince = undefined
    }
  }

  /**
   * This round's stream is over (or never opened). Down, unless a proven watch ended routinely:
   * then the next one gets its grace. An outage keeps the `downSince` it began with. Says whether
   * the stream had proved itself.
   */
  const markDown = (routine = false): boolean => {
    settle()
    const up = proven
    openSince = undefined
    proven = false
    st.connected = false
    if (up && routine) {
      graceSince = now()
      return up
    }
    st.downSince ??= graceSince ?? now()
    graceSince = undefined
    return up
  }

  /**
   * Hands the list over page by page as it arrives, so one page is held at a time. Returns the
   * last page's resourceVersion (the one to watch from) once that page was taken; undefined when
   * stopped midway. A failure midway throws: the list is not complete. So does a list that would
   * never end (a continue token seen before in it, or more than MAX_LIST_PAGES pages): before
   * its page is handed over, so nothing of it is kept.
   */
  async function listAll(): Promise<{ resourceVersion: string; items: number } | undefined> {
    let continueToken: string | undefined
    const tokens = new Set<string>()
    let items = 0
    for (let pages = 1; ; pages++) {
      const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(o.listTimeoutMs ?? 60_000)])
      const page = await o.listPage({ limit: o.pageSize ?? 500, continueToken, signal })
      if (stopped) return undefined
      const first = pages === 1
      continueToken = page.continueToken
      if (continueToken !== undefined) {
        if (tokens.has(continueToken))
          throw new EndlessListError(
            `the API server sent page ${pages} of the list with a continue token it already sent: it would never end`,
          )
        if (pages >= maxPages)
          throw new EndlessListError(
            `the list did not end within ${maxPages} pages of ${o.pageSize ?? 500}`,
          )
        tokens.add(continueToken)
      }
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
    proven = false
    if (resourceVersion === '') {
      const list = await listAll()
      if (list === undefined) return { kind: 'stopped' }
      resourceVersion = list.resourceVersion
      st.listed = true
      st.refused = false
      st.lastListAt = now()
      log.debug({ what: o.what, items: list.items, resourceVersion }, 'listed')
    }
    const relisting = () => {
      const reason = relistFor
      relistFor = undefined
      return reason && { kind: 'failed' as const, error: new RelistAsked(reason) }
    }
    const before = relisting()
    if (before) return before
    watchAbort = new AbortController()
    const outcome = await watchOnce({
      kc: o.kc,
      path: o.path,
      what: o.what,
      resourceVersion,
      timeoutSeconds,
      stopSignal: AbortSignal.any([abort.signal, watchAbort.signal]),
      logger: log,
      onConnected: () => {
        if (st.downSince !== undefined && troubled)
          log.info({ what: o.what, downForMs: now() - st.downSince }, 'watch connected again')
        troubled = false
        // Open, not yet up: `downSince` and the backoff wait until it proves itself.
        st.connected = true
        openSince = now()
        accepted = true
      },
      onProgress: (type, rv) => {
        prove()
        resourceVersion = rv ?? resourceVersion
        if (type !== 'BOOKMARK') st.lastEventAt = now()
      },
      onChange: o.onChange,
    })
    watchAbort = undefined
    return (!stopped && relisting()) || outcome
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
    !(error instanceof EndlessListError) &&
    describeKubeError(error, o.what).status === undefined

  function noteFailure(error: unknown, delayMs: number) {
    st.lastErrorAt = now()
    const retry = { what: o.what, retryInMs: delayMs, attempt: failures + flaps }
    if (error instanceof HandlerError) {
      st.lastError = error.message
      log.error({ ...retry, err: error.cause }, `${error.message}: listing ${o.what} again`)
      return
    }
    if (error instanceof EndlessListError) {
      const hint =
        'the API server or a proxy in front of it is broken; listing again from the start'
      st.lastError = `${error.message} (${hint})`
      log.error({ ...retry, error: error.message }, `listing ${o.what} failed: ${hint}`)
      return
    }
    const d = describeKubeError(error, o.what)
    st.lastError = `${d.message} (${d.hint})`
    // Until a list succeeds: a later blip (no answer, a 5xx) does not undo what RBAC answered.
    if (d.status === 401 || d.status === 403 || d.status === 404) st.refused = true
    const fields = { ...retry, status: d.status, code: d.code, error: d.message }
    // Quiet while it may be a blip; loud once it lasts.
    log[failures + flaps >= 5 ? 'error' : 'warn'](fields, `watching ${o.what} failed: ${d.hint}`)
  }

  /** A stream accepted and ended before it proved itself: quiet while it may be a blip. */
  function noteEmptyStream(delayMs: number) {
    if (flaps < 5) return
    st.lastError = 'the API server accepts the watch and ends it at once, with nothing in it'
    st.lastErrorAt = now()
    log[flaps >= 10 ? 'error' : 'warn'](
      { what: o.what, retryInMs: delayMs, attempt: failures + flaps },
      `watching ${o.what}: ${st.lastError}; retrying`,
    )
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
      const wasUp = markDown(outcome.kind === 'ended' || outcome.kind === 'expired')
      troubled ||= outcome.kind !== 'ended' || !wasUp
      // A change the handler could not take is only found again by listing.
      if (outcome.kind === 'failed' && outcome.error instanceof HandlerError) resourceVersion = ''
      if (outcome.kind === 'ended') {
        if (wasUp) {
          log.debug({ what: o.what, resourceVersion }, 'watch ended: resuming')
          continue
        }
        flaps++
        const delayMs = delayFor(failures + flaps)
        noteEmptyStream(delayMs)
        await sleeper.sleep(delayMs)
      } else if (outcome.kind === 'expired') {
        resourceVersion = ''
        st.restarts++
        log.info({ what: o.what }, 'resourceVersion expired (410): listing again')
        // The first 410 relists at once; a second one in a row waits, so a broken server cannot spin us.
        if (flaps++ > 0) await sleeper.sleep(delayFor(failures + flaps))
      } else {
        failures++
        st.restarts++
        const delayMs = delayFor(failures + flaps)
        noteFailure(outcome.error, delayMs)
        if (isUnanswered(outcome.error)) await sleepUntilReady(delayMs)
        else await sleeper.sleep(delayMs)
      }
    }
    markDown()
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      abort = new AbortController()
      st.downSince ??= graceSince ?? now()
      graceSince = undefined
      const previous = running ?? Promise.resolve()
      running = previous.then(run)
    },
    async stop() {
      stopped = true
      abort.abort()
      sleeper.wake()
      await running
    },
    relist(reason) {
      if (stopped) return
      relistFor = reason
      watchAbort?.abort()
    },
    state: () => {
      settle()
      return { ...st }
    },
  }
}
