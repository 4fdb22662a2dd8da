/**
 * The push pipeline: every event from the watch is archived, compared with what the archive
 * knew, routed, checked against mutes, grouped, and put in the outbox, in a transaction, so an
 * event is either fully taken in (archive, ledger, outbox) or not at all and the next list finds
 * it again. What one read of the watch brings is written as it is handed over, into one
 * transaction that the event source commits (`flush`) once the read is handed over, in the same
 * turn of the event loop: nothing else sees it open, and nothing of it is held in memory.
 *
 * A list arrives page by page (one page held at a time, however many Events the cluster keeps),
 * each page in its own transaction, every page of one list seen at the time of its first page.
 * Only after the last page are the scope's archived events that no page showed marked gone: a
 * list abandoned midway has taken in real events and marked nothing.
 *
 * The bootstrap is per list scope (a watched namespace, or all namespaces): a scope's first
 * complete list ever is archived without alerting (that is history), and its last page records
 * in the store, in the same transaction, that the scope is bootstrapped. From then on its lists
 * alert what is new, after a restart too. So a namespace that cannot be listed (403: RBAC only
 * granted in the others) delays nothing but its own bootstrap; its failure is the watch's to tell
 * (log, `status`, /metrics, the watch-down notice).
 *
 * Failures: one event the store refuses (a value of its own) is skipped, noted, and the rest
 * taken in without it, so one bad event never blocks the others: in a list page, the page is
 * written again without it; from the watch, the refused write was its first (SQLite undid just
 * that statement), or else the read is rolled back and `ingest` throws, which makes the watch list
 * again and the list skips it. A store that cannot be written (full disk, I/O error) rolls back
 * what the read brought, and `ingest`, `remove` and `flush` throw until a list could be written:
 * the watch lists again (after its own backoff), which takes in what was rolled back once the store
 * can be written, so nothing the API server still holds is lost.
 */
import type { RouteConfig } from '../config/schema.ts'
import type { ClusterEvent } from '../kube/cluster-event.ts'
import type { EventListPage } from '../kube/watch-events.ts'
import type { AlertEvent, OutboxMessage } from '../notify/outbox-message.ts'
import { createAlertLedger } from '../store/alert-ledger.ts'
import { createEventArchive, type KnownEvent } from '../store/events.ts'
import type { Store } from '../store/open-store.ts'
import { isStoreFailure, type StoreHealth, storeFailureKind } from '../store/store-health.ts'
import { createGrouper } from './grouper.ts'
import type { InvalidEvents } from './invalid-events.ts'
import { routeToRobots } from './match-route.ts'

/** The mute check the pipeline asks for every routed event (ChatOps' mute store). */
export interface MuteCheck {
  match(
    event: Pick<ClusterEvent, 'namespace' | 'kind' | 'name' | 'reason'>,
    now: number,
  ): { id: string } | undefined
  recordHeldBack(id: string, occurrences: number): void
}

/**
 * Node problems told from the node watch itself (node-conditions.ts). Called inside the
 * transaction for each routed, unmuted event: true when the event is node-problem-detector's
 * word on a node problem this robot was already told about (the event adds no message);
 * otherwise it notes that the event tells it, so the condition is not told a second time.
 */
export interface NodeProblemClaims {
  absorbs(robot: string, event: ClusterEvent, now: number): boolean
}

/** A copy of every new or changed event (the SLS archive). Called inside the transaction. */
export interface ArchiveSink {
  enqueue(events: readonly ClusterEvent[]): void
}

export interface PipelineDeps {
  store: Store
  routes: readonly RouteConfig[]
  groupWindowMs: number
  /** Puts a message in a robot's outbox; called inside the pipeline's transaction. */
  enqueue(robot: string, message: OutboxMessage, now: number): void
  /** Told after a transaction that queued messages committed (wakes the notifier). */
  onQueued?: () => void
  mutes?: MuteCheck
  nodeProblems?: NodeProblemClaims
  sinks?: readonly ArchiveSink[]
  /** `kubernetes.namespaces`: with a list, archived events of other namespaces count as gone. */
  watchedNamespaces?: readonly string[]
  /** Where events the store refused are counted and logged. */
  invalid?: InvalidEvents
  /** Told of each store failure and recovery. */
  health?: Pick<StoreHealth, 'failed' | 'succeeded'>
  now: () => number
}

/** Figures for `status` and `/metrics`. Occurrences are new events plus count increases. */
export interface PipelineStats {
  eventsTaken: { Normal: number; Warning: number }
  occurrences: number
  unchanged: number
  messagesQueued: number
  muted: number
  lastEventAt?: number
}

/**
 * Thrown by `ingest`, `remove` and `flush` when the store could not be written, and until a list
 * could: the watch lists again later.
 */
export class StoreUnavailableError extends Error {
  /** The store's health logged the failure already (once per outage): see ListWatchOptions. */
  readonly reported = true
  constructor(cause: unknown) {
    super(
      `the store cannot be written: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    )
    this.name = 'StoreUnavailableError'
  }
}

export interface Pipeline {
  /**
   * One page of a list from the API server, taken in at once. Until the first list of the page's
   * scope ever is done (its last page taken in), archive only. `page.scope`: the Event objects'
   * namespace the list covers, undefined for all namespaces; after its `last` page, archived
   * events of that scope no page of the list showed are marked gone (retention starts for them).
   */
  ingestListPage(events: readonly ClusterEvent[], page: EventListPage): void
  /**
   * One event from the watch, written at once into the transaction of the read it came in (opened
   * by the first event of the read), which `flush` commits.
   */
  ingest(event: ClusterEvent): void
  /** The watch said the API server deleted this Event (its uid and `created`): as `ingest`. */
  remove(uid: string, created: number): void
  /**
   * Commits what the watch handed over since the last call: the event source calls it once each
   * read is handed over. Should a caller not, it is committed when the turn's microtasks run.
   */
  flush(): void
  /**
   * Whether a list of `scope` would still be archived without alerting; without a scope, whether
   * any watched scope (`watchedNamespaces`, or all namespaces) is.
   */
  isBootstrapping(scope?: string): boolean
  /** Closes grouping windows that ended, sending their follow-ups. */
  tick(): void
  /** When tick() next has work, or undefined. */
  nextDue(): number | undefined
  stats(): PipelineStats
}

/**
 * The most events one transaction takes from the watch: a read brings far fewer (at most 64 KiB,
 * about 80 events in a storm), so this only bounds a caller that never calls `flush`.
 *
 * Why per read, written as they come: the pipeline used to keep the watch's events in a batch
 * (up to 8,192, or 40 ms) and write it at once. Held that long, every event and what it made
 * survived the young generation's collections and was copied into the old one, which then needed
 * full collections. Measured on 100,000 events streamed through the built service, 4 pairs of
 * runs taking turns on a busy 2-core machine: Normal events 35,800-50,000 per CPU-second in
 * batches against 59,500-66,200 per read; new alerts 18,500-28,700 against 22,800-27,900 (+23,
 * +13, -3 and +2 % pair by pair): an alert's grouping window is indexed by a hash, at random, and
 * a commit of 80 alerts rewrites nearly as many pages of that index as one of 8,192 did.
 */
const MAX_TX_EVENTS = 8192
/**
 * How long after a read of the watch committed messages the notifier is told. A burst comes in
 * several reads a few milliseconds apart: told of the first alone, the notifier sends what it
 * brought as it is, and what the next reads bring waits for the next digest (15 s). The batches
 * the pipeline used to keep gave the same wait.
 */
const TELL_AFTER_MS = 5
/**
 * Store meta: the cluster-wide list's first completion (namespaces: []); before per-namespace
 * marks, also what every watched namespace's first completion wrote. It bootstraps every scope.
 */
const BOOTSTRAPPED = 'bootstrapped_at'
/** Store meta: one watched namespace's first complete list. */
const bootstrapKey = (scope: string | undefined) =>
  scope === undefined ? BOOTSTRAPPED : `${BOOTSTRAPPED}:namespace:${scope}`

/** Creates the pipeline over an open store. */
export function createPipeline(deps: PipelineDeps): Pipeline {
  const { store, routes, now } = deps
  const archive = createEventArchive(store)
  const ledger = createAlertLedger(store)
  let queuedInTx = 0
  const grouper = createGrouper(store, deps.groupWindowMs, (robot, message) => {
    deps.enqueue(robot, message, now())
    queuedInTx++
    stats.messagesQueued++
  })
  const stats: PipelineStats = {
    eventsTaken: { Normal: 0, Warning: 0 },
    occurrences: 0,
    unchanged: 0,
    messagesQueued: 0,
    muted: 0,
  }
  const snapshot = (): PipelineStats => ({ ...stats, eventsTaken: { ...stats.eventsTaken } })
  /**
   * Per list scope, whether its first complete list is in, read from the store once. Bounded:
   * the event source lists only the configured namespaces, or the one cluster-wide scope.
   */
  const bootstrapped = new Map<string | undefined, boolean>()
  const isBootstrapped = (scope: string | undefined) => {
    let done = bootstrapped.get(scope)
    if (done === undefined) {
      done =
        store.getMeta(BOOTSTRAPPED) !== undefined ||
        (scope !== undefined && store.getMeta(bootstrapKey(scope)) !== undefined)
      bootstrapped.set(scope, done)
    }
    return done
  }
  const watchedScopes: (string | undefined)[] = deps.watchedNamespaces?.length
    ? [...new Set(deps.watchedNamespaces)]
    : [undefined]
  for (const scope of watchedScopes) isBootstrapped(scope)
  /**
   * Per scope, the time the list being taken in shows its events at, fixed at its first page:
   * `markAbsent` after the last page tells what no page showed by it. One entry per list scope.
   */
  const listTimes = new Map<string | undefined, number>()

  /** Routes one changed event: per robot, the first matching route decides, mentions merge. */
  const route = (event: ClusterEvent, occurrences: number, t: number) => {
    const byRobot = routeToRobots(routes, event)
    if (byRobot.size === 0) return
    const mute = deps.mutes?.match(event, t)
    const alertEvent = toAlertEvent(event)
    for (const [robot, at] of byRobot) {
      const entry = { uid: event.uid, robot, count: event.count, occurrences, at: t }
      if (mute) {
        deps.mutes?.recordHeldBack(mute.id, occurrences)
        ledger.record({ ...entry, mutedBy: mute.id })
        stats.muted += occurrences
      } else {
        ledger.record(entry)
        if (deps.nodeProblems?.absorbs(robot, event, t)) continue
        grouper.offer(robot, alertEvent, occurrences, at, t)
      }
    }
  }

  /** Index in the events being taken in of the one being written, -1 when none. */
  let current = -1
  /** Whether takeOne wrote its event's archive row: a failure after that leaves it half written. */
  let archived = false

  /**
   * Takes in one event; true when it was new or changed. Rules: unchanged (same or lower count,
   * and not newer or the same object version) is skipped (a list marks it seen); new counts
   * every occurrence. The version matters for a time past the clock's slack: it reads as `now`
   * (toClusterEvent), newer each time a list shows it again.
   */
  const takeOne = (event: ClusterEvent, alert: boolean, listed: boolean, t: number) => {
    archived = false
    const known = archive.known(event.uid, event.created)
    let occurrences = event.count
    if (known) {
      const grown = event.count - known.count
      if (grown <= 0 && (event.lastSeen <= known.lastSeen || sameVersion(event, known))) {
        stats.unchanged++
        if (listed) archive.touch(known.id, t)
        return false
      }
      occurrences = Math.max(grown, 1)
      archive.update(known.id, event, t)
    } else {
      archive.insert(event, t)
    }
    archived = true
    stats.eventsTaken[event.type]++
    stats.occurrences += occurrences
    stats.lastEventAt = t
    if (alert) route(event, occurrences, t)
    return true
  }

  const takeIn = (events: readonly ClusterEvent[], alert: boolean, listed: boolean, t: number) => {
    const changed: ClusterEvent[] = []
    for (let i = 0; i < events.length; i++) {
      current = i
      const event = events[i] as ClusterEvent
      if (takeOne(event, alert, listed, t)) changed.push(event)
    }
    current = -1
    if (changed.length > 0) for (const sink of deps.sinks ?? []) sink.enqueue(changed)
  }

  const noteRefused = (event: ClusterEvent, err: unknown) =>
    deps.invalid?.note('store', `the store refused it: ${String(err)}`, {
      uid: event.uid,
      namespace: event.eventNamespace,
      name: event.eventName,
    })

  const commit = (work: () => void) => {
    queuedInTx = 0
    store.tx(work)
    if (queuedInTx > 0) deps.onQueued?.()
  }

  /**
   * Takes in a list page's `events` in one transaction, at `t`; after a list's last page, marks
   * what the list no longer holds. An event whose write throws for a reason of its own is noted
   * and skipped: what came before it commits on its own, the rest goes on without it (linear,
   * however many are bad). A store failure throws, with the figures as they were.
   */
  const takeInAll = (
    events: readonly ClusterEvent[],
    alert: boolean,
    t: number,
    list: { scope: string | undefined; last: boolean },
  ) => {
    let rest = events
    for (;;) {
      const before = snapshot()
      try {
        commit(() => {
          takeIn(rest, alert, true, t)
          if (list.last) {
            archive.markAbsent(t, list.scope, deps.watchedNamespaces ?? [])
            // With the list, or not at all: a crash in between would make its next list archive-only.
            if (!isBootstrapped(list.scope)) store.setMeta(bootstrapKey(list.scope), String(now()))
          }
        })
        deps.health?.succeeded()
        return
      } catch (err) {
        Object.assign(stats, before)
        const bad = current
        current = -1
        if (bad < 0 || isStoreFailure(err)) throw err
        noteRefused(rest[bad] as ClusterEvent, err)
        if (bad > 0) {
          const done = rest.slice(0, bad)
          commit(() => takeIn(done, alert, true, t))
        }
        rest = rest.slice(bad + 1)
      }
    }
  }

  let failing: unknown

  const noteFailure = (err: unknown, doing: string) => {
    failing = err
    deps.health?.failed(err, doing)
  }

  const refuseWhileFailing = () => {
    if (failing !== undefined) throw new StoreUnavailableError(failing)
  }

  /** The transaction of the read being handed over, and the figures from before it. */
  let open: { t: number; events: number; before: PipelineStats } | undefined

  /**
   * The read's transaction, opened by its first change; committed by `flush`, or else at the
   * latest when the turn's microtasks run.
   */
  const openRead = () => {
    refuseWhileFailing()
    if (open) return open
    try {
      store.begin()
    } catch (err) {
      abandon(err)
    }
    const read = { t: now(), events: 0, before: snapshot() }
    open = read
    queuedInTx = 0
    queueMicrotask(() => {
      if (open !== read) return
      try {
        flush()
      } catch {
        // Noted by abandon: the next change from the watch is refused, which makes it list again.
      }
    })
    return read
  }

  /** Rolls back the read's transaction and its figures, and throws: the watch lists again. */
  const abandon = (err: unknown): never => {
    const read = open
    open = undefined
    if (read) Object.assign(stats, read.before)
    store.rollback()
    if (!isStoreFailure(err)) throw err
    if (storeFailureKind(err) !== 'closed') noteFailure(err, 'taking in events from the watch')
    throw new StoreUnavailableError(err)
  }

  let telling = false
  const tellSoon = () => {
    if (telling) return
    telling = true
    setTimeout(() => {
      telling = false
      deps.onQueued?.()
    }, TELL_AFTER_MS)
  }

  const flush = () => {
    if (!open) return
    try {
      store.commit()
    } catch (err) {
      abandon(err)
    }
    open = undefined
    deps.health?.succeeded()
    if (queuedInTx > 0) tellSoon()
  }

  return {
    ingestListPage(events, { scope, first, last }) {
      flush()
      if (first) listTimes.set(scope, now())
      const t = listTimes.get(scope)
      // The event source always starts a list with its first page; anything else is a bug here.
      if (t === undefined)
        throw new Error(`a list page of ${scope ?? 'all namespaces'} came before its first page`)
      try {
        takeInAll(events, isBootstrapped(scope), t, { scope, last })
        if (last) {
          listTimes.delete(scope)
          bootstrapped.set(scope, true)
        }
        failing = undefined
      } catch (err) {
        if (isStoreFailure(err)) noteFailure(err, 'taking in a list of events')
        throw err
      }
    },
    ingest(event) {
      const read = openRead()
      try {
        if (takeOne(event, true, false, read.t))
          for (const sink of deps.sinks ?? []) sink.enqueue([event])
      } catch (err) {
        // Refused at its first write, which SQLite undid alone: the rest of the read goes on.
        if (!archived && !isStoreFailure(err)) return void noteRefused(event, err)
        abandon(err)
      }
      if (++read.events >= MAX_TX_EVENTS) flush()
    },
    remove(uid, created) {
      const read = openRead()
      try {
        archive.markGone(uid, created, read.t)
      } catch (err) {
        abandon(err)
      }
      if (++read.events >= MAX_TX_EVENTS) flush()
    },
    flush,
    isBootstrapping: (...scope: [string?]) =>
      scope.length > 0 ? !isBootstrapped(scope[0]) : watchedScopes.some((s) => !isBootstrapped(s)),
    tick() {
      if (failing !== undefined) return
      flush()
      commit(() => grouper.flushDue(now()))
    },
    nextDue: () => grouper.nextDue(),
    stats: snapshot,
  }
}

/** The object the API server sent is the one archived (an empty version tells nothing). */
const sameVersion = (event: ClusterEvent, known: KnownEvent) =>
  event.resourceVersion !== '' && event.resourceVersion === known.resourceVersion

/** What a message needs of an event (drops the Event object's own name and version). */
export function toAlertEvent(e: ClusterEvent): AlertEvent {
  return {
    uid: e.uid,
    kind: e.kind,
    namespace: e.namespace,
    name: e.name,
    reason: e.reason,
    message: e.message,
    type: e.type,
    count: e.count,
    firstSeen: e.firstSeen,
    lastSeen: e.lastSeen,
    component: e.component,
    host: e.host,
  }
}
