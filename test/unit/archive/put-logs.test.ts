import t, { type Test } from 'tap'
import { encodeLog, encodeLogGroup } from '../../../src/archive/log-group.ts'
import { putLogs, toProjectOrigin } from '../../../src/archive/put-logs.ts'
import { type FakeSls, startFakeSls } from '../../helpers/fake-sls.ts'

const now = () => Date.UTC(2026, 10, 24, 3, 0, 0)
const group = encodeLogGroup({
  logs: [encodeLog({ time: 1_790_000_000, contents: { reason: 'BackOff', message: '重启失败' } })],
  topic: 'k8s',
})

async function fake(t: Test): Promise<FakeSls> {
  const sls = await startFakeSls()
  t.teardown(() => sls.close())
  return sls
}

t.test('a signed, deflated, MD5-checked request is accepted and decoded', async (t) => {
  const sls = await fake(t)
  const outcome = await putLogs({ config: sls.config, logGroup: group, fetch: sls.fetch, now })
  t.match(outcome, { ok: true })
  t.same(sls.logs, [
    { time: 1_790_000_000, contents: { reason: 'BackOff', message: '重启失败' }, topic: 'k8s' },
  ])
  t.equal(sls.requests[0]?.rawBytes, group.length)
  t.equal(outcome.bytesSent, sls.requests[0]?.bodyBytes)
})

t.test('a wrong secret is refused with SignatureNotMatch and names the key', async (t) => {
  const sls = await fake(t)
  const outcome = await putLogs({
    config: { ...sls.config, accessKeySecret: 'not-the-secret' },
    logGroup: group,
    fetch: sls.fetch,
    now,
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
  const project = await putLogs({
    config: { ...sls.config, project: 'other' },
    logGroup: group,
    fetch: sls.fetch,
    now,
  })
  t.match(project, {
    ok: false,
    action: 'refused',
    errorCode: 'ProjectNotExist',
    hint: /archive\.sls\.project/,
  })
  const logstore = await putLogs({
    config: { ...sls.config, logstore: 'other' },
    logGroup: group,
    fetch: sls.fetch,
    now,
  })
  t.match(logstore, { ok: false, errorCode: 'LogStoreNotExist', hint: /archive\.sls\.logstore/ })
})

t.test('500 and WriteQuotaExceed are to be retried', async (t) => {
  const sls = await fake(t)
  sls.failWith({ status: 500, errorCode: 'InternalServerError' }, 1)
  t.match(await putLogs({ config: sls.config, logGroup: group, fetch: sls.fetch, now }), {
    ok: false,
    action: 'retry',
    status: 500,
  })
  sls.failWith(
    { status: 403, errorCode: 'WriteQuotaExceed', errorMessage: 'Project write quota exceed' },
    1,
  )
  t.match(await putLogs({ config: sls.config, logGroup: group, fetch: sls.fetch, now }), {
    ok: false,
    action: 'retry',
    errorCode: 'WriteQuotaExceed',
    errorMessage: 'Project write quota exceed',
  })
  t.match(await putLogs({ config: sls.config, logGroup: group, fetch: sls.fetch, now }), {
    ok: true,
  })
})

t.test('a refused connection is a NetworkError to retry', async (t) => {
  const sls = await fake(t)
  await sls.down()
  t.match(await putLogs({ config: sls.config, logGroup: group, fetch: sls.fetch, now }), {
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
      config: {
        endpoint: 'e',
        project: 'p',
        logstore: 'l',
        accessKeyId: 'i',
        accessKeySecret: 's',
      },
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
      config: {
        endpoint: 'cn-beijing.log.aliyuncs.com',
        project: 'p',
        logstore: 'events',
        accessKeyId: 'i',
        accessKeySecret: 's',
      },
      logGroup: group,
      fetch: spy,
      now,
    })
    t.same(seen, ['https://p.cn-beijing.log.aliyuncs.com/logstores/events/shards/lb'])
  },
)
