/**
 * The push pipeline: every event from the watch is archived, compared with what the archive
 * knew, routed, checked against mutes, grouped, and put in the outbox — one transaction per
 * batch, so an event is either fully taken in (archive, grouping window, outbox) or not at all
 * and the next list finds it again.
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
 * What the watch delivers is written as it comes, in the store's batch (a transaction left open
 * for a few milliseconds), and committed with the rest of its burst: the batch holds nothing in
 * memory, so an event's objects die young instead of outliving the garbage collector's young
 * generation while a batch of thousands waits (measured: see BATCH).
 *
 * Failures: one event the store refuses (a value of its own) is skipped, noted, and the rest of
 * its batch committed without it, so one bad event never blocks the others. A store that cannot
 * be written (full disk, I/O error) loses the batch it was writing: it is rolled back, the figures
 * go back to what it had not counted, and the watches list again (`relist`), after their backoff,
 * until the store can be written. While it fails, `ingest` and `ingestListPage` throw, which makes
 * the watch list again too: nothing the watch delivered is lost, as a list shows it again.
 */
import type { RouteConfig } from '../config/schema.ts'
import type { ClusterEvent } from '../kube/cluster-event.ts'
import type { EventListPage } from '../kube/watch-events.ts'
import type { AlertEvent, OutboxMessage } from '../notify/outbox-message.ts'
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
  /**
   * The event watches list again: what they delivered was lost with a batch the store could not
   * write or commit (`reason` says so; the store failure itself is told to `health`).
   */
  relist?: (reason: Error) => void
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

/** Thrown by `ingest` while the store cannot be written: the watch lists again later. */
export class StoreUnavailableError extends Error {
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
  /** One event from the watch; taken in with the next batch (at once when the batch is full). */
  ingest(event: ClusterEvent): void
  /**
   * The watch said the API server deleted this Event (its uid and `created`); recorded with the
   * next batch.
   */
  remove(uid: string, created: number): void
  /** Takes in the waiting batch now. */
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
 * A batch is committed when it holds BATCH changes or BATCH_WAIT_MS after its first one. One
 * transaction per socket read (what setImmediate gave) averaged ~115 events during a backlog and
 * made commits the bottleneck; a few milliseconds of waiting is nothing next to DingTalk. Large
 * batches matter because each routed event touches index pages at random (event uid, object
 * name, group key): the more events a commit carries, the more of them share a page it writes.
 * Measured on 100,000 routed Warnings: ~18,000/s at 2,048, ~21,000–22,000/s at 8,192. Each event
 * is written as it comes (the store's batch): holding a batch's events in memory until the commit
 * had them outlive V8's young generation (1 MiB, the command line's --max-semi-space-size), so
 * each was copied to the old generation and collected there. Written as they come, through the
 * service (the footprint bench's ingest, 5 pairs taking turns), 100,000 routed Warnings took
 * 32,800–42,900 per CPU-second instead of 24,200–31,300, and Normal events 56,000–76,000 instead
 * of 41,000–53,000.
 */
const BATCH = 8192
const BATCH_WAIT_MS = 5
/**
 * After a batch of at least BUSY events (a backlog: a list's worth of watch lines, a storm), the
 * next batch waits BACKLOG_WAIT_MS instead, so that a backlog is taken in by fewer, larger
 * commits: measured on 100,000 routed Warnings streamed through the service, ~9 % less CPU per
 * event than 5 ms. An alert then waits 40 ms more, next to DingTalk's 3 s between messages.
 * The first event after a quiet spell still waits only BATCH_WAIT_MS.
 */
const BUSY = 512
const BACKLOG_WAIT_MS = 40
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
  /** Whether this pipeline has a batch open in the store, and how many changes it wrote there. */
  let batchOpen = false
  let inBatch = 0
  /** The figures as they were before the open batch: what they go back to if it is lost. */
  let beforeBatch = snapshot(stats)
  let scheduled: NodeJS.Timeout | undefined
  /**
   * Per scope, the time the list being taken in shows its events at, fixed at its first page:
   * `markAbsent` after the last page tells what no page showed by it. One entry per list scope.
   */
  const listTimes = new Map<string | undefined, number>()
  /** How long the next batch waits for more events: longer while a backlog lasts. */
  let batchWait = BATCH_WAIT_MS

  /** Routes one changed event: per robot, the first matching route decides, mentions merge. */
  const route = (event: ClusterEvent, occurrences: number, t: number, row: number) => {
    const byRobot = routeToRobots(routes, event)
    if (byRobot.size === 0) return
    const mute = deps.mutes?.match(event, t)
    const alertEvent = toAlertEvent(event)
    for (const [robot, at] of byRobot) {
      if (mute) {
        deps.mutes?.recordHeldBack(mute.id, occurrences)
        stats.muted += occurrences
      } else if (!deps.nodeProblems?.absorbs(robot, event, t)) {
        grouper.offer(robot, alertEvent, occurrences, at, t, row)
      }
    }
  }

  /** Index in the events being taken in of the one being written, -1 when none. */
  let current = -1

  /** Set once takeInOne's archive write succeeded: what came after it may have written too. */
  let archived = false

  /**
   * Rules: unchanged (same or lower count, and not newer or the same object version) is skipped
   * (a list marks it seen); new counts every occurrence. The version matters for a time past the
   * clock's slack: it reads as `now` (toClusterEvent), newer each time a list shows it again.
   */
  const takeInOne = (event: ClusterEvent, alert: boolean, listed: boolean, t: number): boolean => {
    const known = archive.known(event.uid, event.created)
    let occurrences = event.count
    let row: number
    if (known) {
      const grown = event.count - known.count
      if (grown <= 0 && (event.lastSeen <= known.lastSeen || sameVersion(event, known))) {
        stats.unchanged++
        if (listed) archive.touch(known.id, t)
        return false
      }
      occurrences = Math.max(grown, 1)
      archive.update(known.id, event, t)
      row = known.id
    } else {
      row = archive.insert(event, t)
    }
    archived = true
    stats.eventsTaken[event.type]++
    stats.occurrences += occurrences
    stats.lastEventAt = t
    if (alert) route(event, occurrences, t, row)
    return true
  }

  const takeIn = (events: readonly ClusterEvent[], alert: boolean, listed: boolean, t: number) => {
    const changed: ClusterEvent[] = []
    for (let i = 0; i < events.length; i++) {
      current = i
      const event = events[i] as ClusterEvent
      if (takeInOne(event, alert, listed, t)) changed.push(event)
    }
    current = -1
    if (changed.length > 0) for (const sink of deps.sinks ?? []) sink.enqueue(changed)
  }

  /**
   * Runs `work` in a transaction of its own, the open batch committed first: here, before the
   * count of queued messages starts again for `work`, not by the store's settle inside tx, which
   * would find it at 0 and not wake the notifier for what the batch queued.
   */
  const commit = (work: () => void) => {
    flush()
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
  const takeInPage = (
    events: readonly ClusterEvent[],
    alert: boolean,
    t: number,
    list: { scope: string | undefined; last: boolean },
  ) => {
    let rest = events
    for (;;) {
      const before = snapshot(stats)
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
        const event = rest[bad] as ClusterEvent
        deps.invalid?.note('store', `the store refused it: ${String(err)}`, {
          uid: event.uid,
          namespace: event.eventNamespace,
          name: event.eventName,
        })
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

  /**
   * The open batch could not be written or committed: rolled back, the figures as before it, and
   * the watches list again to find what it held. A closed store (stopping) has nothing to find.
   */
  const lose = (err: unknown) => {
    clearTimeout(scheduled)
    scheduled = undefined
    if (batchOpen) Object.assign(stats, beforeBatch)
    batchOpen = false
    inBatch = 0
    if (storeFailureKind(err) === 'closed') return
    store.abandonBatch()
    noteFailure(err, 'taking in events from the watch')
    deps.relist?.(new Error('the events taken in since the last commit were lost with it'))
  }

  /** Commits the open batch; its settler too (store.ts), so it never throws. */
  const flush = () => {
    clearTimeout(scheduled)
    scheduled = undefined
    if (!batchOpen) return
    batchWait = inBatch >= BUSY ? BACKLOG_WAIT_MS : BATCH_WAIT_MS
    try {
      store.commitBatch()
    } catch (err) {
      lose(err)
      return
    }
    batchOpen = false
    inBatch = 0
    deps.health?.succeeded()
    if (queuedInTx > 0) deps.onQueued?.()
  }

  const refuseWhileFailing = () => {
    if (failing !== undefined) throw new StoreUnavailableError(failing)
  }

  /** The change being written: an event from the watch, or the uid of one it deleted. */
  let change: ClusterEvent | undefined
  let goneUid = ''
  let goneCreated = 0
  /**
   * Writes `change` (or the deletion) in the batch. A value the store refuses is refused by the
   * archive's write, an event's first, which counts nothing before it succeeds: the event is
   * skipped and noted, the batch goes on. Anything that throws after it (nothing known does) loses
   * the batch, and the list that follows skips the event (takeInPage). A savepoint per event would
   * isolate any write, but measured 3 times the CPU per event: each copies the pages it first
   * touches into SQLite's statement journal. A function of its own, not a closure per event.
   */
  const writeChange = () => {
    if (!batchOpen) {
      batchOpen = true
      beforeBatch = snapshot(stats)
      queuedInTx = 0
    }
    const event = change
    const t = now()
    archived = false
    try {
      if (event === undefined) archive.markGone(goneUid, goneCreated, t)
      else if (takeInOne(event, true, false, t))
        for (const sink of deps.sinks ?? []) sink.enqueue([event])
    } catch (err) {
      if (archived || isStoreFailure(err)) throw err
      deps.invalid?.note('store', `the store refused it: ${String(err)}`, {
        uid: event?.uid ?? goneUid,
        ...(event && { namespace: event.eventNamespace, name: event.eventName }),
      })
    }
  }

  /** Writes `change` in the batch, begun if none is open; commits it once it is full. */
  const write = () => {
    refuseWhileFailing()
    try {
      store.batch(writeChange, flush)
    } catch (err) {
      lose(err)
      throw new StoreUnavailableError(err)
    } finally {
      change = undefined
    }
    if (++inBatch >= BATCH) flush()
    else scheduled ??= setTimeout(flush, batchWait)
  }

  return {
    ingestListPage(events, { scope, first, last }) {
      if (first) listTimes.set(scope, now())
      const t = listTimes.get(scope)
      // The event source always starts a list with its first page; anything else is a bug here.
      if (t === undefined)
        throw new Error(`a list page of ${scope ?? 'all namespaces'} came before its first page`)
      try {
        takeInPage(events, isBootstrapped(scope), t, { scope, last })
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
      change = event
      write()
    },
    remove(uid, created) {
      change = undefined
      goneUid = uid
      goneCreated = created
      write()
    },
    flush,
    isBootstrapping: (...scope: [string?]) =>
      scope.length > 0 ? !isBootstrapped(scope[0]) : watchedScopes.some((s) => !isBootstrapped(s)),
    tick() {
      if (failing !== undefined) return
      commit(() => grouper.flushDue(now()))
    },
    nextDue: () => grouper.nextDue(),
    stats: () => snapshot(stats),
  }
}

const snapshot = (stats: PipelineStats): PipelineStats => ({
  ...stats,
  eventsTaken: { ...stats.eventsTaken },
})

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
