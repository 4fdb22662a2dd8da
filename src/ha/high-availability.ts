/**
 * Several replicas, one sender: every replica watches, archives, runs the pipeline and answers
 * chat; the one holding the Lease sends to DingTalk and Log Service. The rest are hot standbys:
 * their outboxes follow the leader's checkpoint, so a new leader sends what is left within a
 * lease duration, without a relist. Plugged into the service by its composition root.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import type { ReplicasStatus } from '../chatops/context.ts'
import type { Config } from '../config/schema.ts'
import type { Notifier } from '../notify/notifier.ts'
import { createOutbox, type Outbox } from '../notify/outbox.ts'
import type { Store } from '../store/open-store.ts'
import { createCheckpointOutbox, importBudget } from './checkpoint-outbox.ts'
import { createMessageClaims } from './guard-chat.ts'
import { createHeartbeats } from './heartbeats.ts'
import { createConfigMapClient, createLeaseClient } from './kube-objects.ts'
import { createLeaderElector, type LeaderElector, toElectionTiming } from './leader-election.ts'
import { createLeaderNotifier, type LeaderNotifier } from './leader-notifier.ts'
import { createEmptyDoc } from './shared-doc.ts'
import { createSharedMutes, type SharedMutes } from './shared-mutes.ts'
import { createSharedState, type SharedState } from './shared-state.ts'
import { createStandbyOutbox } from './standby-outbox.ts'

export interface HaLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** What a sender needs to start or stop with leadership (the Log Service archive). */
export interface LeaderTask {
  start(): void
  stop(timeoutMs: number): Promise<void>
}

export interface HighAvailabilityOptions {
  config: Config
  store: Store
  /** Reads the kubeconfig; retried while it throws. */
  loadKubeConfig: () => KubeConfig
  identity: string
  namespace: string
  now: () => number
  logger: HaLogger
  /**
   * Builds a notifier over this outbox (one per term); its sends must be gated on `isLeader`
   * and on `ready(robot)` (the previous answer is in the checkpoint).
   */
  createNotifier(
    outbox: Outbox,
    isLeader: () => boolean,
    ready: (robot: string) => Promise<boolean>,
  ): Notifier
  /** Shared state read this often (default 1 s: mutes apply everywhere within 2 s). */
  pollMs?: number
  /** Shared state written at most this often (default 250 ms). */
  writeGapMs?: number
}

export interface HighAvailability {
  readonly notifier: Notifier
  readonly mutes: SharedMutes
  isLeader(): boolean
  /** Senders that run only on the leader. */
  addLeaderTask(task: LeaderTask): void
  /** Starts electing and sharing; `watch` names this replica's watch state for the others. */
  start(watch?: () => string): void
  /** Who leads and each replica as last heard of, for `status`. */
  replicas(): ReplicasStatus
  /** Graceful: stop sending, write the checkpoint, give the Lease up. */
  stop(flushTimeoutMs: number): Promise<void>
  /** Claims a chat message for this replica (guard-chat.ts); true when it may run it. */
  claimMessage(msgId: string): Promise<boolean>
}

/** Wires election, shared state and the gated notifier; nothing connects before `start()`. */
export function createHighAvailability(o: HighAvailabilityOptions): HighAvailability {
  const { config, store, logger, now } = o
  const le = config.leaderElection
  const timing = toElectionTiming(le.leaseDuration)
  const localOutbox = createOutbox(store)
  const standby = createStandbyOutbox(store)
  const tasks: LeaderTask[] = []
  let elector: LeaderElector | undefined
  let shared: SharedState | undefined
  let retry: NodeJS.Timeout | undefined
  let stopped = false
  let watchLabel = () => 'starting'
  const record = (change: Parameters<SharedState['update']>[0]) =>
    shared ? shared.update(change) : Promise.resolve()
  const isLeader = () => elector?.isLeader() ?? false
  const checkpointOutbox = createCheckpointOutbox(localOutbox, record)
  /** A send waits for the previous answer's checkpoint, at most until leadership would end. */
  const ready = async (robot: string) => {
    const timeout = new Promise<boolean>((resolve) =>
      setTimeout(() => resolve(false), timing.renewDeadlineMs).unref(),
    )
    return Promise.race([checkpointOutbox.checkpointed(robot).then(() => true), timeout])
  }
  const notifier: LeaderNotifier = createLeaderNotifier(
    () => o.createNotifier(checkpointOutbox, isLeader, ready),
    isLeader,
  )
  const mutes = createSharedMutes(store, record, logger)
  const heartbeats = createHeartbeats({
    identity: o.identity,
    record,
    watch: () => watchLabel(),
    now,
  })
  const claimMessage = createMessageClaims(() => shared, o.identity, now, logger)

  /** Before the first send of a term: the latest checkpoint, budget and pauses. */
  async function prepareTerm(): Promise<void> {
    const state = shared
    if (!state) return
    try {
      await state.refresh()
    } catch (err) {
      logger.warn(
        { err: String(err) },
        'could not read the checkpoint on taking over; using the last one read',
      )
    }
    const doc = state.doc()
    mutes.apply(doc)
    const pruned = standby.prune(doc)
    standby.reset()
    importBudget(
      localOutbox,
      doc,
      config.dingtalk.robots.map((r) => r.name),
      now(),
    )
    logger.info(
      { pruned, identity: o.identity },
      'taking over: sending what the previous leader had not delivered',
    )
  }

  const onDoc = () => {
    const state = shared
    if (!state) return
    try {
      const doc = state.doc()
      mutes.apply(doc)
      if (!isLeader()) {
        standby.prune(doc)
        standby.trimSlsQueue(now())
      }
    } catch (err) {
      logger.error(
        { err },
        'could not apply the shared state to the local store; trying on the next read',
      )
    }
  }

  function connect(): void {
    if (stopped) return
    let kc: KubeConfig
    try {
      kc = o.loadKubeConfig()
    } catch {
      retry = setTimeout(connect, timing.retryPeriodMs)
      return
    }
    const target = { kc, namespace: o.namespace, timeoutMs: timing.retryPeriodMs }
    shared = createSharedState({
      client: createConfigMapClient({ ...target, name: `${le.leaseName}-state` }),
      name: `${le.leaseName}-state`,
      namespace: o.namespace,
      now,
      pollMs: o.pollMs ?? 1_000,
      writeGapMs: o.writeGapMs ?? 250,
      logger,
    })
    shared.onChange(onDoc)
    shared.start()
    const state = shared
    state.refresh().then(
      (doc) => mutes.publishLocal(doc, now()),
      () => {},
    )
    elector = createLeaderElector({
      client: createLeaseClient({ ...target, name: le.leaseName }),
      name: le.leaseName,
      namespace: o.namespace,
      identity: o.identity,
      timing,
      now,
      acquireDelay: async () => {
        // The latest heartbeats: a peer that stopped a moment ago is gone from them.
        await shared?.refresh().catch(() => undefined)
        const doc = shared?.doc()
        return doc && heartbeats.hasOlderPeer(doc, elector?.lastHolder() ?? '')
          ? timing.retryPeriodMs
          : 0
      },
      onStartedLeading: () => {
        void notifier.lead(prepareTerm).then(() => {
          if (isLeader()) for (const task of tasks) task.start()
        })
      },
      onStoppedLeading: () => {
        void notifier.follow()
        for (const task of tasks) void task.stop(0)
      },
      logger,
    })
    elector.start()
    heartbeats.start()
  }

  return {
    notifier,
    mutes,
    isLeader,
    addLeaderTask: (task) => tasks.push(task),
    start(watch) {
      if (watch) watchLabel = watch
      notifier.start()
      connect()
    },
    replicas: () => heartbeats.toStatus(shared?.doc() ?? createEmptyDoc(), elector?.leader() ?? ''),
    async stop(flushTimeoutMs) {
      stopped = true
      clearTimeout(retry)
      const leading = isLeader()
      await notifier.stop(flushTimeoutMs)
      await Promise.all(
        tasks.map((task) => (leading ? task.stop(flushTimeoutMs) : Promise.resolve())),
      )
      // Gone from `status`, and no longer an older peer for the others to defer to.
      heartbeats.leave()
      await shared?.flush(Math.max(1_000, timing.renewDeadlineMs / 2))
      await elector?.release()
      shared?.stop()
    },
    claimMessage,
  }
}
