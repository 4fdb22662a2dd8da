/**
 * A fake DingTalk Stream gateway on 127.0.0.1 (port 0), speaking DingTalk's Stream protocol (as
 * the official `dingtalk-stream` SDK speaks it): `POST /v1.0/gateway/connections/open` with clientId,
 * clientSecret and subscriptions answers `{endpoint, ticket}`; the WebSocket at the endpoint
 * takes `?ticket=`, pushes CALLBACK frames, and records the client's acknowledgements.
 */
import { randomUUID } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'

/** The part of the `ws` package used here (it ships no types; @kubernetes/client-node depends on it). */
interface Socket {
  send(data: string): void
  on(event: 'message', listener: (data: Buffer) => void): void
  close(code?: number, reason?: string): void
  terminate(): void
}
interface SocketServer {
  on(event: 'connection', listener: (socket: Socket, req: IncomingMessage) => void): void
  close(): void
}
const { WebSocketServer } = createRequire(import.meta.url)('ws') as {
  WebSocketServer: new (options: {
    noServer: true
  }) => SocketServer & {
    handleUpgrade(
      req: IncomingMessage,
      socket: unknown,
      head: Buffer,
      done: (ws: Socket) => void,
    ): void
    emit(event: 'connection', socket: Socket, req: IncomingMessage): void
  }
}

/** An acknowledgement frame the client sent back. */
export interface StreamAck {
  code: number
  headers: { messageId: string; contentType?: string }
  message: string
  data: string
}

export interface FakeStreamGateway {
  /** The gateway's open-connection URL, for `gatewayUrl`. */
  readonly gatewayUrl: string
  /** Bodies of every open-connection request. */
  readonly opens: Array<{ at: number; body: Record<string, unknown> }>
  readonly acks: StreamAck[]
  /** WebSocket connections accepted so far. */
  connections(): number
  /** Sends a robot message (as DingTalk's `data` JSON) on the live socket; returns the push's messageId. */
  push(message: unknown, data?: string): string
  /** Sends a raw frame (a SYSTEM ping, a disconnect notice, junk) on the live socket. */
  sendRaw(frame: string): void
  /** Closes the live socket from the server side. */
  drop(): void
  /** The next `n` open-connection requests answer HTTP `status`. */
  failOpens(n: number, status: number): void
  waitFor(condition: () => boolean): Promise<void>
  close(): Promise<void>
}

/** Starts the fake; only `clientId`/`clientSecret` get a ticket. */
export async function createFakeStreamGateway(credentials: {
  clientId: string
  clientSecret: string
}): Promise<FakeStreamGateway> {
  const opens: FakeStreamGateway['opens'] = []
  const acks: StreamAck[] = []
  const tickets = new Set<string>()
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const w of waiters) w()
  }
  let failing: { n: number; status: number } = { n: 0, status: 500 }
  let live: Socket | undefined
  let accepted = 0

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1.0/gateway/connections/open') {
        res.writeHead(404).end()
        return
      }
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<
        string,
        unknown
      >
      opens.push({ at: Date.now(), body })
      wake()
      if (failing.n > 0) {
        failing.n -= 1
        res.writeHead(failing.status, { 'content-type': 'application/json' }).end('{"code":"busy"}')
        return
      }
      if (
        body.clientId !== credentials.clientId ||
        body.clientSecret !== credentials.clientSecret
      ) {
        res
          .writeHead(401, { 'content-type': 'application/json' })
          .end('{"code":"InvalidAuthentication"}')
        return
      }
      const ticket = randomUUID()
      tickets.add(ticket)
      const { port } = server.address() as AddressInfo
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ endpoint: `ws://127.0.0.1:${port}/connect`, ticket }))
    })
  })
  const sockets = new WebSocketServer({ noServer: true })
  server.on('upgrade', (req, socket, head) => {
    const ticket = new URL(req.url ?? '/', 'http://fake').searchParams.get('ticket') ?? ''
    if (!tickets.delete(ticket)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n')
      return
    }
    sockets.handleUpgrade(req, socket, head, (ws) => sockets.emit('connection', ws, req))
  })
  sockets.on('connection', (ws) => {
    accepted += 1
    live = ws
    ws.on('message', (data) => {
      acks.push(JSON.parse(data.toString('utf8')) as StreamAck)
      wake()
    })
    wake()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    gatewayUrl: `http://127.0.0.1:${port}/v1.0/gateway/connections/open`,
    opens,
    acks,
    connections: () => accepted,
    push(message, data) {
      if (!live) throw new Error('no client is connected to the fake gateway')
      const messageId = randomUUID()
      live.send(
        JSON.stringify({
          specVersion: '1.0',
          type: 'CALLBACK',
          headers: {
            appId: 'app',
            connectionId: 'conn',
            contentType: 'application/json',
            messageId,
            time: String(Date.now()),
            topic: '/v1.0/im/bot/messages/get',
          },
          data: data ?? JSON.stringify(message),
        }),
      )
      return messageId
    },
    sendRaw(frame) {
      if (!live) throw new Error('no client is connected to the fake gateway')
      live.send(frame)
    },
    drop() {
      live?.terminate()
      live = undefined
    },
    failOpens(n, status) {
      failing = { n, status }
    },
    async waitFor(condition) {
      while (!condition()) {
        await new Promise<void>((resolve) => {
          const done = () => {
            waiters.delete(done)
            resolve()
          }
          waiters.add(done)
          setTimeout(done, 50)
        })
      }
    },
    close() {
      live?.terminate()
      sockets.close()
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
