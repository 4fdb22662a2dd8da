// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write config text holding ${VAR} references
/** `--check-config`, locating the config, and the environment-only mode, through `runCli`. */
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { runCliCaptured } from '../helpers/run-cli.ts'

const FIXTURES = join(import.meta.dirname, '../fixtures/config')

const run = runCliCaptured

const SECRETS = {
  DINGTALK_TOKEN: 'tok-1f2e3d4c',
  DINGTALK_SECRET: 'SEC5b6a7988',
  DINGTALK_OUTGOING_TOKEN: 'out-0a1b2c3d',
  DINGTALK_APP_SECRET: 'app-4e5f6a7b',
  DINGTALK_CLIENT_SECRET: 'cli-8c9d0e1f',
  ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAI5tQwErTyUiOp',
  ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'aks-2a3b4c5d',
}

t.test('the full example config prints with every secret masked', async (t) => {
  const env = { ...SECRETS, DINGTALK_CLIENT_ID: 'ding-client-id' }
  const { result, stdout, stderr } = await run(
    ['--check-config', '--config', 'full.yaml'],
    FIXTURES,
    env,
  )
  t.same(result, { kind: 'exit', code: 0 })
  t.equal(stderr, '')
  for (const secret of Object.values(SECRETS)) {
    t.notMatch(stdout, secret, 'no secret in stdout')
  }
  const printed = parse(stdout)
  t.match(printed, {
    cluster: 'prod-hangzhou',
    server: { host: '0.0.0.0', port: 8080 },
    state: { dir: './data', retention: '7d' },
    dingtalk: {
      robots: [
        {
          name: 'ops',
          webhook: 'https://oapi.dingtalk.com/robot/send?access_token=****',
          secret: '****',
          ratePerMinute: 20,
        },
      ],
      outgoing: {
        token: '****',
        appSecret: '****',
        stream: { clientId: 'ding-client-id', clientSecret: '****' },
      },
    },
    routes: [{ robot: 'ops', level: 'Warning' }],
    archive: { sls: { accessKeyId: 'LTAI****', accessKeySecret: '****' } },
    alerting: { groupWindow: '1m', muteLinks: true },
  })
  t.match(stdout, /^# kubeding effective config, from .*full\.yaml; secrets masked\n/)
})

t.test('${VAR:-default} fills a value from the environment or its default', async (t) => {
  const withPort = await run(['--check-config', '--config', 'full.yaml'], FIXTURES, {
    ...SECRETS,
    PORT: '9000',
  })
  t.equal(parse(withPort.stdout).server.port, 9000)
})

t.test('run returns the validated config and where it came from', async (t) => {
  const { result, stdout, stderr } = await run(['--config', 'full.yaml'], FIXTURES, SECRETS)
  t.equal(stdout, '')
  t.equal(stderr, '')
  t.match(result, {
    kind: 'run',
    source: join(FIXTURES, 'full.yaml'),
    config: {
      cluster: 'prod-hangzhou',
      state: { retention: 7 * 86_400_000 },
      dingtalk: {
        robots: [
          {
            webhook: 'https://oapi.dingtalk.com/robot/send?access_token=tok-1f2e3d4c',
            secret: 'SEC5b6a7988',
          },
        ],
      },
    },
  })
})

t.test('unset secrets are absent, not empty', async (t) => {
  const { result } = await run(['--config', 'full.yaml'], FIXTURES, {
    ALIBABA_CLOUD_ACCESS_KEY_ID: 'id',
    ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'secret',
  })
  t.equal(result.kind, 'run')
  if (result.kind !== 'run') return
  t.equal(result.config.dingtalk.robots[0]?.secret, undefined)
  t.equal(result.config.dingtalk.outgoing.token, undefined)
  t.equal(result.config.dingtalk.outgoing.stream, undefined)
})

t.test(
  'the config is looked for in order: --config, KUBEDING_CONFIG, ./kubeding.yaml',
  async (t) => {
    const cwd = t.testdir({
      'kubeding.yaml': 'cluster: from-default\n',
      'flag.yaml': 'cluster: from-flag\n',
      'env.yaml': 'cluster: from-env\n',
    })
    const env = { KUBEDING_CONFIG: 'env.yaml', KUBEDING_CLUSTER: 'from-variable' }
    const cluster = async (argv: string[], e: NodeJS.ProcessEnv) => {
      const { result } = await run(argv, cwd, e)
      return result.kind === 'run' ? result.config.cluster : result
    }
    t.equal(await cluster(['--config', 'flag.yaml'], env), 'from-flag')
    t.equal(await cluster(['--config=flag.yaml'], env), 'from-flag')
    t.equal(await cluster([], env), 'from-env')
    t.equal(await cluster([], { KUBEDING_CLUSTER: 'from-variable' }), 'from-default')
  },
)

t.test('with no file: environment-only mode builds one robot and one Warning route', async (t) => {
  const cwd = t.testdir({})
  const { result } = await run([], cwd, {
    DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
    DINGTALK_SECRET: 'SECxyz',
    DINGTALK_OUTGOING_TOKEN: 'out',
    DINGTALK_APP_SECRET: 'app',
    KUBEDING_CLUSTER: 'staging',
    PORT: '3000',
  })
  t.match(result, {
    kind: 'run',
    source: 'environment variables (no config file)',
    config: {
      cluster: 'staging',
      server: { port: 3000 },
      dingtalk: {
        robots: [
          {
            name: 'default',
            webhook: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
            secret: 'SECxyz',
          },
        ],
        outgoing: { token: 'out', appSecret: 'app' },
      },
      routes: [{ robot: 'default', level: 'Warning', kinds: [], namespaces: [] }],
    },
  })
  if (result.kind === 'run') t.equal(result.config.routes.length, 1)
})

t.test('with no file and no webhook: no robot at all, still valid', async (t) => {
  const cwd = t.testdir({})
  const { result, stdout, stderr } = await run(['--check-config'], cwd, {})
  t.same(result, { kind: 'exit', code: 0 })
  t.equal(stderr, '')
  const printed = parse(stdout)
  t.same(printed.dingtalk.robots, [])
  t.same(printed.routes, [])
  t.equal(printed.cluster, 'kubernetes')
  t.equal(printed.server.port, 8080)
})

t.test('a config file ignores the environment-only variables', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': '# all defaults\n' })
  const { result } = await run([], cwd, {
    DINGTALK_WEBHOOK: 'https://oapi.dingtalk.com/robot/send?access_token=abc',
    PORT: '3000',
  })
  t.match(result, { kind: 'run', config: { server: { port: 8080 }, dingtalk: { robots: [] } } })
})

t.test('an unset ${KUBEDING_CLUSTER} falls back to the default cluster name', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': 'cluster: ${KUBEDING_CLUSTER}\n' })
  t.match((await run([], cwd, {})).result, { kind: 'run', config: { cluster: 'kubernetes' } })
  t.match((await run([], cwd, { KUBEDING_CLUSTER: 'hz' })).result, { config: { cluster: 'hz' } })
})

t.test('sections whose keys are all commented out take their defaults', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': 'cluster:\nserver:\n  # port: 80\nroutes:\n' })
  t.match((await run([], cwd)).result, {
    kind: 'run',
    config: { cluster: 'kubernetes', server: { port: 8080 }, routes: [] },
  })
})
