/**
 * One robot's send loop: plans the next send (plan-send.ts), renders, sends, and acts on
 * DingTalk's answer (apply-outcome.ts). Sends are one at a time per robot, so the rate budget
 * and the order hold.
 */
import type { RobotConfig } from '../config/schema.ts'
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import type { RobotClient } from '../dingtalk/robot-client.ts'
import {
  applyOutcome,
  type Batch,
  createLaneState,
  dropBatch,
  type LaneTuning,
  type OutcomeContext,
  recordTaken,
} from './apply-outcome.ts'
import type { Logger } from './logger.ts'
import type { Outbox, OutboxRow } from './outbox.ts'
import { RENDER_FAILED_ERRCODE, UNREADABLE_ERRCODE } from './outbox.ts'
import type { OutboxMessage } from './outbox-message.ts'
import { planPeekLimit, planSend, RATE_WINDOW_MS, selectDigest } from './plan-send.ts'
import { type RenderOptions, renderBatch, renderMessage } from './render-message.ts'

/** Timers, injectable so tests move time themselves. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * What the robots on one DingTalk webhook share. DingTalk counts its 20 messages a minute, and
 * throttles, per webhook (its access_token), not per robot name: two robots on one webhook (two
 * routes' worth of kube-eventer `--sink` flags, say) take turns, count each other's answers in
 * the rolling budget, and both wait out a throttle either of them heard.
 */
export interface SharedWebhook {
  /** The names of the robots on the webhook, this one included. */
  readonly robots: readonly string[]
  /** Until when DingTalk throttles the webhook, as the last of its robots heard (epoch ms). */
  throttledUntil: number
  /** Runs `fn` once no other robot on the webhook is deciding or sending. */
  exclusive<T>(fn: () => Promise<T>): Promise<T>
}

/** The shared state of the robots `robots`, all on one webhook. */
export function createSharedWebhook(robots: readonly string[]): SharedWebhook {
  let last: Promise<unknown> = Promise.resolve()
  return {
    robots,
    throttledUntil: 0,
    exclusive(fn) {
      const run = last.then(fn, fn)
      last = run.catch(() => undefined)
      return run
    },
  }
}

export interface LaneDeps {
  robot: RobotConfig
  client: RobotClient
  outbox: Outbox
  render: Omit<RenderOptions, 'robot' | 'maxBytes'>
  tuning: LaneTuning
  now: () => number
  timers: Timers
  logger: Logger
  /** True while the notifier flushes for shutdown: digests are not spaced. */
  flushing(): boolean
  /** False once the notifier stopped: the loop sends nothing more. */
  active(): boolean
  /** Told whenever the loop stops to wait or idle. */
  settled(): void
  /** Shared with the other robots on this robot's webhook; default: this robot alone. */
  shared?: SharedWebhook
}

/** Figures of one robot, for `status` and `/metrics`. Counts are since the process started. */
export interface RobotStats {
  robot: string
  /** Messages DingTalk accepted, and the event occurrences they carried. */
  sent: number
  sentOccurrences: number
  /** Messages waiting in the outbox, and their occurrences. */
  queued: number
  queuedOccurrences: number
  /** Refusals by errcode, or by `HTTP 503` and the like when DingTalk itself did not answer. */
  refused: Record<string, number>
  /** Messages given up (content refused by DingTalk, a bug), and their occurrences. */
  dropped: number
  droppedOccurrences: number
  /** Attempts that got no HTTP answer at all (network error, timeout). */
  failures: number
  /** Until when the robot is paused because DingTalk throttled it. */
  throttledUntil: number | null
  /** Why the robot is halted (a config error, naming the key to fix), or null. */
  halted: string | null
  /** When the robot next tries, when it is waiting. */
  nextAttemptAt: number | null
  lastError: string | null
}

export interface RobotLane {
  readonly name: string
  /** Runs the loop unless it runs already; resolves when it stops to wait or idle. */
  pump(): Promise<void>
  /** Whether the loop is sending or deciding right now. */
  busy(): boolean
  /** Resolves when the loop is not running (without starting it). */
  idle(): Promise<void>
  /** When the loop's timer fires next, if one is set. */
  wakeAt(): number | undefined
  /** Restores a throttle pause remembered in the store. */
  restore(): void
  /** Clears the timer and aborts a send in flight. */
  halt(): void
  stats(): RobotStats
}

/** After an unexpected error (a store error: disk full, store closed), the loop tries again this late. */
const ERROR_RETRY_MS = 60_000

/** Creates the loop of one robot. */
export function createRobotLane(deps: LaneDeps): RobotLane {
  const { robot, outbox, tuning, now, logger } = deps
  const name = robot.name
  const state = createLaneState(tuning)
  const ctx: OutcomeContext = { robot, outbox, tuning, logger, now }
  const shared = deps.shared ?? createSharedWebhook([name])
  let running: Promise<void> | undefined
  let dirty = false
  let timer: { handle: unknown; at: number } | undefined
  let inFlight: AbortController | undefined

  function setTimer(at: number): void {
    if (timer?.at === at) return
    clearTimer()
    const fire = () => {
      timer = undefined
      void lane.pump()
    }
    timer = { handle: deps.timers.setTimeout(fire, Math.max(0, at - now())), at }
  }

  function clearTimer(): void {
    if (timer) deps.timers.clearTimeout(timer.handle)
    timer = undefined
  }

  /** Drops what cannot be read: written by another kubeding version, or damaged, it would block the robot. */
  function dropUnreadable(rows: readonly OutboxRow[]): boolean {
    const unreadable = rows.filter((r) => r.message === undefined)
    if (unreadable.length === 0) return false
    const batch = { ...toBatch(unreadable), kind: 'unreadable' }
    dropBatch(state, ctx, batch, UNREADABLE_ERRCODE, 'stored message unreadable')
    return true
  }

  /** When DingTalk answered any robot on this webhook since `since`, oldest first. */
  function answeredSince(since: number): number[] {
    if (shared.robots.length === 1) return outbox.answeredSince(name, since)
    return shared.robots.flatMap((r) => outbox.answeredSince(r, since)).sort((a, b) => a - b)
  }

  /** Notes a throttle this robot heard for the others on its webhook. */
  function shareThrottle(): void {
    if (state.throttledUntil !== null)
      shared.throttledUntil = Math.max(shared.throttledUntil, state.throttledUntil)
  }

  /**
   * One step; true when there is more to do at once. Robots on one webhook step one at a time, so
   * that each decides on the answers of the others' sends, not on a budget they are spending.
   */
  function step(): Promise<boolean> {
    return shared.exclusive(stepAlone)
  }

  async function stepAlone(): Promise<boolean> {
    if (!deps.active()) {
      clearTimer()
      return false
    }
    // What DingTalk took is recorded before the outbox is read again: it is never sent twice.
    recordTaken(state, ctx)
    const t = now()
    const pausedUntil = Math.max(state.pausedUntil, shared.throttledUntil)
    // Paused: no need to read the outbox (kicks come often during a storm).
    if (pausedUntil > t) {
      setTimer(pausedUntil)
      return false
    }
    const head = outbox.peek(name, planPeekLimit(robot.ratePerMinute))
    if (dropUnreadable(head)) return true
    const plan = planSend({
      now: t,
      rows: head,
      answered: answeredSince(t - RATE_WINDOW_MS),
      ratePerMinute: robot.ratePerMinute,
      digestReserve: tuning.digestReserve,
      digestSpacingMs: tuning.digestSpacingMs,
      pausedUntil,
      lastDigestAt: state.lastDigestAt,
      flushing: deps.flushing(),
    })
    if (plan.step === 'idle') clearTimer()
    if (plan.step === 'wait') setTimer(plan.until)
    if (plan.step === 'idle' || plan.step === 'wait') return false
    clearTimer()
    if (plan.step === 'send') {
      await send(toBatch([plan.row]), false)
      return true
    }
    const rows = outbox.peek(name, tuning.maxBatch)
    if (dropUnreadable(rows)) return true
    const merged = selectDigest(rows, state.batchCap)
    // One alert is shown as itself; it still counts as the digest for the spacing.
    if (await send(toBatch(merged), merged.length > 1)) state.lastDigestAt = now()
    return true
  }

  /** Renders and sends one batch; true when DingTalk accepted it. */
  async function send(batch: Batch, digest: boolean): Promise<boolean> {
    const messages = batch.rows.map((r) => r.message as OutboxMessage)
    const options: RenderOptions = { ...deps.render, robot, maxBytes: state.maxBytes }
    let body: DingTalkMessage
    try {
      body = digest
        ? renderBatch(messages, options)
        : renderMessage(messages[0] as OutboxMessage, options)
    } catch (err) {
      // One row that cannot be rendered (written by another version, damaged) must not take a
      // digest of up to maxBatch alerts with it: only such rows are dropped, the rest goes in the
      // next step. A drop is not an answer, so it costs nothing from the rate budget.
      const bad = digest ? batch.rows.filter((r) => !renders(r.message, options)) : []
      // A single message, or a digest whose rows all render on their own: the whole batch goes.
      const dropped = bad.length > 0 ? toBatch(bad) : batch
      dropBatch(state, ctx, dropped, RENDER_FAILED_ERRCODE, `could not render: ${String(err)}`)
      return false
    }
    inFlight = new AbortController()
    const outcome = await deps.client.send(body, { signal: inFlight.signal })
    inFlight = undefined
    applyOutcome(state, ctx, outcome, batch)
    shareThrottle()
    return outcome.kind === 'ok'
  }

  async function loop(): Promise<void> {
    try {
      for (;;) {
        dirty = false
        const more = await step()
        // A kick that came while this step ran finds the loop still going: look again.
        if (!more && !dirty) break
      }
    } catch (err) {
      logger.error(
        { robot: name, err },
        state.taken.length > 0
          ? 'DingTalk took the message but the store could not record it; it is not sent again, recording it is retried in a minute'
          : 'the DingTalk send loop failed; messages kept, retrying in a minute',
      )
      setTimer(now() + ERROR_RETRY_MS)
    } finally {
      running = undefined
      deps.settled()
    }
  }

  const lane: RobotLane = {
    name,
    pump() {
      dirty = true
      running ??= loop()
      return running
    },
    busy: () => running !== undefined,
    idle: () => running ?? Promise.resolve(),
    wakeAt: () => timer?.at,
    restore() {
      const held = outbox.heldUntil(name)
      if (held === undefined || held <= now()) return
      state.pausedUntil = held
      state.throttledUntil = held
      shareThrottle()
      logger.info(
        { robot: name, until: new Date(held).toISOString() },
        'robot still throttled from before the restart',
      )
    },
    halt() {
      clearTimer()
      inFlight?.abort()
    },
    stats() {
      const size = outbox.size(name)
      const t = now()
      // A throttle another robot on the webhook heard holds this one too.
      const throttledUntil = Math.max(state.throttledUntil ?? 0, shared.throttledUntil)
      return {
        robot: name,
        ...state.counts,
        queued: size.messages,
        queuedOccurrences: size.occurrences,
        refused: { ...state.refused },
        throttledUntil: throttledUntil > t ? throttledUntil : null,
        halted: state.halted,
        nextAttemptAt: timer?.at ?? null,
        lastError: state.lastError,
      }
    },
  }
  return lane
}

/** Whether a message renders alone and in a digest (as one of two: itself twice). */
function renders(message: OutboxMessage | undefined, options: RenderOptions): boolean {
  if (message === undefined) return false
  try {
    renderMessage(message, options)
    renderBatch([message, message], options)
    return true
  } catch {
    return false
  }
}

function toBatch(rows: readonly OutboxRow[]): Batch {
  return {
    rows,
    kind: rows.length === 1 ? (rows[0]?.kind ?? 'alert') : 'digest',
    occurrences: rows.reduce((sum, r) => sum + r.occurrences, 0),
  }
}
