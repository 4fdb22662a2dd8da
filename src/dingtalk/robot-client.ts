/**
 * The robot client: a narrow adapter over dingtalk-robot-sender that turns DingTalk's answer
 * (HTTP 200 with an errcode, even on refusal) into a typed outcome the notifier acts on.
 */
import ChatBot from 'dingtalk-robot-sender'
import type { RobotConfig } from '../config/schema.ts'
import type { DingTalkMessage } from './dingtalk-message.ts'
import { classifyErrcode } from './errcodes.ts'
import { createFetchHttpClient, type HttpAnswer, TransportError } from './fetch-http-client.ts'
import { redact, robotSecrets } from './mask-webhook.ts'
import { type SendOutcome, toOutcome } from './to-send-outcome.ts'

export type { SendOutcome } from './to-send-outcome.ts'

/** Sends to one robot. */
export interface RobotClient {
  readonly name: string
  /** Posts one message; never throws, every failure is an outcome. */
  send(message: DingTalkMessage, options?: { signal?: AbortSignal }): Promise<SendOutcome>
}

export interface RobotClientOptions {
  robot: RobotConfig
  fetch?: typeof globalThis.fetch
  /** Per-request timeout; default 10 s. */
  timeoutMs?: number
}

/**
 * Creates a client for one robot. The library signs each request itself (fresh timestamp,
 * signature URL-encoded once); this adapter adds nothing to the URL, so nothing is encoded twice.
 */
export function createRobotClient(options: RobotClientOptions): RobotClient {
  const { robot } = options
  const timeoutMs = options.timeoutMs ?? 10_000
  const secrets = robotSecrets(robot.webhook, robot.secret)
  const clean = (text: string) => redact(text, secrets)

  async function post(message: DingTalkMessage, signal?: AbortSignal): Promise<SendOutcome> {
    const httpclient = createFetchHttpClient({ fetch: options.fetch, timeoutMs, signal })
    const bot = new ChatBot<HttpAnswer>({
      webhook: robot.webhook,
      secret: robot.secret,
      httpclient,
    })
    let answer: HttpAnswer
    try {
      answer = await bot.send(message)
    } catch (err) {
      const errmsg = err instanceof TransportError ? err.message : 'request failed'
      return {
        kind: 'retry',
        errcode: null,
        errmsg,
        explanation: `DingTalk unreachable: ${errmsg}`,
      }
    }
    return toOutcome(answer, robot.name, clean)
  }

  return {
    name: robot.name,
    async send(message, sendOptions) {
      const first = await post(message, sendOptions?.signal)
      // `invalid timestamp` may come from a request that waited long somewhere: one fresh
      // signature settles it; a second refusal means the clock is off, a config error.
      if (!isStaleSignature(first)) return first
      return post(message, sendOptions?.signal)
    },
  }
}

function isStaleSignature(outcome: SendOutcome): boolean {
  return (
    outcome.kind === 'config' &&
    outcome.errcode !== null &&
    classifyErrcode(outcome.errcode, outcome.errmsg).resign === true
  )
}
