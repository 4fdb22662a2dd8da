/**
 * How the archive's deliveries are going, and when to try again: the state the operator sees in
 * `status`, the log lines that tell them what to fix, and the retry timing by error class.
 */
import type { ArchiveLogger } from './archive-logger.ts'
import type { PutLogsOutcome } from './put-logs.ts'

/** `ok`: delivering. `retrying`: Log Service failed, backing off. `refused`: a setting is wrong. */
export type SlsArchiveState = 'ok' | 'retrying' | 'refused'

export interface DeliveryHealthOptions {
  logger: ArchiveLogger
  /**
   * Where the logs go, for log lines: `https://{project}.{endpoint}/logstores/{logstore}`. A
   * function, since the endpoint may only be known once the metadata service answered.
   */
  target: () => string
  retryBaseMs: number
  maxRetryMs: number
  probeIntervalMs: number
}

export interface DeliveryHealth {
  readonly state: SlsArchiveState
  readonly lastError: string | undefined
  /** Records a failed batch and logs it; returns how long to wait before the next attempt. */
  failed(
    outcome: Extract<PutLogsOutcome, { ok: false }>,
    context: { logs: number; queued: number },
  ): number
  succeeded(): void
}

/**
 * Rules: 1. a retryable failure waits `retryBaseMs`, doubling per consecutive failure, capped
 * at `maxRetryMs`; 2. a refusal (a setting is wrong) waits `probeIntervalMs`, so a bad key costs
 * one request per probe, not a storm; 3. a retryable failure that repeats the one before it
 * (same errorCode) is logged at debug only, so a long outage or a refused credential refresh
 * is one warning, not one per try; 4. the first success after failures says so in the log.
 */
export function createDeliveryHealth(opts: DeliveryHealthOptions): DeliveryHealth {
  const { logger } = opts
  let state: SlsArchiveState = 'ok'
  let lastError: string | undefined
  let lastCode: string | undefined
  let failures = 0

  return {
    get state() {
      return state
    },
    get lastError() {
      return lastError
    },
    failed(outcome, context) {
      failures++
      const { errorCode, errorMessage, hint, status, requestId } = outcome
      lastError = `${errorCode}: ${errorMessage} (${hint})`
      const repeated = lastCode === errorCode
      lastCode = errorCode
      const target = opts.target()
      const fields = { target, errorCode, errorMessage, status, requestId, ...context }
      if (outcome.action === 'refused') {
        state = 'refused'
        logger.error(
          { ...fields, nextProbeMs: opts.probeIntervalMs },
          `Log Service refused the archive batch (${errorCode}): ${hint}; the events stay queued`,
        )
        return opts.probeIntervalMs
      }
      state = 'retrying'
      const delay = Math.min(opts.retryBaseMs * 2 ** Math.min(failures - 1, 30), opts.maxRetryMs)
      const log = repeated ? logger.debug.bind(logger) : logger.warn.bind(logger)
      log(
        { ...fields, attempt: failures, retryInMs: delay },
        `Log Service failed the archive batch (${errorCode}): ${hint}`,
      )
      return delay
    },
    succeeded() {
      if (state !== 'ok') {
        logger.info({ target: opts.target(), failures }, 'Log Service accepts the archive again')
        state = 'ok'
      }
      failures = 0
      lastCode = undefined
    },
  }
}
