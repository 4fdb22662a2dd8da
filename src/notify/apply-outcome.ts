/**
 * What a robot does after DingTalk answered (or did not): settle the messages, pause, back off,
 * halt on a config error, split what is too long, or drop what DingTalk will never take. Every
 * path either keeps the messages in the outbox or records why they left it.
 */
import type { RobotConfig } from '../config/schema.ts'
import { NOT_DINGTALK_ANSWER } from '../dingtalk/errcodes.ts'
import { maskWebhook } from '../dingtalk/mask-webhook.ts'
import { DEFAULT_MAX_BYTES } from '../dingtalk/render-draft.ts'
import type { SendOutcome } from '../dingtalk/robot-client.ts'
import type { Logger } from './logger.ts'
import type { Delivery, Outbox, OutboxRow } from './outbox.ts'

/** Pauses and sizes of a robot's loop; defaults in notifier.ts. */
export interface LaneTuning {
  /**
   * Answers of the rolling minute kept for digests: alerts go alone while all that waits fits in
   * the rest of the budget, and are merged once it does not (plan-send.ts).
   */
  digestReserve: number
  /** At most one digest per this long, per robot. */
  digestSpacingMs: number
  /** Most messages one digest merges. */
  maxBatch: number
  /** First pause after a throttle answer; doubles up to `maxThrottlePauseMs`. */
  throttlePauseMs: number
  maxThrottlePauseMs: number
  /** First wait after no answer (network, 5xx, busy); doubles up to `maxRetryDelayMs`. */
  retryDelayMs: number
  maxRetryDelayMs: number
  /** How often a robot halted by a config error tries again. */
  probeMs: number
}

/** A robot's mutable state between sends. */
export interface LaneState {
  pausedUntil: number
  throttledUntil: number | null
  throttlePause: number
  retryDelay: number
  halted: string | null
  lastDigestAt: number | undefined
  /** Lowered after a too-long or refused digest, back to `maxBatch` after a success. */
  batchCap: number
  /** Lowered after a too-long single message. */
  maxBytes: number
  lastError: string | null
  counts: {
    sent: number
    sentOccurrences: number
    dropped: number
    droppedOccurrences: number
    failures: number
  }
  refused: Record<string, number>
  /**
   * What DingTalk took but the store could not yet record (a full disk): recorded before anything
   * else is sent, and never sent again.
   */
  taken: Array<{ ids: number[]; delivery: Delivery }>
}

/** What one send carried. `kind` is the message's kind, or `digest`. */
export interface Batch {
  rows: readonly OutboxRow[]
  kind: string
  occurrences: number
}

export interface OutcomeContext {
  robot: RobotConfig
  outbox: Outbox
  tuning: LaneTuning
  logger: Logger
  now: () => number
}

/** A single message is not cut below this; under it, too-long means drop. */
const MIN_MAX_BYTES = 2_000

/** The state of a robot that has not sent yet. */
export function createLaneState(tuning: LaneTuning): LaneState {
  return {
    pausedUntil: 0,
    throttledUntil: null,
    throttlePause: tuning.throttlePauseMs,
    retryDelay: tuning.retryDelayMs,
    halted: null,
    lastDigestAt: undefined,
    batchCap: tuning.maxBatch,
    maxBytes: DEFAULT_MAX_BYTES,
    lastError: null,
    counts: { sent: 0, sentOccurrences: 0, dropped: 0, droppedOccurrences: 0, failures: 0 },
    refused: {},
    taken: [],
  }
}

const ids = (batch: Batch): number[] => batch.rows.map((r) => r.id)

/** Who refused and how: DingTalk with its errcode, or whatever answered in its place. */
const refusalText = (o: SendOutcome): string =>
  o.errcode === null
    ? `The robot's webhook answered ${o.errmsg} (${NOT_DINGTALK_ANSWER})`
    : `DingTalk refused the message (${o.errcode} ${o.errmsg})`

/** Gives up on a batch for good: it leaves the outbox, and `deliveries` says why. */
export function dropBatch(
  state: LaneState,
  ctx: OutcomeContext,
  batch: Batch,
  errcode: number,
  errmsg: string,
): void {
  const { name } = ctx.robot
  ctx.outbox.settle(name, ids(batch), {
    at: ctx.now(),
    kind: batch.kind,
    occurrences: batch.occurrences,
    errcode,
    errmsg,
  })
  state.counts.dropped += batch.rows.length
  state.counts.droppedOccurrences += batch.occurrences
  ctx.logger.error(
    { robot: name, errcode, errmsg, messages: batch.rows.length, occurrences: batch.occurrences },
    `dropped a message DingTalk will not take: ${errmsg}`,
  )
}

/**
 * Records what DingTalk took, oldest first. Throws while the store refuses (a full disk), keeping
 * the rest for the next try: the messages stay in the outbox meanwhile, but are not sent again.
 */
export function recordTaken(state: LaneState, ctx: OutcomeContext): void {
  for (let taken = state.taken[0]; taken; taken = state.taken[0]) {
    ctx.outbox.settle(ctx.robot.name, taken.ids, taken.delivery)
    state.taken.shift()
  }
}

function succeed(state: LaneState, ctx: OutcomeContext, batch: Batch, delivery: Delivery): void {
  const { robot, tuning, logger } = ctx
  state.taken.push({ ids: ids(batch), delivery })
  state.counts.sent++
  state.counts.sentOccurrences += batch.occurrences
  if (state.halted)
    logger.info({ robot: robot.name }, 'DingTalk takes messages again: robot resumed')
  Object.assign(state, {
    halted: null,
    pausedUntil: 0,
    throttledUntil: null,
    throttlePause: tuning.throttlePauseMs,
    retryDelay: tuning.retryDelayMs,
    batchCap: tuning.maxBatch,
    maxBytes: DEFAULT_MAX_BYTES,
    lastError: null,
  })
  recordTaken(state, ctx)
}

/** Acts on one answer. */
export function applyOutcome(
  state: LaneState,
  ctx: OutcomeContext,
  outcome: SendOutcome,
  batch: Batch,
): void {
  const { robot, outbox, tuning, logger } = ctx
  const name = robot.name
  const at = ctx.now()
  const delivery: Delivery = {
    at,
    kind: batch.kind,
    occurrences: batch.occurrences,
    errcode: outcome.errcode ?? 0,
    errmsg: outcome.errmsg,
  }
  if (outcome.kind === 'ok') {
    succeed(state, ctx, batch, delivery)
    return
  }
  state.lastError = outcome.explanation
  if (outcome.errcode === null && outcome.httpStatus === undefined) state.counts.failures++
  else {
    const key = outcome.errcode === null ? outcome.errmsg : String(outcome.errcode)
    state.refused[key] = (state.refused[key] ?? 0) + 1
  }
  // Answers with an errcode count in the rate budget (deliveries); the rest only mark the rows.
  const keep = () =>
    outcome.errcode === null
      ? outbox.noteFailure(ids(batch), outcome.errmsg)
      : outbox.refuse(name, ids(batch), delivery)
  const fields = { robot: name, errcode: outcome.errcode, errmsg: outcome.errmsg }
  switch (outcome.kind) {
    case 'throttled':
      keep()
      state.pausedUntil = at + state.throttlePause
      state.throttledUntil = state.pausedUntil
      outbox.defer(name, state.pausedUntil)
      logger.warn(
        { ...fields, pauseMs: state.throttlePause, queued: outbox.size(name).messages },
        'DingTalk throttled the robot: pausing it, messages kept',
      )
      state.throttlePause = Math.min(state.throttlePause * 2, tuning.maxThrottlePauseMs)
      return
    case 'retry':
      keep()
      state.pausedUntil = at + state.retryDelay
      logger.warn(
        { ...fields, retryInMs: state.retryDelay },
        `DingTalk send failed, will retry: ${outcome.explanation}`,
      )
      state.retryDelay = Math.min(state.retryDelay * 2, tuning.maxRetryDelayMs)
      return
    case 'config':
      keep()
      state.halted = outcome.explanation
      state.pausedUntil = at + tuning.probeMs
      logger.error(
        {
          ...fields,
          webhook: maskWebhook(robot.webhook),
          fix: outcome.fix,
          queued: outbox.size(name).messages,
          probeInMs: tuning.probeMs,
        },
        `${refusalText(outcome)}: ${outcome.fix}; robot ${name} halted, messages kept, next try in ${Math.round(tuning.probeMs / 1000)} s`,
      )
      return
    case 'too-long':
      if (batch.rows.length > 1) state.batchCap = Math.max(1, Math.floor(batch.rows.length / 2))
      else if (state.maxBytes / 2 >= MIN_MAX_BYTES) state.maxBytes = Math.floor(state.maxBytes / 2)
      else {
        dropBatch(state, ctx, batch, delivery.errcode, outcome.errmsg)
        return
      }
      keep()
      logger.warn(
        { ...fields, batchCap: state.batchCap, maxBytes: state.maxBytes },
        'DingTalk found the message too long: splitting it',
      )
      return
    case 'content-rejected':
      if (batch.rows.length === 1) {
        dropBatch(state, ctx, batch, delivery.errcode, outcome.errmsg)
        return
      }
      // One alert's content is refused: halve the digest until that one goes alone.
      keep()
      state.batchCap = Math.max(1, Math.floor(batch.rows.length / 2))
      logger.warn(
        { ...fields, batchCap: state.batchCap },
        'DingTalk refused the digest’s content: splitting it',
      )
      return
    case 'bug':
      dropBatch(state, ctx, batch, delivery.errcode, outcome.explanation)
      return
  }
}
