import t from 'tap'
import { parse } from 'yaml'
import { ConfigSchema } from '../../../src/config/schema.ts'
import { MASK, toMaskedUrl, toMaskedYaml } from '../../../src/config/to-masked-yaml.ts'

const SECRETS = ['t0ken-abc', 'SECsecret', 'out-tok', 'app-sec', 'client-sec', 'ak-secret']

const config = ConfigSchema.parse({
  dingtalk: {
    robots: [
      {
        name: 'ops',
        webhook: 'https://oapi.dingtalk.com/robot/send?access_token=t0ken-abc',
        secret: 'SECsecret',
      },
      { name: 'plain', webhook: 'https://oapi.dingtalk.com/robot/send?access_token=t0ken-abc' },
    ],
    outgoing: {
      token: 'out-tok',
      appSecret: 'app-sec',
      stream: { clientId: 'ding-client', clientSecret: 'client-sec' },
    },
  },
  archive: {
    sls: {
      endpoint: 'cn-hangzhou.log.aliyuncs.com',
      project: 'p',
      logstore: 'l',
      accessKeyId: 'LTAI5tVeryLongId',
      accessKeySecret: 'ak-secret',
    },
  },
  state: { retention: '7d' },
  alerting: { groupWindow: 90 },
})

t.test('no secret appears in the output', async (t) => {
  const text = toMaskedYaml(config)
  for (const secret of SECRETS) t.notMatch(text, secret)
  t.notMatch(text, 'LTAI5tVeryLongId')
})

t.test('masked values keep their place; non-secrets stay readable', async (t) => {
  const printed = parse(toMaskedYaml(config))
  t.match(printed.dingtalk.robots[0], {
    name: 'ops',
    webhook: `https://oapi.dingtalk.com/robot/send?access_token=${MASK}`,
    secret: MASK,
  })
  t.notOk('secret' in printed.dingtalk.robots[1], 'an absent secret stays absent')
  t.match(printed.dingtalk.outgoing, {
    token: MASK,
    appSecret: MASK,
    stream: { clientId: 'ding-client', clientSecret: MASK },
  })
  t.match(printed.archive.sls, { accessKeyId: `LTAI${MASK}`, accessKeySecret: MASK, project: 'p' })
})

t.test('durations are written back as text', async (t) => {
  const printed = parse(toMaskedYaml(config))
  t.equal(printed.state.retention, '7d')
  t.equal(printed.alerting.groupWindow, '1m30s')
})

t.test('the printed config reads back as the same config', async (t) => {
  const unmasked = ConfigSchema.parse({ cluster: 'c', state: { retention: '36h' } })
  t.same(ConfigSchema.parse(parse(toMaskedYaml(unmasked))), unmasked)
})

t.test('toMaskedUrl masks token-like parameters only', async (t) => {
  t.equal(
    toMaskedUrl('https://x.example/send?access_token=abc&timestamp=1&sign=zz&keep=1'),
    `https://x.example/send?access_token=${MASK}&timestamp=1&sign=${MASK}&keep=1`,
  )
  t.equal(toMaskedUrl('not a url with s3cret'), MASK)
  t.equal(
    toMaskedUrl('https://user:pa55@x.example/send?access_token=abc'),
    `https://x.example/send?access_token=${MASK}`,
    'a password in the URL is dropped too',
  )
})
