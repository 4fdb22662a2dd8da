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
import { toMsgIdKey } from './guard-chat.ts'
import { createConfigMapClient, createLeaseClient } from './kube-objects.ts'
import { createLeaderElector, type LeaderElector, toElectionTiming } from './leader-election.ts'
import { createLeaderNotifier, type LeaderNotifier } from './leader-notifier.ts'
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
  /** Who leads, as last seen in the Lease ('' when nobody). */
  leader(): string
  /** Senders that run only on the leader. */
  addLeaderTask(task: LeaderTask): void
  /** Starts electing and sharing; `watch` names this replica's watch state for the others. */
  start(watch?: () => string): void
  /** Who leads and each replica as last heard of, for `status`. */
  replicas(): ReplicasStatus
  /** Graceful: stop sending, write the checkpoint, give the Lease up. */
  stop(flushTimeoutMs: number): Promise<void>
  /** The shared state's ConfigMap, for figures and tests. */
  shared(): SharedState | undefined
  /** Claims a chat message for this replica (guard-chat.ts); true when it may run it. */
  claimMessage(msgId: string): Promise<boolean>
}

/** A replica's heartbeat is written this often, and at once when its watch changes state. */
const BEAT_EVERY_MS = 30_000
const BEAT_CHECK_MS = 2_000

/**
 * A released Lease is left one retry period to an older replica that beat this recently: in a
 * rolling update the new pods' stores lack what was queued before they started; the older
 * followers have it.
 */
const ALIVE_MS = 2 * BEAT_EVERY_MS

/** A claim that cannot be written within this long lets the message run: chat stays up. */
const CLAIM_TIMEOUT_MS = 2_000

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
  let beat: NodeJS.Timeout | undefined
  let watchLabel = () => 'starting'
  const startedAt = now()
  const hasOlderPeer = () =>
    Object.entries(shared?.doc().replicas ?? {}).some(
      ([name, b]) =>
        name !== o.identity &&
        name !== elector?.lastHolder() &&
        b.startedAt !== undefined &&
        b.startedAt < startedAt &&
        b.seenAt > now() - ALIVE_MS,
    )

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
        return hasOlderPeer() ? timing.retryPeriodMs : 0
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
    let beatAt = Number.NEGATIVE_INFINITY
    let beatWatch = ''
    const heartbeat = () => {
      const label = watchLabel()
      if (label !== beatWatch || now() - beatAt >= BEAT_EVERY_MS) {
        beatAt = now()
        beatWatch = label
        void record((doc) => {
          doc.replicas[o.identity] = { seenAt: beatAt, startedAt, watch: label }
        })
      }
      beat = setTimeout(heartbeat, BEAT_CHECK_MS)
    }
    heartbeat()
  }

  return {
    notifier,
    mutes,
    isLeader,
    leader: () => elector?.leader() ?? '',
    addLeaderTask: (task) => tasks.push(task),
    start(watch) {
      if (watch) watchLabel = watch
      notifier.start()
      connect()
    },
    replicas() {
      const beats = shared?.doc().replicas ?? {}
      return {
        leader: elector?.leader() ?? '',
        self: o.identity,
        members: Object.entries(beats)
          .map(([name, b]) => ({ name, watch: b.watch, seenAt: b.seenAt }))
          .sort((a, b) => a.name.localeCompare(b.name)),
      }
    },
    async stop(flushTimeoutMs) {
      stopped = true
      clearTimeout(retry)
      clearTimeout(beat)
      const leading = isLeader()
      await notifier.stop(flushTimeoutMs)
      await Promise.all(
        tasks.map((task) => (leading ? task.stop(flushTimeoutMs) : Promise.resolve())),
      )
      // Gone from `status`, and no longer an older peer for the others to defer to.
      void record((doc) => {
        delete doc.replicas[o.identity]
      })
      await shared?.flush(Math.max(1_000, timing.renewDeadlineMs / 2))
      await elector?.release()
      shared?.stop()
    },
    shared: () => shared,
    async claimMessage(msgId) {
      const state = shared
      if (!state) return true
      const key = toMsgIdKey(msgId)
      const held = state.doc().msgIds[key]
      if (held && held.by !== o.identity) return false
      let mine = true
      const written = state.update((doc) => {
        const claim = doc.msgIds[key]
        mine = !claim || claim.by === o.identity
        if (mine) doc.msgIds[key] = { at: now(), by: o.identity }
      })
      const timedOut = new Promise<'timeout'>((resolve) =>
        setTimeout(() => resolve('timeout'), CLAIM_TIMEOUT_MS).unref(),
      )
      if ((await Promise.race([written, timedOut])) === 'timeout') {
        logger.warn(
          { msgId },
          'could not record the chat message in the shared state in time; answering anyway',
        )
        return true
      }
      return mine
    },
  }
}
