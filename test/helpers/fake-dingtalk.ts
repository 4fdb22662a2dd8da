/**
 * A fake DingTalk robot API on 127.0.0.1 (port 0) that enforces the real rules of
 * `shared/reference/dingtalk.md`: HTTP 200 with `{errcode, errmsg}`, access_token, 加签 signature
 * and timestamp, keywords, 20 messages a minute then a long throttle, the 20,000-byte limit and
 * the message types. Also a manual clock to drive it and the notifier through simulated time.
 */
import { createHmac } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** One robot the fake knows. */
export interface FakeRobot {
  token: string
  /** 加签 secret: requests must carry a valid timestamp and sign. */
  secret?: string
  /** Keyword security setting: every message must contain one. */
  keywords?: string[]
}

export interface FakeDingTalkOptions {
  robots: FakeRobot[]
  /** The fake's clock (rate window, throttle, timestamp check); default Date.now. */
  now?: () => number
  /** Default 20. */
  ratePerMinute?: number
  /** How long a robot stays throttled after going over the rate; default 10 minutes. */
  throttleMs?: number
}

/** DingTalk's answer. */
export interface Errcode {
  errcode: number
  errmsg: string
}

/** A scripted failure: a DingTalk answer, a bare HTTP status, or a reset connection. */
export type Failure = Errcode | { httpStatus: number } | 'reset'

export interface RecordedRequest {
  at: number
  token: string
  url: string
  bytes: number
  /** What the fake answered; undefined when it reset the connection. */
  answer?: Errcode | { httpStatus: number }
}

export interface AcceptedMessage {
  at: number
  token: string
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the client posted
  body: any
}

export interface FakeDingTalk {
  /** `http://127.0.0.1:PORT` */
  readonly url: string
  /** The webhook for a token: `${url}/robot/send?access_token=TOKEN`. */
  webhook(token: string): string
  readonly messages: AcceptedMessage[]
  readonly requests: RecordedRequest[]
  /** The next `n` requests for `token` get `failure` instead of the normal checks. */
  failNext(token: string, n: number, failure: Failure): void
  /** Down: every connection is reset (`reset`, default) or answered 503. */
  setDown(down: boolean, mode?: 'reset' | '503'): void
  close(): Promise<void>
}

const MAX_BYTES = 20_000
const SIGN_SKEW_MS = 60 * 60 * 1000
const MSG_TYPES = new Set(['text', 'markdown', 'link', 'actionCard', 'feedCard'])

interface RobotState {
  robot: FakeRobot
  sent: number[]
  throttledUntil: number
  failures: Failure[]
}

/** Starts the fake. */
export async function createFakeDingTalk(options: FakeDingTalkOptions): Promise<FakeDingTalk> {
  const now = options.now ?? Date.now
  const rate = options.ratePerMinute ?? 20
  const throttleMs = options.throttleMs ?? 10 * 60 * 1000
  const robots = new Map<string, RobotState>(
    options.robots.map((robot) => [
      robot.token,
      { robot, sent: [], throttledUntil: 0, failures: [] },
    ]),
  )
  const messages: AcceptedMessage[] = []
  const requests: RecordedRequest[] = []
  const sockets = new Set<Socket>()
  let down: false | 'reset' | '503' = false

  function judge(url: URL, raw: Buffer, state: RobotState | undefined): Errcode {
    if (!state) return { errcode: 300001, errmsg: 'token is not exist' }
    const t = now()
    if (state.throttledUntil > t) return tooFast(rate)
    state.sent = state.sent.filter((at) => at > t - 60_000)
    if (state.sent.length >= rate) {
      state.throttledUntil = t + throttleMs
      return tooFast(rate)
    }
    state.sent.push(t)
    if (state.robot.secret) {
      const refusal = checkSign(url, state.robot.secret, t)
      if (refusal) return refusal
    }
    if (raw.length > MAX_BYTES) {
      return { errcode: 460101, errmsg: 'message too long, exceed 20000 bytes' }
    }
    let body: Record<string, unknown>
    try {
      body = JSON.parse(raw.toString('utf8'))
    } catch {
      return { errcode: 400105, errmsg: 'invalid json' }
    }
    if (typeof body.msgtype !== 'string' || !MSG_TYPES.has(body.msgtype)) {
      return { errcode: 400105, errmsg: 'unsupported msgtype' }
    }
    const keywords = state.robot.keywords ?? []
    const content = contentOf(body)
    if (keywords.length > 0 && !keywords.some((k) => content.includes(k))) {
      return { errcode: 310000, errmsg: 'keywords not in content' }
    }
    messages.push({ at: t, token: state.robot.token, body })
    return { errcode: 0, errmsg: 'ok' }
  }

  function handle(req: IncomingMessage, res: ServerResponse, raw: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://fake')
    const token = url.searchParams.get('access_token') ?? ''
    const record: RecordedRequest = { at: now(), token, url: req.url ?? '', bytes: raw.length }
    requests.push(record)
    if (down === '503' || req.method !== 'POST' || url.pathname !== '/robot/send') {
      const status = down === '503' ? 503 : 404
      record.answer = { httpStatus: status }
      res.writeHead(status, { 'content-type': 'text/plain' }).end('unavailable')
      return
    }
    const state = robots.get(token)
    const failure = state?.failures.shift()
    if (failure === 'reset') {
      req.socket.destroy()
      return
    }
    if (failure && 'httpStatus' in failure) {
      record.answer = failure
      res.writeHead(failure.httpStatus, { 'content-type': 'text/html' }).end('<html>error</html>')
      return
    }
    const answer = failure ?? judge(url, raw, state)
    record.answer = answer
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer))
  }

  const server = createServer((req, res) => {
    if (down === 'reset') {
      requests.push({ at: now(), token: '', url: req.url ?? '', bytes: 0 })
      req.socket.destroy()
      return
    }
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => handle(req, res, Buffer.concat(chunks)))
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const base = `http://127.0.0.1:${port}`

  return {
    url: base,
    webhook: (token) => `${base}/robot/send?access_token=${encodeURIComponent(token)}`,
    messages,
    requests,
    failNext(token, n, failure) {
      const state = robots.get(token)
      if (!state) throw new Error(`the fake has no robot with token ${token}`)
      for (let i = 0; i < n; i++) state.failures.push(failure)
    },
    setDown(isDown, mode = 'reset') {
      down = isDown ? mode : false
      if (down === 'reset') for (const socket of sockets) socket.destroy()
    },
    close() {
      for (const socket of sockets) socket.destroy()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

const tooFast = (rate: number): Errcode => ({
  errcode: 130101,
  errmsg: `send too fast, exceed ${rate} times per minute`,
})

/** DingTalk's check: `sign` (decoded once) = base64(HmacSHA256(secret, timestamp + "\n" + secret)). */
function checkSign(url: URL, secret: string, now: number): Errcode | undefined {
  const timestamp = url.searchParams.get('timestamp')
  const sign = url.searchParams.get('sign')
  if (!timestamp || !sign) return { errcode: 310000, errmsg: 'sign not match' }
  const ts = Number(timestamp)
  if (!Number.isInteger(ts) || Math.abs(now - ts) > SIGN_SKEW_MS) {
    return { errcode: 310000, errmsg: 'invalid timestamp' }
  }
  const expected = createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64')
  return sign === expected ? undefined : { errcode: 310000, errmsg: 'sign not match' }
}

function contentOf(body: Record<string, unknown>): string {
  const part = body[body.msgtype as string] as Record<string, unknown> | undefined
  if (!part) return ''
  return Object.values(part)
    .filter((v): v is string => typeof v === 'string')
    .join('\n')
}

/** A clock and timers that move only when told: drives the notifier and the fake together. */
export interface ManualClock {
  now(): number
  setTimeout(fn: () => void, ms: number): number
  clearTimeout(handle: unknown): void
  /** When the earliest timer is due, or undefined when none is set. */
  nextTimerAt(): number | undefined
  /** Moves the clock to `at` (never backwards), running every timer due by then, in order. */
  advanceTo(at: number): void
  advance(ms: number): void
}

/** Creates a manual clock starting at `start`. */
export function createManualClock(start: number): ManualClock {
  let current = start
  let nextId = 1
  const timers = new Map<number, { at: number; fn: () => void }>()
  const clock: ManualClock = {
    now: () => current,
    setTimeout(fn, ms) {
      const id = nextId++
      timers.set(id, { at: current + Math.max(0, ms), fn })
      return id
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
    nextTimerAt() {
      let at: number | undefined
      for (const t of timers.values()) if (at === undefined || t.at < at) at = t.at
      return at
    },
    advanceTo(at) {
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= at)
          .sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0]
        if (!due) break
        timers.delete(due[0])
        current = Math.max(current, due[1].at)
        due[1].fn()
      }
      current = Math.max(current, at)
    },
    advance(ms) {
      clock.advanceTo(current + ms)
    },
  }
  return clock
}
