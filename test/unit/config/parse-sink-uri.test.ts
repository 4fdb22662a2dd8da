import t from 'tap'
import { parseSinkUri } from '../../../src/config/parse-sink-uri.ts'

const BASE = 'dingtalk:https://oapi.dingtalk.com/robot/send?access_token=T0KEN'

function problemOf(uri: string, env: NodeJS.ProcessEnv = {}): string {
  const parsed = parseSinkUri(uri, env)
  if (parsed.ok) throw new Error(`expected a problem for ${uri}`)
  return parsed.problem
}

t.test("the interface's DingTalk example", async (t) => {
  const parsed = parseSinkUri(
    'dingtalk:https://oapi.dingtalk.com/robot/send?access_token=T&level=Warning&label=prod&kinds=Pod,Node&namespaces=default,kube-system&sign=S&msg_type=markdown',
    {},
  )
  t.same(parsed, {
    ok: true,
    sink: {
      kind: 'dingtalk',
      robot: {
        webhook: 'https://oapi.dingtalk.com/robot/send?access_token=T',
        secret: 'S',
        msgType: 'markdown',
      },
      route: { level: 'Warning', kinds: ['Pod', 'Node'], namespaces: ['default', 'kube-system'] },
      labels: ['prod'],
    },
  })
})

t.test('defaults: Warning, all kinds and namespaces, no secret, no msg type', async (t) => {
  t.same(parseSinkUri(BASE, {}), {
    ok: true,
    sink: {
      kind: 'dingtalk',
      robot: { webhook: 'https://oapi.dingtalk.com/robot/send?access_token=T0KEN' },
      route: { level: 'Warning', kinds: [], namespaces: [] },
      labels: [],
    },
  })
})

t.test("monitorkinds/monitornamespaces (Alibaba's Helm chart) are aliases", async (t) => {
  const parsed = parseSinkUri(`${BASE}&monitorkinds=Node&monitornamespaces=kube-system,,`, {})
  t.match(parsed, { ok: true, sink: { route: { kinds: ['Node'], namespaces: ['kube-system'] } } })
})

t.test('label is repeatable, cluster_id and region are accepted', async (t) => {
  const parsed = parseSinkUri(
    `${BASE}&label=prod&label=%E6%9D%AD%E5%B7%9E&cluster_id=c123&region=cn-hangzhou&level=normal&msg_type=text`,
    {},
  )
  t.match(parsed, {
    ok: true,
    sink: {
      labels: ['prod', '杭州'],
      clusterId: 'c123',
      route: { level: 'Normal' },
      robot: { msgType: 'text' },
    },
  })
})

t.test(
  'the token is URL-encoded and the scheme and host are kept (a fake server is http)',
  async (t) => {
    const parsed = parseSinkUri('dingtalk:http://127.0.0.1:8123/robot/send?access_token=a%2Bb', {})
    t.match(parsed, {
      ok: true,
      sink: { robot: { webhook: 'http://127.0.0.1:8123/robot/send?access_token=a%2Bb' } },
    })
  },
)

t.test(
  'bad DingTalk URIs are refused with a clear reason that never echoes the token',
  async (t) => {
    const cases: [string, RegExp][] = [
      [
        'https://oapi.dingtalk.com/robot/send?access_token=T0KEN',
        /must start with dingtalk: or sls:/,
      ],
      ['slack:https://hooks.slack.com/x', /must start with dingtalk: or sls:/],
      ['dingtalk:not a url T0KEN', /not a URL/],
      ['dingtalk:ftp://oapi.dingtalk.com/x?access_token=T0KEN', /http\(s\) URL/],
      ['dingtalk:https://oapi.dingtalk.com/robot/send', /needs access_token/],
      ['dingtalk:https://oapi.dingtalk.com/robot/send?access_token=', /needs access_token/],
      [`${BASE}&level=Error`, /level must be Normal or Warning/],
      [`${BASE}&msg_type=actionCard`, /msg_type must be markdown or text/],
      [`${BASE}&lable=prod`, /unknown parameter "lable"/],
      [`${BASE}&access_token=T0KEN2`, /"access_token" is given more than once/],
      [`${BASE}&level=Warning&level=Normal`, /"level" is given more than once/],
    ]
    for (const [uri, expected] of cases) {
      const problem = problemOf(uri)
      t.match(problem, expected, uri)
      t.notMatch(problem, /T0KEN/, uri)
    }
  },
)

const SLS = 'sls:https://cn-hangzhou.log.aliyuncs.com?project=P&logStore=L'

t.test("the interface's SLS example", async (t) => {
  t.same(parseSinkUri(`${SLS}&topic=T&accessKeyId=I&accessKeySecret=K`, {}), {
    ok: true,
    sink: {
      kind: 'sls',
      sls: {
        endpoint: 'cn-hangzhou.log.aliyuncs.com',
        project: 'P',
        logstore: 'L',
        topic: 'T',
        accessKeyId: 'I',
        accessKeySecret: 'K',
      },
    },
  })
})

t.test('SLS access keys come from the environment when the URI leaves them out', async (t) => {
  t.match(
    parseSinkUri(SLS, { ALIBABA_CLOUD_ACCESS_KEY_ID: 'I2', ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'K2' }),
    { ok: true, sink: { sls: { accessKeyId: 'I2', accessKeySecret: 'K2', topic: '' } } },
  )
  // kube-eventer's own variable names come first.
  t.match(
    parseSinkUri(SLS, {
      AccessKeyId: 'I1',
      AccessKeySecret: 'K1',
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'I2',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'K2',
    }),
    { ok: true, sink: { sls: { accessKeyId: 'I1', accessKeySecret: 'K1' } } },
  )
})

t.test('without any key pair the sink leaves the keys out, for the RAM role or RRSA', async (t) => {
  const parsed = parseSinkUri(SLS, {})
  t.match(parsed, { ok: true, sink: { sls: { project: 'P', logstore: 'L' } } })
  t.notOk(parsed.ok && 'accessKeyId' in (parsed.sink as { sls: object }).sls, 'no accessKeyId')
})

t.test('regionId and internal pick the endpoint; labels become fields', async (t) => {
  const keys = '&accessKeyId=I&accessKeySecret=K'
  t.match(
    parseSinkUri(
      `sls:https://sls.aliyuncs.com?project=P&logstore=L&regionId=cn-beijing${keys}`,
      {},
    ),
    { ok: true, sink: { sls: { endpoint: 'cn-beijing.log.aliyuncs.com', logstore: 'L' } } },
  )
  t.match(
    parseSinkUri(
      `sls:https://sls.aliyuncs.com?project=P&logStore=L&regionId=cn-beijing&internal=true${keys}`,
      {},
    ),
    { ok: true, sink: { sls: { endpoint: 'cn-beijing-intranet.log.aliyuncs.com' } } },
  )
  t.match(parseSinkUri(`${SLS}&label=env,prod&label=team,sre${keys}`, {}), {
    ok: true,
    sink: { sls: { labels: { env: 'prod', team: 'sre' } } },
  })
})

t.test('bad SLS URIs are refused with a clear reason that never echoes the secret', async (t) => {
  const keys = '&accessKeyId=I&accessKeySecret=K3Y'
  const cases: [string, RegExp][] = [
    [`sls:https://cn-hangzhou.log.aliyuncs.com?logStore=L${keys}`, /needs project/],
    [`sls:https://cn-hangzhou.log.aliyuncs.com?project=P${keys}`, /needs logStore/],
    [`${SLS}&accessKeyId=I`, /needs accessKeyId and accessKeySecret together/],
    [`${SLS}&accessKeySecret=K3Y`, /needs accessKeyId and accessKeySecret together/],
    [`sls:https://sls.aliyuncs.com?project=P&logStore=L${keys}`, /add regionId=/],
    [`${SLS}&regionId=cn-hangzhou&internal=maybe${keys}`, /internal must be true or false/],
    [`${SLS}&regionId=CN_HZ${keys}`, /regionId must look like cn-hangzhou/],
    [`${SLS}&label=novalue${keys}`, /label must be written key,value/],
    [`${SLS}&endpoint=x${keys}`, /unknown parameter "endpoint"/],
  ]
  for (const [uri, expected] of cases) {
    const problem = problemOf(uri)
    t.match(problem, expected, uri)
    t.notMatch(problem, /K3Y/, uri)
  }
})
