/**
 * The event source: list+watch of core/v1 Events, cluster-wide or per namespace, normalised to
 * ClusterEvents. It never decides what is new; the pipeline diffs lists against the archive.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import {
  type ClusterEvent,
  createdOf,
  type ReportInvalid,
  toClusterEvent,
} from './cluster-event.ts'
import { listPageOf } from './list-page.ts'
import { createListWatch, type ListWatch } from './list-watch.ts'
import type { Backoff, KubeLogger, PagePosition, WatchState } from './watch-state.ts'

export type { Backoff, KubeLogger, WatchState } from './watch-state.ts'

/**
 * Where a page of events stands: its list's `scope` (the namespace it covers, undefined for all
 * namespaces) and whether it is the list's first and last page.
 */
export interface EventListPage extends PagePosition {
  scope: string | undefined
}

/** Where the event source hands what it takes in. */
export interface EventSourceHandlers {
  /**
   * One page of a list (first list, or relist after 410 / restart), awaited before the next page
   * is asked for and, after the last, before watching. With `namespaces` set, each namespace is
   * listed on its own (its pages carry it as `scope`). The list is complete only with its `last`
   * page: one that fails midway never gets there, and is listed again from a `first` page.
   */
  onListPage(events: ClusterEvent[], page: EventListPage): void | Promise<void>
  /** One ADDED or MODIFIED event from the watch. */
  onEvent(event: ClusterEvent): void
  /**
   * The API server deleted the Event with this uid and creation time (`createdOf`; its TTL ran
   * out): the archive keeps it a while.
   */
  onDeleted(uid: string, created: number): void
  /** An Event was rejected, or had values clamped (see toClusterEvent). */
  onInvalid?: ReportInvalid
}

/** What the event source needs. */
export interface EventSourceOptions {
  kc: KubeConfig
  /** Namespaces to watch; [] = all, with one list+watch. */
  namespaces: string[]
  handlers: EventSourceHandlers
  logger: KubeLogger
  now?: () => number
  backoff?: Backoff
  watchTimeoutSeconds?: number
  /** Items per list page (default 500). */
  pageSize?: number
}

/** A running event source. */
export interface EventSource {
  start(): void
  stop(): Promise<void>
  /**
   * Combined over the namespaces: connected only when every one is; listed when one is and every
   * other one is too or was refused.
   */
  state(): WatchState
  /** Every namespace's watch lists again (ListWatch.relist). */
  relist(reason: Error): void
}

/** Combines per-namespace states: the source is only as healthy as its worst namespace. */
export function combineStates(states: WatchState[]): WatchState {
  const max = (values: (number | undefined)[]) => {
    const defined = values.filter((v): v is number => v !== undefined)
    return defined.length ? Math.max(...defined) : undefined
  }
  const downs = states.map((s) => s.downSince).filter((v): v is number => v !== undefined)
  const latest = states
    .filter((s) => s.lastErrorAt !== undefined)
    .sort((a, b) => (b.lastErrorAt ?? 0) - (a.lastErrorAt ?? 0))[0]
  const lastListAt = max(states.map((s) => s.lastListAt))
  const lastEventAt = max(states.map((s) => s.lastEventAt))
  return {
    listed: states.some((s) => s.listed) && states.every((s) => s.listed || s.refused === true),
    connected: states.every((s) => s.connected),
    restarts: states.reduce((sum, s) => sum + s.restarts, 0),
    ...(lastListAt !== undefined ? { lastListAt } : {}),
    ...(lastEventAt !== undefined ? { lastEventAt } : {}),
    ...(downs.length ? { downSince: Math.min(...downs) } : {}),
    ...(latest?.lastError !== undefined ? { lastError: latest.lastError } : {}),
    ...(latest?.lastErrorAt !== undefined ? { lastErrorAt: latest.lastErrorAt } : {}),
  }
}

/** Builds the event source; nothing is requested until `start()`. */
export function createEventSource(opts: EventSourceOptions): EventSource {
  const now = opts.now ?? Date.now
  const log = opts.logger
  const namespaces = [...new Set(opts.namespaces)]
  if (namespaces.length > 0 && !namespaces.includes('default'))
    log.info(
      { namespaces },
      "kubernetes.namespaces does not include 'default': events about Nodes and other cluster-scoped objects (stored in 'default') will not be seen; add it to watch them",
    )

  const report = opts.handlers.onInvalid
  const convert = (raw: unknown): ClusterEvent | undefined => {
    const event = toClusterEvent(raw, now(), report)
    // `'uid' in` rather than isRejection: ClusterEvent also has `reason`, so the guard's false branch narrows to never.
    if ('uid' in event) return event
    if (report) report(event.label, event.reason, raw)
    else {
      const meta = (raw as { metadata?: { namespace?: unknown; name?: unknown } } | null)?.metadata
      log.warn(
        { reason: event.reason, namespace: meta?.namespace, name: meta?.name },
        'skipped an Event the API server sent: it cannot be used',
      )
    }
    return undefined
  }

  const loops: ListWatch[] = (namespaces.length ? namespaces : [undefined]).map((namespace) => {
    const what = namespace ? `events in namespace ${namespace}` : 'events in all namespaces'
    const path = namespace
      ? `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`
      : '/api/v1/events'
    return createListWatch({
      kc: opts.kc,
      what,
      path,
      listPage: listPageOf(opts.kc, path),
      onListPage: (items, page) =>
        opts.handlers.onListPage(
          items.map(convert).filter((e): e is ClusterEvent => e !== undefined),
          { ...page, scope: namespace },
        ),
      onChange: (type, object) => {
        if (type === 'DELETED') {
          const meta = (object as { metadata?: { uid?: unknown } } | null)?.metadata
          const uid = meta?.uid
          if (typeof uid === 'string' && uid !== '') opts.handlers.onDeleted(uid, createdOf(meta))
          return
        }
        const event = convert(object)
        if (event) opts.handlers.onEvent(event)
      },
      logger: log,
      now,
      ...(opts.backoff ? { backoff: opts.backoff } : {}),
      ...(opts.watchTimeoutSeconds ? { watchTimeoutSeconds: opts.watchTimeoutSeconds } : {}),
      ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
    })
  })

  return {
    start: () => {
      for (const loop of loops) loop.start()
    },
    stop: async () => {
      await Promise.all(loops.map((loop) => loop.stop()))
    },
    state: () => combineStates(loops.map((loop) => loop.state())),
    relist: (reason) => {
      for (const loop of loops) loop.relist(reason)
    },
  }
}
