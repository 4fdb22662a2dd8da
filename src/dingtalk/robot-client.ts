/**
 * The robot client: a narrow adapter over dingtalk-robot-sender that turns DingTalk's answer
 * (HTTP 200 with an errcode, even on refusal) into a typed outcome the notifier acts on.
 */
import ChatBot from 'dingtalk-robot-sender'
import type { RobotConfig } from '../config/schema.ts'
import type { DingTalkMessage } from './dingtalk-message.ts'
import { classifyErrcode, explainErrcode, NOT_DINGTALK_ANSWER, robotKey } from './errcodes.ts'
import { createFetchHttpClient, type HttpAnswer, TransportError } from './fetch-http-client.ts'
import { redact, robotSecrets } from './mask-webhook.ts'

/** What DingTalk answered (or that it did not), in words fit for a log line. */
interface Answer {
  /** DingTalk's errcode; null when there was no DingTalk answer (network, timeout, HTTP error). */
  errcode: number | null
  errmsg: string
  /** The answer explained, naming the config key to fix when there is one. */
  explanation: string
  /** The HTTP status, when one came back. */
  httpStatus?: number
}

/**
 * One send's result. `ok`: delivered. `throttled`: wait, then retry. `retry`: network, 5xx or
 * busy: retry with backoff. `config`: a setting is wrong (`fix` names it): no blind retry.
 * `too-long`: split. `content-rejected`: DingTalk refused this content. `bug`: unsupported type
 * or an unknown errcode.
 */
export type SendOutcome =
  | ({ kind: 'ok' } & Answer)
  | ({ kind: 'throttled' } & Answer)
  | ({ kind: 'retry' } & Answer)
  | ({ kind: 'config'; fix: string } & Answer)
  | ({ kind: 'too-long' } & Answer)
  | ({ kind: 'content-rejected' } & Answer)
  | ({ kind: 'bug' } & Answer)

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

function toOutcome(answer: HttpAnswer, robot: string, clean: (t: string) => string): SendOutcome {
  const httpStatus = answer.status
  // errmsg `HTTP 502` is also the key it is counted under (RobotStats.refused).
  const noAnswer = (words: string, after = '') => ({
    errcode: null,
    errmsg: `HTTP ${httpStatus}`,
    explanation: `HTTP ${httpStatus} (${NOT_DINGTALK_ANSWER}${words})${after}`,
    httpStatus,
  })
  // DingTalk itself answers 200; other statuses come from whatever stands in front of it.
  if (httpStatus === 429) return { kind: 'throttled', ...noAnswer(': too many requests') }
  if (httpStatus >= 500) return { kind: 'retry', ...noAnswer('') }
  if (httpStatus < 200 || httpStatus >= 300) {
    const fix = `check the URL in ${robotKey(robot)}.webhook`
    return { kind: 'config', fix, ...noAnswer('', ` — ${fix}`) }
  }
  const parsed = parseAnswer(answer.body)
  if (!parsed) return { kind: 'retry', ...noAnswer(': the body is not DingTalk JSON') }
  const errmsg = clean(parsed.errmsg)
  const c = classifyErrcode(parsed.errcode, errmsg, robot)
  const base = {
    errcode: parsed.errcode,
    errmsg,
    explanation: explainErrcode(parsed.errcode, errmsg, robot),
    httpStatus,
  }
  if (c.kind === 'config') return { kind: 'config', fix: c.fix ?? '', ...base }
  return { kind: c.kind, ...base }
}

function parseAnswer(body: string): { errcode: number; errmsg: string } | undefined {
  try {
    const data = JSON.parse(body) as { errcode?: unknown; errmsg?: unknown } | null
    if (typeof data?.errcode !== 'number') return undefined
    return { errcode: data.errcode, errmsg: typeof data.errmsg === 'string' ? data.errmsg : '' }
  } catch {
    return undefined
  }
}
