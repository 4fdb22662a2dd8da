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

  /** One step; true when there is more to do at once. */
  async function step(): Promise<boolean> {
    if (!deps.active()) {
      clearTimer()
      return false
    }
    // What DingTalk took is recorded before the outbox is read again: it is never sent twice.
    recordTaken(state, ctx)
    const t = now()
    // Paused: no need to read the outbox (kicks come often during a storm).
    if (state.pausedUntil > t) {
      setTimer(state.pausedUntil)
      return false
    }
    const head = outbox.peek(name, planPeekLimit(robot.ratePerMinute))
    if (dropUnreadable(head)) return true
    const plan = planSend({
      now: t,
      rows: head,
      answered: outbox.answeredSince(name, t - RATE_WINDOW_MS),
      ratePerMinute: robot.ratePerMinute,
      digestReserve: tuning.digestReserve,
      digestSpacingMs: tuning.digestSpacingMs,
      pausedUntil: state.pausedUntil,
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
      return {
        robot: name,
        ...state.counts,
        queued: size.messages,
        queuedOccurrences: size.occurrences,
        refused: { ...state.refused },
        throttledUntil:
          state.throttledUntil !== null && state.throttledUntil > t ? state.throttledUntil : null,
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
