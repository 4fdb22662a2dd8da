/**
 * The types shared by the list+watch loop and the sources built on it.
 */

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
  /**
   * A complete list was taken in. For the event source over several namespaces: of at least one,
   * and every other one was listed or refused (see `refused`).
   */
  listed: boolean
  /**
   * The API server answered an attempt with 401, 403 or 404 (RBAC, a namespace that does not
   * exist) and no list succeeded since: trying again changes nothing until someone changes the
   * cluster, and a later blip (no answer, a 5xx) does not make it otherwise. Such a
   * namespace does not keep the others from counting as listed (and /readyz from 200), or the
   * pod would never be ready and the chat, which reaches only ready pods, never answer; it stays
   * down (`status`, the watch-down notice, `kubeding_watch_up`).
   */
  refused?: boolean
  /**
   * The watch stream is open (every stream, for the event source). Open is not yet up: a stream
   * counts as up once it proved itself (list-watch.ts), and `downSince` stays until then.
   */
  connected: boolean
  lastListAt?: number
  /** Last ADDED/MODIFIED/DELETED received. */
  lastEventAt?: number
  /**
   * Since when the watch is down: not connected, or connected but not yet proved working (a
   * server that accepts each watch and fails it at once keeps the outage's first time). Absent
   * while it works, and across a routine resume of a watch that did.
   */
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

/**
 * Where a page stands in its list. A list is handed over page by page so that one page at a
 * time is held; it is complete only once its `last` page was taken.
 */
export interface PagePosition {
  first: boolean
  last: boolean
}

/** Fetches one page; `signal` aborts it (on stop, or when the page takes too long). */
export type ListPageFn = (page: {
  limit: number
  continueToken: string | undefined
  signal: AbortSignal
}) => Promise<ListPage>

/** A change from the watch. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED'
