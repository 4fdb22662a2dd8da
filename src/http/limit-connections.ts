/**
 * What one connection may cost the HTTP server, and how many it keeps. Without these, a body
 * trickled a byte at a time held its connection forever (600 still open after 130 s, those
 * that never authenticated included), and a flood of them could starve `/healthz` and chat.
 */
import type { IncomingMessage, Server, ServerOptions, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

export interface HttpLimits {
  /** The whole request, headers and body, must arrive within this (Node answers 408). */
  requestTimeoutMs: number
  /** The headers must arrive within this. At most `requestTimeoutMs`. */
  headersTimeoutMs: number
  /** How often Node checks the two timeouts above; a slow request lives at most this longer. */
  timeoutCheckMs: number
  /** A connection with no traffic at all is closed after this. */
  idleTimeoutMs: number
  /** How long a kept-alive connection waits for its next request. */
  keepAliveTimeoutMs: number
  maxHeadersCount: number
  /** Open connections at most; past it the oldest is closed to make room. */
  maxConnections: number
}

/**
 * DingTalk posts a callback of a few KiB in one go and probes and scrapes are tiny: ten seconds
 * is generous for any honest client, and a thousand connections far more than they use at once.
 */
export const HTTP_LIMITS: HttpLimits = {
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 5_000,
  timeoutCheckMs: 1_000,
  idleTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxHeadersCount: 64,
  maxConnections: 1_000,
}

/** The Node server options that enforce the timeouts (passed to Fastify's `http`). */
export function toServerOptions(limits: HttpLimits): ServerOptions {
  return {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs),
    connectionsCheckingInterval: limits.timeoutCheckMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
  }
}

/**
 * Caps open connections at `max` by closing one when a new one comes. Node's own
 * `maxConnections` refuses the newcomer instead, so a flood of slow connections would hold every
 * slot and lock out the kubelet's probe and DingTalk. The one closed is the oldest that is busy
 * (a request under way, or none sent yet): an honest request is over in milliseconds, so the
 * oldest busy ones are the slow ones. A kept-alive connection idle between requests is closed
 * only when no busy one is left, as a client may be about to reuse it.
 */
export function capConnections(server: Server, max: number): void {
  /** Open sockets, oldest first, and whether each sits idle after a finished response. */
  const open = new Map<Socket, { idle: boolean }>()
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const state = open.get(request.socket)
    if (!state) return
    state.idle = false
    response.once('finish', () => {
      state.idle = true
    })
  })
  server.on('connection', (socket: Socket) => {
    open.set(socket, { idle: false })
    socket.once('close', () => open.delete(socket))
    if (open.size <= max) return
    const victim = findOldestBusy(open, socket) ?? (open.keys().next().value as Socket)
    open.delete(victim)
    victim.destroy()
  })
}

/** The oldest socket with a request under way or none sent yet, other than the newcomer. */
function findOldestBusy(
  open: Map<Socket, { idle: boolean }>,
  newcomer: Socket,
): Socket | undefined {
  for (const [socket, state] of open) if (!state.idle && socket !== newcomer) return socket
  return undefined
}
