import t from 'tap'
import { classifyNetworkError, classifySlsError } from '../../../src/archive/classify-sls-error.ts'

t.test('service trouble and throttling are retried', async (t) => {
  for (const [status, code] of [
    [500, 'InternalServerError'],
    [503, 'ServerBusy'],
    [502, 'HTTP502'],
    [429, 'TooManyRequests'],
    [408, 'RequestTimeout'],
    [403, 'WriteQuotaExceed'],
    [403, 'ShardWriteQuotaExceed'],
  ] as const) {
    t.equal(classifySlsError(status, code).action, 'retry', `${status} ${code}`)
  }
  t.match(classifySlsError(403, 'ShardWriteQuotaExceed').hint, /write quota/)
})

t.test('configuration errors are refused and name the key to fix', async (t) => {
  const cases = [
    [401, 'Unauthorized', /archive\.sls\.accessKeyId/],
    [401, 'SignatureNotMatch', /archive\.sls\.accessKeySecret/],
    [404, 'ProjectNotExist', /archive\.sls\.project/],
    [404, 'LogStoreNotExist', /archive\.sls\.logstore/],
    [400, 'RequestTimeExpired', /clock/],
    [400, 'PostBodyInvalid', /archive\.sls/],
    [403, 'HTTP403', /archive\.sls/],
  ] as const
  for (const [status, code, hint] of cases) {
    const c = classifySlsError(status, code)
    t.equal(c.action, 'refused', code)
    t.match(c.hint, hint, code)
  }
})

t.test('a network error is retried and points at the endpoint', async (t) => {
  const c = classifyNetworkError('https://p.cn-hangzhou.log.aliyuncs.com')
  t.equal(c.action, 'retry')
  t.match(c.hint, /https:\/\/p\.cn-hangzhou\.log\.aliyuncs\.com.*archive\.sls\.endpoint/)
})

t.test('with STS credentials an authorization refusal is retried with fresh ones', async (t) => {
  for (const code of ['Unauthorized', 'InvalidAccessKeyId', 'SecurityTokenExpired']) {
    t.match(classifySlsError(401, code, true), { action: 'retry', hint: /STS credentials/ }, code)
    t.equal(classifySlsError(401, code).action, 'refused', `${code} with a configured key`)
  }
  // A wrong project is a setting whatever the credentials.
  t.equal(classifySlsError(404, 'ProjectNotExist', true).action, 'refused')
})
