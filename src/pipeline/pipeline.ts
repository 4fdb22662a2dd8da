/**
 * The push pipeline: every event from the watch is archived, compared with what the archive
 * knew, routed, checked against mutes, grouped, and put in the outbox — one transaction per
 * batch, so an event is either fully taken in (archive, ledger, outbox) or not at all and the
 * next list finds it again.
 */
import type { RouteConfig } from '../config/schema.ts'
import type { ClusterEvent } from '../kube/cluster-event.ts'
import type { AlertEvent, OutboxMessage } from '../notify/outbox-message.ts'
import { createAlertLedger } from '../store/alert-ledger.ts'
import { createEventArchive } from '../store/events.ts'
import type { Store } from '../store/open-store.ts'
import { createGrouper } from './grouper.ts'
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

export interface Pipeline {
  /** A complete list from the API server. Before the first list ever is done, archive only. */
  ingestList(events: readonly ClusterEvent[]): void
  /** One event from the watch; taken in with the next batch (at once when the batch is full). */
  ingest(event: ClusterEvent): void
  /** Takes in the waiting batch now. */
  flush(): void
  /** The first complete list of the cluster is in: from now on, new events alert. */
  finishBootstrap(): void
  isBootstrapping(): boolean
  /** Closes grouping windows that ended, sending their follow-ups. */
  tick(): void
  /** When tick() next has work, or undefined. */
  nextDue(): number | undefined
  stats(): PipelineStats
}

/**
 * A batch is taken in when it holds BATCH events or BATCH_WAIT_MS after its first one. One
 * transaction per socket read (what setImmediate gave) averaged ~115 events during a backlog and
 * made commits the bottleneck; a few milliseconds of waiting is nothing next to DingTalk. Large
 * batches matter because each routed event touches index pages at random (event uid, object
 * name, group key): the more events a commit carries, the more of them share a page it writes.
 * Measured on 100,000 routed Warnings: ~18,000/s at 2,048, ~21,000–22,000/s at 8,192.
 */
const BATCH = 8192
const BATCH_WAIT_MS = 5
const BOOTSTRAPPED = 'bootstrapped_at'

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
  let bootstrapping = store.getMeta(BOOTSTRAPPED) === undefined
  let batch: ClusterEvent[] = []
  let scheduled: NodeJS.Timeout | undefined

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

  /** Rules: unchanged (same or lower count, not newer) is skipped; new counts every occurrence. */
  const takeIn = (events: readonly ClusterEvent[], alert: boolean) => {
    const t = now()
    const changed: ClusterEvent[] = []
    for (const event of events) {
      const known = archive.known(event.uid)
      let occurrences = event.count
      if (known) {
        const grown = event.count - known.count
        if (grown <= 0 && event.lastSeen <= known.lastSeen) {
          stats.unchanged++
          continue
        }
        occurrences = Math.max(grown, 1)
      }
      archive.upsert(event)
      changed.push(event)
      stats.eventsTaken[event.type]++
      stats.occurrences += occurrences
      stats.lastEventAt = t
      if (alert) route(event, occurrences, t)
    }
    if (changed.length > 0) for (const sink of deps.sinks ?? []) sink.enqueue(changed)
  }

  const commit = (work: () => void) => {
    queuedInTx = 0
    store.tx(work)
    if (queuedInTx > 0) deps.onQueued?.()
  }

  const flush = () => {
    clearTimeout(scheduled)
    scheduled = undefined
    if (batch.length === 0) return
    const events = batch
    batch = []
    commit(() => takeIn(events, true))
  }

  return {
    ingestList(events) {
      flush()
      commit(() => takeIn(events, !bootstrapping))
    },
    ingest(event) {
      batch.push(event)
      if (batch.length >= BATCH) flush()
      else scheduled ??= setTimeout(flush, BATCH_WAIT_MS)
    },
    flush,
    finishBootstrap() {
      if (!bootstrapping) return
      store.setMeta(BOOTSTRAPPED, String(now()))
      bootstrapping = false
    },
    isBootstrapping: () => bootstrapping,
    tick() {
      flush()
      commit(() => grouper.flushDue(now()))
    },
    nextDue: () => grouper.nextDue(),
    stats: () => ({ ...stats, eventsTaken: { ...stats.eventsTaken } }),
  }
}

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
