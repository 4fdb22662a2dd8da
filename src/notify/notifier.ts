/**
 * The outbox worker: takes what the pipeline queued and gets it to DingTalk, one loop per robot
 * (robot-lane.ts), within each robot's rate, merging a backlog into digests, pausing on
 * throttling, retrying when DingTalk is away and halting on a config error, never losing a
 * message in between.
 */

import type { RobotConfig } from '../config/schema.ts'
import { createRobotClient, type RobotClient } from '../dingtalk/robot-client.ts'
import type { Language } from '../i18n/language.ts'
import type { Store } from '../store/open-store.ts'
import type { LaneTuning } from './apply-outcome.ts'
import type { Logger } from './logger.ts'
import type { Outbox } from './outbox.ts'
import { createOutbox } from './outbox.ts'
import {
  createRobotLane,
  createSharedWebhook,
  type RobotLane,
  type RobotStats,
  type SharedWebhook,
  type Timers,
} from './robot-lane.ts'

export type { LaneTuning } from './apply-outcome.ts'
export type { Logger } from './logger.ts'
export type { RobotStats, Timers } from './robot-lane.ts'

export interface NotifierOptions {
  store: Store
  robots: readonly RobotConfig[]
  /** The cluster label shown in every message. */
  cluster: string
  /** End alerts with a click-to-mute link (`alerting.muteLinks`). */
  muteLinks: boolean
  /** The group's language (`language`); default zh-CN. */
  language?: Language
  /** Default: a real client per robot. */
  clientFor?: (robot: RobotConfig) => RobotClient
  now?: () => number
  logger: Logger
  timers?: Timers
  /** Pauses and sizes; the defaults suit DingTalk. */
  tuning?: Partial<LaneTuning>
  /** Default: the store's own; with several replicas, one that records a checkpoint. */
  outbox?: Outbox
}

export interface NotifierStats {
  robots: RobotStats[]
}

export interface Notifier {
  /** Restores pauses from the store and sends what waits. */
  start(): void
  /** New work was enqueued (call after the transaction committed). */
  kick(): void
  /**
   * Sends what it can within `flushTimeoutMs` (rate and pauses still apply; digests are not
   * spaced), then stops: timers cleared, a send still in flight aborted. Unsent messages stay in
   * the outbox for the next start.
   */
  stop(flushTimeoutMs: number): Promise<void>
  stats(): NotifierStats
  /** Resolves once no robot is sending or deciding (only timers pending). */
  settled(): Promise<void>
}

/**
 * The defaults. At 20 a minute, up to 16 alerts a rolling minute go alone; beyond that what
 * waits is merged into one digest every 15 s. The reserve of 4 is what carries those digests
 * through the minute that 16 singles at a storm's start hold the rest of the budget: digests at
 * 0, 15, 30 and 45 s, and the singles' answers leave the 61 s window in time for the next.
 */
export const DEFAULT_TUNING: LaneTuning = {
  digestReserve: 4,
  digestSpacingMs: 15_000,
  maxBatch: 2_000,
  throttlePauseMs: 60_000,
  maxThrottlePauseMs: 10 * 60_000,
  retryDelayMs: 1_000,
  maxRetryDelayMs: 30_000,
  probeMs: 5 * 60_000,
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/** Creates the notifier; nothing is sent before `start()`. */
export function createNotifier(options: NotifierOptions): Notifier {
  const { store, logger } = options
  const now = options.now ?? Date.now
  const timers = options.timers ?? realTimers
  const tuning = { ...DEFAULT_TUNING, ...options.tuning }
  const outbox = options.outbox ?? createOutbox(store)
  const clientFor = options.clientFor ?? ((robot: RobotConfig) => createRobotClient({ robot }))
  let state: 'new' | 'running' | 'stopping' | 'stopped' = 'new'
  let flush: { deadline: number; done: () => void } | undefined
  let stopping: Promise<void> | undefined

  const shared = shareWebhooks(options.robots)
  const lanes: RobotLane[] = options.robots.map((robot) =>
    createRobotLane({
      robot,
      shared: shared.get(robot.name) as SharedWebhook,
      client: clientFor(robot),
      outbox,
      render: {
        cluster: options.cluster,
        muteLinks: options.muteLinks,
        now,
        ...(options.language ? { language: options.language } : {}),
      },
      tuning,
      now,
      timers,
      logger,
      flushing: () => state === 'stopping',
      active: () => state === 'running' || state === 'stopping',
      settled: checkFlushed,
    }),
  )

  /** A flush is over when no robot is busy and none has a wake-up due before the deadline. */
  function checkFlushed(): void {
    if (!flush) return
    const { deadline } = flush
    const waiting = lanes.some((lane) => {
      if (lane.busy()) return true
      const wake = lane.wakeAt()
      return wake !== undefined && wake <= deadline && outbox.size(lane.name).messages > 0
    })
    if (!waiting) flush.done()
  }

  function pumpAll(): void {
    if (state !== 'running' && state !== 'stopping') return
    for (const lane of lanes) void lane.pump()
  }

  function warnOrphans(): void {
    const known = new Set(lanes.map((l) => l.name))
    for (const { robot, messages } of outbox.waiting()) {
      if (!known.has(robot)) {
        logger.warn(
          { robot, messages },
          `the outbox holds messages for robot ${robot}, which is not in dingtalk.robots: they are not sent`,
        )
      }
    }
  }

  async function stopNow(flushTimeoutMs: number): Promise<void> {
    if (state === 'running') {
      state = 'stopping'
      await new Promise<void>((resolve) => {
        const handle = timers.setTimeout(() => resolve(), flushTimeoutMs)
        flush = {
          deadline: now() + flushTimeoutMs,
          done: () => {
            timers.clearTimeout(handle)
            resolve()
          },
        }
        pumpAll()
        checkFlushed()
      })
      flush = undefined
    }
    state = 'stopped'
    for (const lane of lanes) lane.halt()
    await Promise.all(lanes.map((lane) => lane.idle()))
    // A loop that ended its send after the abort may have set a timer: clear it too.
    for (const lane of lanes) lane.halt()
  }

  return {
    start() {
      if (state !== 'new') return
      state = 'running'
      for (const lane of lanes) lane.restore()
      warnOrphans()
      pumpAll()
    },
    kick() {
      // After the caller's synchronous transaction: the rows are committed by then.
      queueMicrotask(pumpAll)
    },
    stop(flushTimeoutMs) {
      // A second signal while flushing waits for the same flush, so the store closes once, after it.
      stopping ??= stopNow(flushTimeoutMs)
      return stopping
    },
    stats: () => ({ robots: lanes.map((lane) => lane.stats()) }),
    async settled() {
      await Promise.resolve()
      while (lanes.some((lane) => lane.busy())) {
        await Promise.all(lanes.map((lane) => lane.idle()))
        await Promise.resolve()
      }
    },
  }
}

/**
 * Which webhook a robot sends to, as DingTalk counts its budget: the URL without its query, and
 * the access_token (the other parameters, `timestamp` and `sign`, are added per request).
 */
function webhookKey(webhook: string): string {
  try {
    const url = new URL(webhook)
    return `${url.origin}${url.pathname}\n${url.searchParams.get('access_token') ?? ''}`
  } catch {
    return webhook
  }
}

/** Per robot name, what it shares with the robots on the same webhook (itself alone, mostly). */
function shareWebhooks(robots: readonly RobotConfig[]): Map<string, SharedWebhook> {
  const byWebhook = new Map<string, string[]>()
  for (const robot of robots) {
    const key = webhookKey(robot.webhook)
    byWebhook.set(key, [...(byWebhook.get(key) ?? []), robot.name])
  }
  const shared = new Map<string, SharedWebhook>()
  for (const names of byWebhook.values()) {
    const webhook = createSharedWebhook(names)
    for (const name of names) shared.set(name, webhook)
  }
  return shared
}
