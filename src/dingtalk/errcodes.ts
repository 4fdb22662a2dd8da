/**
 * DingTalk's robot errcodes (`shared/reference/dingtalk.md`), what each means and what to do.
 * DingTalk answers HTTP 200 even when it refuses a message, and its codes differ between
 * generations, so the errmsg text is matched before the code.
 */

/** What the sender does with an answer. */
export type OutcomeKind =
  | 'ok'
  | 'throttled'
  | 'retry'
  | 'config'
  | 'too-long'
  | 'content-rejected'
  | 'bug'

/** An errcode (and errmsg) classified, with the operator's fix in words. */
export interface ErrcodeClass {
  kind: OutcomeKind
  /** What DingTalk meant, in words. */
  meaning: string
  /** What to change, naming the config key when there is one (config errors only). */
  fix?: string
  /** `invalid timestamp`: worth one fresh signature before calling it a config error. */
  resign?: boolean
}

/**
 * Said of an HTTP answer without DingTalk's JSON (a proxy's 502 page, a portal's HTML): it has
 * no errcode, so logs and `status` name its HTTP status and this, never "errcode 0".
 */
export const NOT_DINGTALK_ANSWER = 'not a DingTalk answer'

/** The config path of a robot as the operator writes it in messages: `dingtalk.robots[ops]`. */
export const robotKey = (robot: string): string => `dingtalk.robots[${robot}]`

type Rule = (robot: string) => ErrcodeClass

const throttled: Rule = () => ({
  kind: 'throttled',
  meaning: 'the robot sent more than 20 messages a minute and is throttled for up to 10 minutes',
})
const tooLong: Rule = () => ({
  kind: 'too-long',
  meaning: 'the message is over 20,000 bytes',
})
const signNotMatch: Rule = (robot) => ({
  kind: 'config',
  meaning: 'the signature does not match the robot’s 加签 secret',
  fix: `check ${robotKey(robot)}.secret (the robot’s 加签 secret, starting with SEC)`,
})
const invalidTimestamp: Rule = () => ({
  kind: 'config',
  meaning: 'the signature’s timestamp is more than an hour from DingTalk’s clock',
  fix: 'check this machine’s clock (NTP)',
  resign: true,
})
const keywords: Rule = (robot) => ({
  kind: 'config',
  meaning: 'the message contains none of the robot’s keywords',
  fix: `check ${robotKey(robot)}.keywords (they must match the robot’s keyword security setting)`,
})
const ipAllowlist: Rule = () => ({
  kind: 'config',
  meaning: 'this machine’s IP address is not in the robot’s IP allowlist',
  fix: 'add this machine’s egress IP to the robot’s IP allowlist in DingTalk (robot security settings)',
})
const security: Rule = (robot) => ({
  kind: 'config',
  meaning: 'the robot’s security settings refused the message',
  fix: `check ${robotKey(robot)}.secret and ${robotKey(robot)}.keywords against the robot’s security settings`,
})
const badToken: Rule = (robot) => ({
  kind: 'config',
  meaning: 'the access_token does not exist',
  fix: `check the access_token in ${robotKey(robot)}.webhook`,
})
const disabled: Rule = (robot) => ({
  kind: 'config',
  meaning: 'the robot is disabled or no longer exists',
  fix: `re-enable the robot in the group, or put a new robot’s URL in ${robotKey(robot)}.webhook`,
})
const disbanded: Rule = (robot) => ({
  kind: 'config',
  meaning: 'the group was disbanded',
  fix: `put a robot of a live group in ${robotKey(robot)}.webhook`,
})
const busy: Rule = () => ({ kind: 'retry', meaning: 'DingTalk is busy' })
const badType: Rule = () => ({
  kind: 'bug',
  meaning: 'DingTalk does not support this message type (a kubeding bug)',
})
const rejected: Rule = () => ({
  kind: 'content-rejected',
  meaning: 'DingTalk judged a link or the content unsafe or inappropriate',
})

/** The errcode table. Codes not listed are treated as bugs (logged, the message dropped). */
export const ERRCODES: ReadonlyMap<number, Rule> = new Map([
  [-1, busy],
  [130101, throttled],
  [410100, throttled],
  [310000, security],
  [300001, badToken],
  [300005, badToken],
  [400101, badToken],
  [400102, disabled],
  [400106, disabled],
  [400013, disbanded],
  [400105, badType],
  [460101, tooLong],
  [101002, tooLong],
  [430101, rejected],
  [430102, rejected],
  [430103, rejected],
  [430104, rejected],
])

/** errmsg texts, English and Chinese, checked before the code. */
const MESSAGE_RULES: ReadonlyArray<[RegExp, Rule]> = [
  [/too fast|exceed \d+ times|限流|频率/i, throttled],
  [/too long|exceed 20000|过长|超过.*长度/i, tooLong],
  [/sign not match|签名不匹配/i, signNotMatch],
  [/timestamp|时间戳/i, invalidTimestamp],
  [/keyword|关键词/i, keywords],
  [/whitelist|白名单/i, ipAllowlist],
  [/token is not exist|token不存在|invalid.*token/i, badToken],
]

/** Classifies one DingTalk answer. `robot` names the robot in the config key of the fix. */
export function classifyErrcode(errcode: number, errmsg: string, robot = '<name>'): ErrcodeClass {
  if (errcode === 0) return { kind: 'ok', meaning: 'accepted' }
  for (const [pattern, rule] of MESSAGE_RULES) {
    if (pattern.test(errmsg)) return rule(robot)
  }
  const rule = ERRCODES.get(errcode)
  if (rule) return rule(robot)
  return { kind: 'bug', meaning: 'an errcode kubeding does not know' }
}

/**
 * Explains an answer in words for logs and `send-test`, e.g.
 * `310000 sign not match: the signature does not match … — check dingtalk.robots[ops].secret …`.
 */
export function explainErrcode(errcode: number, errmsg: string, robot = '<name>'): string {
  const c = classifyErrcode(errcode, errmsg, robot)
  const head = `${errcode} ${errmsg}: ${c.meaning}`
  return c.fix ? `${head} — ${c.fix}` : head
}
