/**
 * DingTalk's side of an @-mention, for tests: the message JSON it sends, the headers it signs
 * the callback with (written here from the reference, independently of `src/`), and a fake
 * sessionWebhook endpoint on 127.0.0.1 that answers like DingTalk (`{errcode, errmsg}`).
 */
import { createHmac } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { testNow } from './test-clock.ts'

/** `sign = base64(HmacSHA256(key = appSecret, timestamp + "\n" + appSecret))`, not URL-encoded. */
export function signAppCallback(appSecret: string, timestamp: number | string): string {
  return createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`).digest('base64')
}

/** The headers DingTalk sends with an app robot (HTTP mode) callback made at `at`. */
export function appRobotHeaders(appSecret: string, at: number): Record<string, string> {
  return { timestamp: String(at), sign: signAppCallback(appSecret, at) }
}

/** The header a custom robot with Outgoing sends. */
export function outgoingHeaders(token: string): Record<string, string> {
  return { token }
}

let seq = 0

/** A text @-mention as DingTalk posts it (field names from the reference); override what matters. */
export function aTextMessage(
  content: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  seq++
  const createAt = testNow()
  return {
    msgtype: 'text',
    text: { content: ` ${content}` },
    msgId: `msg${seq}-${createAt}`,
    createAt,
    conversationType: '2',
    conversationId: 'cidOpsGroup==',
    conversationTitle: 'ops',
    senderId: '$:LWCP_v1:$alice',
    senderStaffId: 'staff-alice',
    senderNick: 'Alice',
    senderCorpId: 'ding-corp',
    chatbotCorpId: 'ding-corp',
    chatbotUserId: '$:LWCP_v1:$bot',
    robotCode: 'dingbot',
    isAdmin: false,
    isInAtList: true,
    atUsers: [{ dingtalkId: '$:LWCP_v1:$bot' }],
    sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=s1',
    sessionWebhookExpiredTime: createAt + 90 * 60_000,
    ...overrides,
  }
}

/** One message the fake sessionWebhook took. */
export interface SessionPost {
  session: string
  // biome-ignore lint/suspicious/noExplicitAny: the test reads whatever the bot posted
  body: any
}

export interface FakeSessionWebhook {
  /** A sessionWebhook URL DingTalk would hand out, for a new session. */
  newSession(): string
  /** `http://127.0.0.1:<port>`: tests configure it as a robot webhook's host, so kubeding posts there. */
  readonly origin: string
  readonly posts: SessionPost[]
  /** Resolves once `n` posts have arrived. */
  waitForPosts(n: number): Promise<SessionPost[]>
  close(): Promise<void>
}

/** Starts the fake: posts to a session it handed out get errcode 0, others 300001. */
export async function createFakeSessionWebhook(): Promise<FakeSessionWebhook> {
  const sessions = new Set<string>()
  const posts: SessionPost[] = []
  const waiters: Array<() => void> = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake')
      const session = url.searchParams.get('session') ?? ''
      res.writeHead(200, { 'content-type': 'application/json' })
      if (
        req.method !== 'POST' ||
        url.pathname !== '/robot/sendBySession' ||
        !sessions.has(session)
      ) {
        res.end(JSON.stringify({ errcode: 300001, errmsg: 'session is not exist' }))
        return
      }
      posts.push({ session, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) })
      res.end(JSON.stringify({ errcode: 0, errmsg: 'ok' }))
      for (const wake of waiters.splice(0)) wake()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  let n = 0
  return {
    origin: `http://127.0.0.1:${port}`,
    newSession() {
      n++
      sessions.add(`s${n}`)
      return `http://127.0.0.1:${port}/robot/sendBySession?session=s${n}`
    },
    posts,
    async waitForPosts(count) {
      while (posts.length < count) await new Promise<void>((resolve) => waiters.push(resolve))
      return posts
    },
    close() {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}
