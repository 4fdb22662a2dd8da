/**
 * Posting a reply through the `sessionWebhook` DingTalk hands out with each message (app robot
 * HTTP mode and Stream mode). The URL carries a session credential: it is never logged.
 */
import type { Logger } from './logger.ts'
import type { DingTalkMarkdown } from './to-dingtalk-message.ts'

/** Where a reply goes, from the message it answers. */
export interface SessionTarget {
  url: string | undefined
  /** Epoch ms after which DingTalk refuses posts to `url`. */
  expiresAt: number | undefined
}

export interface SessionWebhookDeps {
  fetch: typeof fetch
  now: () => number
  logger: Logger
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number
}

/**
 * Posts `message`. Rules: 1. no URL, or a URL past its expiry time: nothing is sent (logged).
 * 2. DingTalk answers 200 even when it refuses: success is `errcode` 0 in the body.
 * Never throws; answers whether DingTalk took the reply.
 */
export async function postToSessionWebhook(
  deps: SessionWebhookDeps,
  target: SessionTarget,
  message: DingTalkMarkdown,
): Promise<boolean> {
  const { logger } = deps
  if (target.url === undefined) {
    logger.warn({}, 'the message came without a sessionWebhook: the reply cannot be delivered')
    return false
  }
  const host = new URL(target.url).host
  if (target.expiresAt !== undefined && target.expiresAt <= deps.now()) {
    logger.warn(
      { host, expiredAt: new Date(target.expiresAt).toISOString() },
      'the sessionWebhook expired before the reply was ready: reply dropped',
    )
    return false
  }
  try {
    const response = await deps.fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 10_000),
    })
    const body = (await response.json().catch(() => undefined)) as
      | { errcode?: number; errmsg?: string }
      | undefined
    if (response.ok && body?.errcode === 0) return true
    logger.warn(
      { host, status: response.status, errcode: body?.errcode, errmsg: body?.errmsg },
      'DingTalk refused the reply posted to the sessionWebhook',
    )
  } catch (err) {
    logger.warn({ host, err }, 'could not post the reply to the sessionWebhook')
  }
  return false
}
