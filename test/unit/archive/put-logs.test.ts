import t, { type Test } from 'tap'
import { encodeLog, encodeLogGroup } from '../../../src/archive/log-group.ts'
import { type PutLogsRequest, putLogs, toProjectOrigin } from '../../../src/archive/put-logs.ts'
import { type CredentialBook, createCredentialBook } from '../../helpers/fake-alibaba-cloud.ts'
import { type FakeSls, startFakeSls } from '../../helpers/fake-sls.ts'

const now = () => Date.UTC(2026, 10, 24, 3, 0, 0)
const group = encodeLogGroup({
  logs: [encodeLog({ time: 1_790_000_000, contents: { reason: 'BackOff', message: '重启失败' } })],
  topic: 'k8s',
})

async function fake(t: Test, book?: CredentialBook): Promise<FakeSls> {
  const sls = await startFakeSls(book ? { book } : {})
  t.teardown(() => sls.close())
  return sls
}

/** PutLogs to the fake with its own key pair, `over` replacing any part of the request. */
function send(sls: FakeSls, over: Partial<PutLogsRequest> = {}) {
  const { endpoint, accessKeyId, accessKeySecret } = sls.config
  return putLogs({
    config: sls.config,
    endpoint,
    credentials: { accessKeyId, accessKeySecret },
    logGroup: group,
    fetch: sls.fetch,
    now,
    ...over,
  })
}

t.test('a signed, deflated, MD5-checked request is accepted and decoded', async (t) => {
  const sls = await fake(t)
  const outcome = await send(sls)
  t.match(outcome, { ok: true })
  t.same(sls.logs, [
    { time: 1_790_000_000, contents: { reason: 'BackOff', message: '重启失败' }, topic: 'k8s' },
  ])
  t.equal(sls.requests[0]?.rawBytes, group.length)
  t.equal(outcome.bytesSent, sls.requests[0]?.bodyBytes)
})

t.test('a wrong secret is refused with SignatureNotMatch and names the key', async (t) => {
  const sls = await fake(t)
  const outcome = await send(sls, {
    credentials: { accessKeyId: sls.config.accessKeyId, accessKeySecret: 'not-the-secret' },
  })
  t.match(outcome, {
    ok: false,
    action: 'refused',
    status: 401,
    errorCode: 'SignatureNotMatch',
    requestId: 'fake-req',
    hint: /archive\.sls\.accessKeySecret/,
  })
  t.equal(sls.logs.length, 0)
})

t.test('an unknown project or logstore is refused naming its key', async (t) => {
  const sls = await fake(t)
  const project = await send(sls, { config: { ...sls.config, project: 'other' } })
  t.match(project, {
    ok: false,
    action: 'refused',
    errorCode: 'ProjectNotExist',
    hint: /archive\.sls\.project/,
  })
  const logstore = await send(sls, { config: { ...sls.config, logstore: 'other' } })
  t.match(logstore, { ok: false, errorCode: 'LogStoreNotExist', hint: /archive\.sls\.logstore/ })
})

t.test('500 and WriteQuotaExceed are to be retried', async (t) => {
  const sls = await fake(t)
  sls.failWith({ status: 500, errorCode: 'InternalServerError' }, 1)
  t.match(await send(sls), {
    ok: false,
    action: 'retry',
    status: 500,
  })
  sls.failWith(
    { status: 403, errorCode: 'WriteQuotaExceed', errorMessage: 'Project write quota exceed' },
    1,
  )
  t.match(await send(sls), {
    ok: false,
    action: 'retry',
    errorCode: 'WriteQuotaExceed',
    errorMessage: 'Project write quota exceed',
  })
  t.match(await send(sls), {
    ok: true,
  })
})

t.test('a refused connection is a NetworkError to retry', async (t) => {
  const sls = await fake(t)
  await sls.down()
  t.match(await send(sls), {
    ok: false,
    action: 'retry',
    errorCode: 'NetworkError',
    errorMessage: /ECONNREFUSED/,
    hint: /https:\/\/k8s-log4j\.cn-hangzhou\.log\.aliyuncs\.com.*archive\.sls\.endpoint/,
  })
})

t.test('an answer that is not Log Service JSON keeps its status and text', async (t) => {
  const proxy: typeof fetch = async () => new Response('<html>bad gateway</html>', { status: 502 })
  t.match(
    await putLogs({
      config: { project: 'p', logstore: 'l' },
      endpoint: 'e',
      credentials: { accessKeyId: 'i', accessKeySecret: 's' },
      logGroup: group,
      fetch: proxy,
      now,
    }),
    {
      ok: false,
      action: 'retry',
      errorCode: 'HTTP502',
      errorMessage: '<html>bad gateway</html>',
    },
  )
})

t.test(
  'the request goes to https://{project}.{endpoint} unless the endpoint names a scheme',
  async (t) => {
    t.equal(
      toProjectOrigin('cn-hangzhou.log.aliyuncs.com', 'p'),
      'https://p.cn-hangzhou.log.aliyuncs.com',
    )
    t.equal(
      toProjectOrigin('https://cn-hangzhou.log.aliyuncs.com/', 'p'),
      'https://p.cn-hangzhou.log.aliyuncs.com',
    )
    t.equal(
      toProjectOrigin('HTTP://cn-hangzhou-intranet.log.aliyuncs.com', 'p'),
      'http://p.cn-hangzhou-intranet.log.aliyuncs.com',
    )
    const seen: string[] = []
    const spy: typeof fetch = async (input) => {
      seen.push(String(input))
      return new Response('', { status: 200 })
    }
    await putLogs({
      config: { project: 'p', logstore: 'events' },
      endpoint: 'cn-beijing.log.aliyuncs.com',
      credentials: { accessKeyId: 'i', accessKeySecret: 's' },
      logGroup: group,
      fetch: spy,
      now,
    })
    t.same(seen, ['https://p.cn-beijing.log.aliyuncs.com/logstores/events/shards/lb'])
  },
)

t.test('STS credentials carry x-acs-security-token, which the signature covers', async (t) => {
  const book = createCredentialBook()
  const sls = await fake(t, book)
  const issued = book.issue(60_000)
  const { accessKeyId, accessKeySecret, securityToken } = issued
  t.match(await send(sls, { credentials: { accessKeyId, accessKeySecret, securityToken } }), {
    ok: true,
  })
  t.match(sls.requests[0], { status: 200, accessKeyId, securityToken })
  // Another token with the same key pair is refused, and so is a request without one.
  const wrong = await send(sls, {
    credentials: { accessKeyId, accessKeySecret, securityToken: `${securityToken}x` },
  })
  t.match(wrong, { ok: false, errorCode: 'Unauthorized', action: 'retry', hint: /STS/ })
  const none = await send(sls, { credentials: { accessKeyId, accessKeySecret } })
  t.match(none, { ok: false, errorCode: 'Unauthorized' })
  t.equal(sls.logs.length, 1)
})

t.test('an expired STS token is refused, to be retried with fresh credentials', async (t) => {
  let clock = 1_000_000
  const book = createCredentialBook(() => clock)
  const sls = await fake(t, book)
  const { accessKeyId, accessKeySecret, securityToken } = book.issue(1000)
  clock += 1000
  t.match(await send(sls, { credentials: { accessKeyId, accessKeySecret, securityToken } }), {
    ok: false,
    action: 'retry',
    status: 401,
    errorMessage: /expired/,
  })
})

t.test('error bodies are logged without the key id, secret, token or signature', async (t) => {
  const credentials = {
    accessKeyId: 'STS.NUgYrLnoC37mZZCNnAbez2',
    accessKeySecret: 'Dz8eK2hJwQ3fOq9pLx7s',
    securityToken: 'CAIS+token/with=chars',
  }
  let signature = ''
  const echo: typeof fetch = async (_input, init) => {
    const auth = new Headers(init?.headers).get('authorization') ?? ''
    signature = auth.split(':')[1] ?? ''
    const quoted = `key ${credentials.accessKeyId} secret ${credentials.accessKeySecret} token ${credentials.securityToken} signature ${signature}`
    return Response.json({ errorCode: 'SignatureNotMatch', errorMessage: quoted }, { status: 401 })
  }
  const sendWith = (answer: typeof fetch) =>
    putLogs({
      config: { project: 'p', logstore: 'l' },
      endpoint: 'e',
      credentials,
      logGroup: group,
      fetch: answer,
      now,
    })
  const outcome = await sendWith(echo)
  t.match(outcome, {
    ok: false,
    errorMessage: /^key \*\*\* secret \*\*\* token \*\*\* signature \*\*\*$/,
  })
  const text = JSON.stringify(outcome)
  for (const secret of [...Object.values(credentials), signature]) t.notMatch(text, secret)
  const page: typeof fetch = async () =>
    new Response(`<p>denied ${credentials.accessKeySecret}</p>`, { status: 403 })
  const html = await sendWith(page)
  t.match(html, { ok: false, errorCode: 'HTTP403', errorMessage: '<p>denied ***</p>' })
})
