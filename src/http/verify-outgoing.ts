/**
 * Verification of DingTalk's @-mention callback (`POST dingtalk.outgoing.path`), as the
 * interface contract defines it. Pure: the route maps a failure to 401 and logs the reason.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** The headers that carry credentials; Node gives an array for a repeated header. */
export interface OutgoingHeaders {
  token?: string | string[] | undefined
  timestamp?: string | string[] | undefined
  sign?: string | string[] | undefined
}

/** The configured secrets (`dingtalk.outgoing.token` / `appSecret`). */
export interface OutgoingSecrets {
  token?: string | undefined
  appSecret?: string | undefined
}

/** Which check passed (it decides how the reply travels), or why none did. */
export type OutgoingAuth = { ok: true; via: 'token' | 'sign' } | { ok: false; reason: string }

/** DingTalk's limit on clock skew for signed requests. */
export const MAX_SKEW_MS = 3_600_000

/**
 * Rules:
 * 1. A `token` header, with a token configured, must equal it.
 * 2. Otherwise `timestamp` + `sign` headers, with an appSecret configured, must satisfy
 *    sign == base64(HmacSHA256(key = appSecret, timestamp + "\n" + appSecret)), no URL-encoding,
 *    and the timestamp (ms) must be within one hour of `now`.
 * 3. Anything else fails. Every comparison is constant-time; no reason contains a secret.
 */
export function verifyOutgoing(
  headers: OutgoingHeaders,
  secrets: OutgoingSecrets,
  now: number,
): OutgoingAuth {
  const token = single(headers.token)
  const timestamp = single(headers.timestamp)
  const sign = single(headers.sign)
  if (secrets.token !== undefined && token !== undefined) {
    return safeEqual(token, secrets.token)
      ? { ok: true, via: 'token' }
      : { ok: false, reason: 'the token header does not match dingtalk.outgoing.token' }
  }
  if (secrets.appSecret !== undefined && timestamp !== undefined && sign !== undefined) {
    if (!/^\d{1,15}$/.test(timestamp)) {
      return { ok: false, reason: 'the timestamp header is not a time in milliseconds' }
    }
    if (Math.abs(now - Number(timestamp)) > MAX_SKEW_MS) {
      return { ok: false, reason: 'the timestamp header is more than one hour from now' }
    }
    return safeEqual(sign, signCallback(secrets.appSecret, timestamp))
      ? { ok: true, via: 'sign' }
      : { ok: false, reason: 'the sign header does not match dingtalk.outgoing.appSecret' }
  }
  return { ok: false, reason: whyNoCheck(token, timestamp, sign) }
}

/** Why neither rule applied, in words that tell the operator what to look at. */
function whyNoCheck(
  token: string | undefined,
  timestamp: string | undefined,
  sign: string | undefined,
): string {
  if (token !== undefined) return 'a token header came, but dingtalk.outgoing.token is not set'
  if (timestamp === undefined && sign === undefined) return 'no token or timestamp+sign headers'
  if (timestamp === undefined || sign === undefined) {
    return 'the timestamp and sign headers must come together'
  }
  // Both came, so rule 2 was skipped for want of an appSecret.
  return 'timestamp+sign headers came, but dingtalk.outgoing.appSecret is not set'
}

/** DingTalk's callback signature: base64(HmacSHA256(key = appSecret, timestamp + "\n" + appSecret)). */
export function signCallback(appSecret: string, timestamp: string): string {
  return createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`).digest('base64')
}

const single = (value: string | string[] | undefined) =>
  typeof value === 'string' ? value : undefined

/** Hashing first gives equal lengths, so neither content nor length leaks through timing. */
function safeEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest()
  const b = createHash('sha256').update(expected).digest()
  return timingSafeEqual(a, b)
}
