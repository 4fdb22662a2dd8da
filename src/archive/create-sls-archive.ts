/**
 * The SLS archive (`archive.sls`): every new or changed event, copied to a Log Service logstore
 * through a durable queue. Rows are written inside the pipeline's transaction and leave only
 * when Log Service answered 200, so a restart or an outage loses nothing. Delivery is at least
 * once: a batch is sent again only if its answer never arrived.
 */
import type { SlsConfig } from '../config/schema.ts'
import type { ClusterEvent } from '../kube/cluster-event.ts'
import type { Store } from '../store/open-store.ts'
import type { ArchiveLogger } from './archive-logger.ts'
import { createDeliveryHealth, type SlsArchiveState } from './delivery-health.ts'
import { encodeLogGroup } from './log-group.ts'
import { readRegionEndpoint } from './metadata-region.ts'
import { type PutLogsOutcome, putLogs, toProjectOrigin } from './put-logs.ts'
import {
  type CredentialSource,
  createCredentialSource,
  METADATA_URL,
  type SlsCredentials,
} from './sls-credentials.ts'
import { createSlsQueue, type QueuedBatch } from './sls-queue.ts'
import { toSlsLog } from './to-sls-log.ts'

export type { ArchiveLogger } from './archive-logger.ts'
export type { SlsArchiveState } from './delivery-health.ts'

export interface SlsArchiveOptions {
  config: SlsConfig
  /** Written into every log as `cluster`. */
  cluster: string
  store: Store
  logger: ArchiveLogger
  now?: () => number
  /** Tests and the bench route requests to a fake Log Service (and metadata service) through this. */
  fetch?: typeof fetch
  /** The ECS metadata service (region, RAM role); tests point it at a fake. Default 100.100.100.200. */
  metadataUrl?: string
  /** The STS endpoint for RRSA (`host[:port]`, https); tests point it at a fake. */
  stsEndpoint?: string
  /** A batch leaves at least this often while logs wait. Default 2 s. */
  flushIntervalMs?: number
  /** A batch leaves as soon as this much is queued; also the most one request carries. Default 512 KiB. */
  maxBatchBytes?: number
  /** The most logs in one request. Default 4096. */
  maxBatchLogs?: number
  /** First retry delay after a retryable failure; doubles each time. Default 1 s. */
  retryBaseMs?: number
  /** Cap of the retry delay. Default 60 s. */
  maxRetryMs?: number
  /** After a configuration error, how long until the next probe. Default 5 min. */
  probeIntervalMs?: number
  /** One request's time limit. Default 30 s. */
  requestTimeoutMs?: number
}

export interface SlsArchiveStats {
  state: SlsArchiveState
  queued: number
  sentBatches: number
  sentLogs: number
  failedBatches: number
  /** The last failure as the operator should read it; never contains a secret. */
  lastError?: string
  /** Bytes of request bodies Log Service accepted (compressed). */
  bytesSent: number
  /** Rows dropped because they could not be encoded (a damaged store). */
  droppedLogs: number
}

export interface SlsArchive {
  /** Called by the pipeline inside its store transaction for every new or changed event. Only inserts rows; never does I/O. */
  enqueue(events: readonly ClusterEvent[]): void
  /** Starts sending; what an earlier run left queued goes first. */
  start(): void
  /** Final flush, bounded by timeoutMs; what is left stays queued for the next start. */
  stop(timeoutMs: number): Promise<void>
  stats(): SlsArchiveStats
}

/** Creates the archive over an open store; nothing is sent before `start()`. */
export function createSlsArchive(opts: SlsArchiveOptions): SlsArchive {
  const { config, cluster, store, logger } = opts
  const labels = config.labels ?? {}
  const now = opts.now ?? Date.now
  const doFetch = opts.fetch ?? fetch
  const flushIntervalMs = opts.flushIntervalMs ?? 2000
  const maxBatchBytes = opts.maxBatchBytes ?? 512 * 1024
  const maxBatchLogs = opts.maxBatchLogs ?? 4096
  const requestTimeoutMs = opts.requestTimeoutMs ?? 30_000
  const queue = createSlsQueue(store)
  const metadataUrl = opts.metadataUrl ?? METADATA_URL
  const credentials: CredentialSource = createCredentialSource({
    config,
    logger,
    metadataUrl,
    ...(opts.stsEndpoint ? { stsEndpoint: opts.stsEndpoint } : {}),
  })
  // Without archive.sls.endpoint, learnt from the metadata service before the first request.
  let endpoint = config.endpoint
  const target = () =>
    `${toProjectOrigin(endpoint ?? '<region from the metadata service>', config.project)}/logstores/${config.logstore}`
  const health = createDeliveryHealth({
    logger,
    target,
    retryBaseMs: opts.retryBaseMs ?? 1000,
    maxRetryMs: opts.maxRetryMs ?? 60_000,
    probeIntervalMs: opts.probeIntervalMs ?? 300_000,
  })
  const counters = { sentBatches: 0, sentLogs: 0, failedBatches: 0, bytesSent: 0, droppedLogs: 0 }
  let started = false
  let timer: NodeJS.Timeout | undefined
  // One sender at a time, the drain or stop's final flush: two would send a batch twice.
  let sending: Promise<void> | undefined
  let stopping: Promise<void> | undefined
  let inFlight: AbortController | undefined
  // Bytes queued since the last batch was taken: reaching maxBatchBytes sends early.
  let pendingBytes = 0
  // Set when stop() ran out of time and aborted the request in flight: not a Log Service failure.
  let stopTimedOut = false

  function schedule(delayMs: number): void {
    clearTimeout(timer)
    if (!started) return
    timer = setTimeout(kick, delayMs)
    // The timer alone must not hold the process open; stop() does the final flush.
    timer.unref()
  }

  function kick(): void {
    if (sending || stopping || !started) return
    sending = drain().finally(() => {
      sending = undefined
    })
  }

  /** Sends batches while full ones wait, then sleeps until the next tick or the backoff. */
  async function drain(): Promise<void> {
    for (;;) {
      const result = await sendNext()
      if (typeof result === 'number') return schedule(result)
      if (result === 'empty' || !(result.full || pendingBytes >= maxBatchBytes) || !started) {
        return schedule(flushIntervalMs)
      }
    }
  }

  /** Sends the head of the queue once; on failure, answers how long to wait. */
  async function sendNext(): Promise<'empty' | QueuedBatch | number> {
    pendingBytes = 0
    const batch = queue.peekBatch(maxBatchBytes, maxBatchLogs, (row) => {
      counters.droppedLogs++
      logger.error(
        { queueId: row.id, err: row.error },
        'dropped a row of the SLS queue that cannot be encoded (the store was edited or damaged)',
      )
    })
    if (!batch) return 'empty'
    const logGroup = encodeLogGroup({
      logs: batch.logs,
      ...(config.topic ? { topic: config.topic } : {}),
    })
    inFlight = new AbortController()
    const outcome = await sendBatch(logGroup, inFlight.signal).finally(() => {
      inFlight = undefined
    })
    if (!outcome.ok) {
      if (stopTimedOut) return 0
      counters.failedBatches++
      return health.failed(outcome, { logs: batch.logs.length, queued: queue.count() })
    }
    queue.remove(batch)
    counters.sentBatches++
    counters.sentLogs += batch.logs.length
    counters.bytesSent += outcome.bytesSent
    health.succeeded()
    return batch
  }

  /**
   * One PutLogs with the endpoint and credentials of the moment: STS credentials are fetched
   * (and refreshed when near expiry) per request, so a backlog drained across an expiry signs
   * each batch with a valid token. Not having either is a retryable failure: the batch stays.
   */
  async function sendBatch(logGroup: Uint8Array, signal: AbortSignal): Promise<PutLogsOutcome> {
    let signing: { endpoint: string; credentials: SlsCredentials }
    try {
      if (endpoint === undefined) {
        endpoint = await readRegionEndpoint(metadataUrl, doFetch)
        logger.info({ target: target() }, 'SLS endpoint taken from the metadata service region')
      }
      signing = { endpoint, credentials: await credentials.get() }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      return {
        ok: false,
        action: 'retry',
        errorCode: endpoint === undefined ? 'EndpointUnknown' : 'CredentialsUnavailable',
        errorMessage: message.slice(0, 600),
        hint: 'the events stay queued; retrying with backoff',
        bytesSent: 0,
      }
    }
    return putLogs({
      config,
      ...signing,
      logGroup,
      fetch: doFetch,
      now,
      signal: AbortSignal.any([signal, AbortSignal.timeout(requestTimeoutMs)]),
    })
  }

  /** Waits for the sender, then sends what is queued while Log Service takes it and time is left. */
  async function finalFlush(timeoutMs: number): Promise<void> {
    const deadline = setTimeout(() => {
      stopTimedOut = true
      inFlight?.abort()
    }, timeoutMs)
    try {
      if (sending) await sending
      // Only while Log Service was taking batches: after a failure or a refusal another try
      // would fail the same way, and the rows wait for the next start either way.
      while (health.state === 'ok' && !stopTimedOut) {
        const result = await sendNext()
        if (typeof result !== 'object') break
      }
    } finally {
      clearTimeout(deadline)
    }
    const queued = queue.count()
    logger.info(
      { target: target(), queued, timedOut: stopTimedOut },
      queued === 0
        ? 'SLS archive stopped, queue empty'
        : 'SLS archive stopped; the rest stays queued for the next start',
    )
    stopTimedOut = false
  }

  return {
    enqueue(events) {
      if (events.length === 0) return
      const at = now()
      store.tx(() => {
        for (const event of events) pendingBytes += queue.add(at, toSlsLog(event, cluster, labels))
      })
      // Early send only while healthy: during a backoff or a refusal, the size of the queue
      // must not turn into a retry storm.
      if (pendingBytes >= maxBatchBytes && health.state === 'ok' && !sending) schedule(0)
    },
    start() {
      if (started) return
      started = true
      logger.info(
        { target: target(), credentials: credentials.describe(), queued: queue.count() },
        'SLS archive started',
      )
      schedule(0)
    },
    stop(timeoutMs) {
      started = false
      clearTimeout(timer)
      // A second stop() waits for the first rather than flushing alongside it.
      stopping ??= finalFlush(timeoutMs).finally(() => {
        stopping = undefined
        if (started) schedule(0)
      })
      return stopping
    },
    stats: () => ({
      state: health.state,
      queued: queue.count(),
      ...counters,
      ...(health.lastError === undefined ? {} : { lastError: health.lastError }),
    }),
  }
}
