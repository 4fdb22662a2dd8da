/**
 * What to do about a failed PutLogs: Log Service answers errors as HTTP 4xx/5xx with a JSON
 * body `{"errorCode", "errorMessage"}` (`shared/reference/sls.md`).
 */

/** `retry`: try again with backoff. `refused`: a setting is wrong; keep the logs, probe rarely. */
export type SlsErrorAction = 'retry' | 'refused'

export interface SlsErrorClass {
  action: SlsErrorAction
  /** What the operator should look at, naming the config key. */
  hint: string
}

/** Throttling: the batch was fine, the project or shard is over its write quota for now. */
const THROTTLED = new Set(['WriteQuotaExceed', 'ShardWriteQuotaExceed'])

const CREDENTIALS =
  'check archive.sls.accessKeyId and archive.sls.accessKeySecret, and that the key may call log:PostLogStoreLogs'

/** Error codes whose cause is a setting, and the setting to check. */
const REFUSALS: Readonly<Record<string, string>> = {
  Unauthorized: CREDENTIALS,
  InvalidAccessKeyId: 'check archive.sls.accessKeyId',
  SignatureNotMatch:
    'check archive.sls.accessKeySecret (it does not belong to archive.sls.accessKeyId)',
  ProjectNotExist: 'check archive.sls.project and that archive.sls.endpoint is its region',
  LogStoreNotExist: 'check archive.sls.logstore (it must exist in archive.sls.project)',
  RequestTimeExpired:
    "check this machine's clock: Log Service refuses requests dated 15 minutes off",
}

/** What Log Service answers an STS key pair it no longer takes (expired, or the role changed). */
const STS_REFUSED = new Set([
  'Unauthorized',
  'InvalidAccessKeyId',
  'SecurityTokenExpired',
  'InvalidSecurityToken',
])

/**
 * Classifies an answer other than 200. Rules:
 * 1. 5xx, 408 and 429 are the service's trouble: retry.
 * 2. `WriteQuotaExceed` / `ShardWriteQuotaExceed` (403) are throttling: retry.
 * 3. With STS credentials (`sts`), an authorization refusal is a token that expired or was
 *    replaced: retry, since the next try signs with freshly fetched credentials.
 * 4. Known configuration errors name their config key; any other 4xx is refused too, because
 *    repeating the same request cannot change the answer.
 */
export function classifySlsError(status: number, errorCode: string, sts = false): SlsErrorClass {
  if (status >= 500 || status === 408 || status === 429) {
    return { action: 'retry', hint: 'Log Service is failing; retrying with backoff' }
  }
  if (THROTTLED.has(errorCode)) {
    return {
      action: 'retry',
      hint: 'the project or shard is over its write quota; retrying with backoff (add shards if it lasts)',
    }
  }
  if (sts && STS_REFUSED.has(errorCode)) {
    return {
      action: 'retry',
      hint: 'the STS credentials were refused (expired, or the RAM role may not call log:PostLogStoreLogs); retrying with fresh ones',
    }
  }
  return {
    action: 'refused',
    hint: REFUSALS[errorCode] ?? 'check the archive.sls settings; the batch stays queued',
  }
}

/** A network failure (DNS, refused connection, timeout): the batch may be fine, retry. */
export function classifyNetworkError(origin: string): SlsErrorClass {
  return {
    action: 'retry',
    hint: `could not reach ${origin}: check archive.sls.endpoint and the network; retrying with backoff`,
  }
}
