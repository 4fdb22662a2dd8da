/**
 * DingTalk Stream mode's client, speaking the protocol the `dingtalk-stream` SDK speaks (open a
 * connection ticket at the gateway, then a WebSocket that pushes frames and takes
 * acknowledgements) without the SDK: the SDK reads and writes private fields, reconnects on its
 * own, and prints "connect success", "Disconnecting." and stack traces to the console, into our
 * JSON logs and the test output. Here every line goes through our logger, the gateway is asked
 * with the injected `fetch` at a configurable URL (tests use a fake gateway), `connect()` rejects
 * when it fails, and reconnecting is the Stream receiver's (with backoff).
 */
import type { Logger } from '../chatops/logger.ts'
import type { StreamConnection, StreamPush } from './stream-receiver.ts'

/** DingTalk's gateway, where a connection ticket is opened. */
export const GATEWAY_URL = 'https://api.dingtalk.com/v1.0/gateway/connections/open'

/** A frame larger than this is dropped unread (pushes are at most 64 KiB of data). */
const MAX_FRAME_BYTES = 256 * 1024

export interface StreamClientOptions {
  clientId: string
  clientSecret: string
  /** Default: DingTalk's `GATEWAY_URL`. */
  gatewayUrl?: string
  fetch: typeof fetch
  logger: Logger
}

/** One frame from the gateway. */
interface Frame {
  type?: unknown
  headers?: { topic?: unknown; messageId?: unknown }
  data?: unknown
}

/** Creates the client; `createStreamReceiver` connects it and keeps it connected. */
export function createStreamClient(options: StreamClientOptions): StreamConnection {
  const { logger } = options
  const listeners = new Map<string, (push: StreamPush) => void>()
  let socket: WebSocket | undefined
  let connected = false

  const send = (frame: object) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(frame))
  }
  const reply = (messageId: string, data: string) =>
    send({
      code: 200,
      headers: { contentType: 'application/json', messageId },
      message: 'OK',
      data,
    })

  /** Opens a connection ticket; answers the WebSocket URL to dial. */
  async function openTicket(): Promise<string> {
    const response = await options.fetch(options.gatewayUrl ?? GATEWAY_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        ua: 'kubeding',
        subscriptions: [...listeners.keys()].map((topic) => ({ type: 'CALLBACK', topic })),
      }),
      signal: AbortSignal.timeout(10_000),
      redirect: 'manual',
    })
    if (!response.ok) {
      throw new Error(
        `the Stream gateway answered HTTP ${response.status}: check dingtalk.outgoing.stream.clientId and clientSecret`,
      )
    }
    const body = (await response.json()) as { endpoint?: unknown; ticket?: unknown }
    if (typeof body.endpoint !== 'string' || typeof body.ticket !== 'string') {
      throw new Error('the Stream gateway gave no endpoint or ticket')
    }
    return `${body.endpoint}?ticket=${encodeURIComponent(body.ticket)}`
  }

  function onFrame(text: string): void {
    if (Buffer.byteLength(text) > MAX_FRAME_BYTES) {
      logger.warn({ bytes: Buffer.byteLength(text) }, 'Stream frame too large: dropped')
      return
    }
    let frame: Frame
    try {
      frame = JSON.parse(text) as Frame
    } catch {
      logger.warn({}, 'Stream frame is not JSON: dropped')
      return
    }
    const topic = frame.headers?.topic
    const messageId = frame.headers?.messageId
    if (frame.type === 'SYSTEM') {
      // The gateway pings to see the client alive, and says `disconnect` before it closes.
      if (topic === 'ping' && typeof messageId === 'string') reply(messageId, String(frame.data))
      if (topic === 'disconnect') socket?.close()
      return
    }
    if (frame.type === 'CALLBACK' && typeof topic === 'string' && typeof messageId === 'string') {
      const listener = listeners.get(topic)
      if (listener) listener({ headers: { messageId, topic }, data: frame.data as string })
      return
    }
    logger.debug({ type: frame.type, topic }, 'Stream frame ignored')
  }

  return {
    get connected() {
      return connected
    },
    registerCallbackListener(topic, callback) {
      listeners.set(topic, callback)
    },
    socketCallBackResponse(messageId, result) {
      reply(messageId, JSON.stringify({ response: result }))
    },
    async connect() {
      const url = await openTicket()
      await new Promise<void>((resolve, reject) => {
        const ws = new WebSocket(url)
        socket = ws
        ws.onopen = () => {
          connected = true
          resolve()
        }
        ws.onerror = () => reject(new Error('the Stream socket failed'))
        ws.onclose = (event) => {
          connected = false
          reject(new Error(`the Stream socket closed (${event.code})`))
        }
        ws.onmessage = (event) => onFrame(String(event.data))
      })
    },
    disconnect() {
      connected = false
      socket?.close()
      socket = undefined
    },
  }
}
