/**
 * The sender for replies through the `sessionWebhook` DingTalk hands out with each message (app
 * robot HTTP mode and Stream mode). The URL comes from a request body, so it is checked before
 * anything is sent: only DingTalk's own hosts and the hosts of the configured robot webhooks are
 * posted to, and a redirect is never followed. The URL carries a session credential: it is never
 * logged, only its host.
 */
import type { DingTalkMessage } from './dingtalk-message.ts'
import { classifyErrcode } from './errcodes.ts'
import { createFetchHttpClient, TransportError } from './fetch-http-client.ts'
import { toOutcome } from './to-send-outcome.ts'

/** The log lines the sender writes; pino's signature. */
export interface SessionLogger {
  warn(fields: object, message: string): void
}

/** Where a reply goes, from the message it answers. */
export interface SessionTarget {
  url: string | undefined
  /** Epoch ms after which DingTalk refuses posts to `url`. */
  expiresAt: number | undefined
}

/** DingTalk's own hosts, which hand out sessionWebhooks. */
export const DINGTALK_ORIGINS = ['https://oapi.dingtalk.com', 'https://api.dingtalk.com'] as const

export interface SessionSenderDeps {
  fetch: typeof fetch
  now: () => number
  logger: SessionLogger
  /** The configured robot webhooks: their origins are allowed beside DingTalk's own. */
  robotWebhooks: readonly string[]
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number
}

/** Posts replies to sessionWebhooks. */
export interface SessionSender {
  /** Posts `message`; never throws; answers whether DingTalk took it. */
  send(target: SessionTarget, message: DingTalkMessage): Promise<boolean>
}

/** `https://oapi.dingtalk.com` for a URL kubeding may post to, else undefined. */
function toOrigin(text: string): string | undefined {
  try {
    const url = new URL(text)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined
    return url.origin
  } catch {
    return undefined
  }
}

/**
 * Rules: 1. no URL, or one past its expiry time: nothing is sent (logged). 2. the URL's origin
 * (scheme, host and port) must be DingTalk's own or a configured robot webhook's, and it carries
 * no user or password: else nothing is sent and the host is logged. 3. DingTalk answers 200 even
 * when it refuses: success is `errcode` 0 in the body. 4. A redirect is an answer, not followed.
 */
export function createSessionSender(deps: SessionSenderDeps): SessionSender {
  const { logger } = deps
  const allowed = new Set<string>([
    ...DINGTALK_ORIGINS,
    ...deps.robotWebhooks.flatMap((w) => toOrigin(w) ?? []),
  ])
  const http = createFetchHttpClient({ fetch: deps.fetch, timeoutMs: deps.timeoutMs ?? 10_000 })
  return {
    async send(target, message) {
      if (target.url === undefined) {
        logger.warn({}, 'the message came without a sessionWebhook: the reply cannot be delivered')
        return false
      }
      const url = URL.parse(target.url)
      const origin = toOrigin(target.url)
      if (!url || !origin || !allowed.has(origin) || url.username !== '' || url.password !== '') {
        logger.warn(
          { host: url?.host ?? 'not a URL' },
          'the sessionWebhook is not on a DingTalk host nor on a configured robot webhook’s: reply not sent',
        )
        return false
      }
      const host = url.host
      if (target.expiresAt !== undefined && target.expiresAt <= deps.now()) {
        logger.warn(
          { host, expiredAt: new Date(target.expiresAt).toISOString() },
          'the sessionWebhook expired before the reply was ready: reply dropped',
        )
        return false
      }
      try {
        const answer = await http.request(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          data: JSON.stringify(message),
        })
        const outcome = toOutcome(answer, 'sessionWebhook', (text) => text)
        if (outcome.kind === 'ok') return true
        logger.warn(
          {
            host,
            status: outcome.httpStatus,
            errcode: outcome.errcode,
            errmsg: outcome.errmsg,
            meaning:
              outcome.errcode === null
                ? outcome.errmsg
                : classifyErrcode(outcome.errcode, outcome.errmsg).meaning,
          },
          'DingTalk refused the reply posted to the sessionWebhook',
        )
      } catch (err) {
        const code = err instanceof TransportError ? err.code : 'unknown'
        logger.warn({ host, code }, 'could not post the reply to the sessionWebhook')
      }
      return false
    },
  }
}
