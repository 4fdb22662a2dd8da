/**
 * Stream mode (app robot, no inbound port): every push is acknowledged at once (DingTalk
 * re-delivers unacknowledged ones after about a minute), validated like an HTTP callback and
 * answered through its sessionWebhook. The receiver keeps the connection up, reconnecting with
 * exponential backoff. It speaks to the client through the narrow `StreamConnection` shape.
 */
import type { ChatOps } from '../chatops/chat-ops.ts'
import { parseInboundMessage } from '../chatops/inbound-message.ts'
import type { Logger } from '../chatops/logger.ts'

/** DingTalk's topic for messages @-mentioning an app robot. */
export const ROBOT_TOPIC = '/v1.0/im/bot/messages/get'

/** The same limit as the HTTP callback's body. */
const MAX_PUSH_BYTES = 64 * 1024

/** One push as the Stream client hands it over. */
export interface StreamPush {
  headers: { messageId: string; topic?: string }
  data: string
}

/** The Stream connection the receiver uses (`stream-client.ts`). */
export interface StreamConnection {
  readonly connected: boolean
  registerCallbackListener(topic: string, callback: (push: StreamPush) => void): unknown
  socketCallBackResponse(messageId: string, result: unknown): void
  /** Resolves once connected; rejects when the gateway or the socket fails. */
  connect(): Promise<void>
  disconnect(): void
}

export interface StreamReceiverDeps {
  client: StreamConnection
  chat: Pick<ChatOps, 'answerViaSessionWebhook'>
  logger: Logger
  /** Reconnect delays: `initialMs`, doubling up to `maxMs` (default 1 s to 60 s). */
  backoff?: { initialMs: number; maxMs: number }
  /** How often the connection is checked (default 1 s). */
  checkEveryMs?: number
  /** A connect that takes longer counts as failed (default 30 s). */
  connectTimeoutMs?: number
  /** A connection up this long resets the backoff (default 60 s). */
  stableMs?: number
  /** Paces reconnects together with real timers; default Date.now. */
  now?: () => number
}

export interface StreamReceiver {
  /** Registers the robot listener and connects; returns at once. */
  start(): void
  /** Disconnects and stops reconnecting. */
  stop(): void
}

/** Creates the receiver. */
export function createStreamReceiver(deps: StreamReceiverDeps): StreamReceiver {
  const { client, chat, logger } = deps
  const { initialMs, maxMs } = deps.backoff ?? { initialMs: 1_000, maxMs: 60_000 }
  const stableMs = deps.stableMs ?? 60_000
  const now = deps.now ?? Date.now
  let stopped = true
  let connecting = false
  let connectedAt: number | undefined
  let failures = 0
  let nextAttemptAt = 0
  let timer: NodeJS.Timeout | undefined

  const onPush = (push: StreamPush) => {
    const messageId = push.headers?.messageId
    if (messageId) client.socketCallBackResponse(messageId, { status: 'SUCCESS', message: 'OK' })
    const parsed = toMessage(push.data)
    if (!parsed.ok) {
      logger.warn(
        { messageId, reason: parsed.reason },
        'Stream push is not a robot message: ignored',
      )
      return
    }
    void chat.answerViaSessionWebhook(parsed.message)
  }

  const failed = (why: string, err?: unknown) => {
    failures += 1
    const delay = Math.min(maxMs, initialMs * 2 ** (failures - 1))
    nextAttemptAt = now() + delay
    logger.warn(
      { err: err instanceof Error ? err.message : err, attempt: failures, retryInMs: delay },
      why,
    )
  }

  const attempt = async () => {
    connecting = true
    try {
      await withTimeout(client.connect(), deps.connectTimeoutMs ?? 30_000)
      if (stopped) return client.disconnect()
      connectedAt = now()
      logger.info({ attempt: failures + 1 }, 'connected to DingTalk Stream')
    } catch (err) {
      client.disconnect()
      failed('could not connect to DingTalk Stream: retrying', err)
    } finally {
      connecting = false
    }
  }

  const tick = () => {
    if (stopped || connecting) return
    if (client.connected) {
      if (connectedAt !== undefined && now() - connectedAt >= stableMs) failures = 0
      return
    }
    if (connectedAt !== undefined) {
      connectedAt = undefined
      failed('the DingTalk Stream connection dropped: reconnecting')
    }
    if (now() >= nextAttemptAt) void attempt()
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      client.registerCallbackListener(ROBOT_TOPIC, onPush)
      timer = setInterval(tick, deps.checkEveryMs ?? 1_000)
      timer.unref()
      tick()
    },
    stop() {
      stopped = true
      clearInterval(timer)
      client.disconnect()
    },
  }
}

function toMessage(data: string) {
  if (typeof data !== 'string') return { ok: false, reason: 'no data' } as const
  if (Buffer.byteLength(data) > MAX_PUSH_BYTES) return { ok: false, reason: 'over 64 KiB' } as const
  try {
    return parseInboundMessage(JSON.parse(data))
  } catch {
    return { ok: false, reason: 'data is not JSON' } as const
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timeout: NodeJS.Timeout | undefined
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timeout = setTimeout(() => reject(new Error(`no connection after ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timeout))
}
