/**
 * DingTalk's answer to a post (robot webhook or sessionWebhook alike) as a typed outcome: it
 * answers HTTP 200 even when it refuses, so the errcode in the body decides.
 */
import { classifyErrcode, explainErrcode, NOT_DINGTALK_ANSWER, robotKey } from './errcodes.ts'
import type { HttpAnswer } from './fetch-http-client.ts'

/** What DingTalk answered (or that it did not), in words fit for a log line. */
export interface Answer {
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

/** Classifies one HTTP answer; `robot` names the robot in fixes, `clean` redacts its secrets. */
export function toOutcome(
  answer: HttpAnswer,
  robot: string,
  clean: (t: string) => string,
): SendOutcome {
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
