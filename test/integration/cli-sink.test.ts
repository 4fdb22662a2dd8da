/** kube-eventer `--sink` URIs merged into the config, through `runCli`. */
import t from 'tap'
import { parse } from 'yaml'
import { runCliCaptured } from '../helpers/run-cli.ts'

const run = runCliCaptured

const EXAMPLE =
  'dingtalk:https://oapi.dingtalk.com/robot/send?access_token=T&level=Warning&label=prod&kinds=Pod,Node&namespaces=default,kube-system&sign=S&msg_type=markdown'

t.test("the interface's example becomes one robot and one route", async (t) => {
  const cwd = t.testdir({})
  const { result, stderr } = await run(['--sink', EXAMPLE], cwd)
  t.equal(stderr, '')
  t.match(result, {
    kind: 'run',
    source: 'environment variables (no config file) + 1 --sink URI',
    config: {
      cluster: 'prod',
      dingtalk: {
        robots: [
          {
            name: 'sink-1',
            webhook: 'https://oapi.dingtalk.com/robot/send?access_token=T',
            secret: 'S',
            msgType: 'markdown',
            ratePerMinute: 20,
          },
        ],
      },
      routes: [
        {
          robot: 'sink-1',
          level: 'Warning',
          kinds: ['Pod', 'Node'],
          namespaces: ['default', 'kube-system'],
          reasons: [],
        },
      ],
    },
  })
  if (result.kind === 'run') {
    t.equal(result.config.dingtalk.robots.length, 1)
    t.equal(result.config.routes.length, 1)
  }
})

t.test('sinks are appended after the file; implicit routes of the file are kept', async (t) => {
  const cwd = t.testdir({
    'kubeding.yaml': `dingtalk:
  robots:
    - name: ops
      webhook: https://oapi.dingtalk.com/robot/send?access_token=a
`,
  })
  const { result } = await run(
    [
      `--sink=${EXAMPLE}`,
      '--sink',
      'dingtalk:https://oapi.dingtalk.com/robot/send?access_token=U&level=Normal&monitorkinds=Node',
    ],
    cwd,
  )
  t.equal(result.kind, 'run')
  if (result.kind !== 'run') return
  t.same(
    result.config.dingtalk.robots.map((r) => r.name),
    ['ops', 'sink-1', 'sink-2'],
  )
  t.same(
    result.config.routes.map((r) => [r.robot, r.level, r.kinds]),
    [
      ['ops', 'Warning', []],
      ['sink-1', 'Warning', ['Pod', 'Node']],
      ['sink-2', 'Normal', ['Node']],
    ],
  )
})

t.test('explicit routes of the file are kept as written, sink routes appended', async (t) => {
  const cwd = t.testdir({
    'kubeding.yaml': `dingtalk:
  robots:
    - name: ops
      webhook: https://oapi.dingtalk.com/robot/send?access_token=a
routes: []
`,
  })
  const { result } = await run(['--sink', EXAMPLE], cwd)
  t.match(result, { kind: 'run', config: { routes: [{ robot: 'sink-1' }] } })
  if (result.kind === 'run') t.equal(result.config.routes.length, 1)
})

t.test('label sets the cluster only when the config names none', async (t) => {
  const named = t.testdir({ 'kubeding.yaml': 'cluster: hangzhou\n' })
  t.match((await run(['--sink', EXAMPLE], named)).result, { config: { cluster: 'hangzhou' } })
  const empty = t.testdir({})
  t.match((await run(['--sink', EXAMPLE], empty, { KUBEDING_CLUSTER: 'from-env' })).result, {
    config: { cluster: 'from-env' },
  })
  const labels = `${EXAMPLE}&label=hangzhou`
  const other = 'dingtalk:https://oapi.dingtalk.com/robot/send?access_token=U&label=prod'
  t.match((await run(['--sink', labels, '--sink', other], empty)).result, {
    config: { cluster: 'prod, hangzhou' },
  })
  const clusterId =
    'dingtalk:https://oapi.dingtalk.com/robot/send?access_token=U&cluster_id=c9&region=cn-hangzhou'
  t.match((await run(['--sink', clusterId], empty)).result, { config: { cluster: 'c9' } })
})

t.test('an sls sink becomes archive.sls', async (t) => {
  const cwd = t.testdir({})
  const { result } = await run(
    [
      '--sink',
      'sls:https://cn-hangzhou.log.aliyuncs.com?project=P&logStore=L&topic=T&accessKeyId=I&accessKeySecret=K',
    ],
    cwd,
  )
  t.match(result, {
    kind: 'run',
    config: {
      archive: {
        sls: {
          endpoint: 'cn-hangzhou.log.aliyuncs.com',
          project: 'P',
          logstore: 'L',
          topic: 'T',
          accessKeyId: 'I',
          accessKeySecret: 'K',
        },
      },
      dingtalk: { robots: [] },
    },
  })
})

t.test('a second sls archive is a problem', async (t) => {
  const sls =
    'sls:https://cn-hangzhou.log.aliyuncs.com?project=P&logStore=L&accessKeyId=I&accessKeySecret=K'
  const cwd = t.testdir({})
  const twice = await run(['--sink', sls, '--sink', sls], cwd)
  t.same(twice.result, { kind: 'exit', code: 2 })
  t.match(twice.stderr, /^config: --sink\[2\]: archive\.sls is already set/)
  const inFile = t.testdir({
    'kubeding.yaml':
      'archive:\n  sls: { endpoint: e, project: p, logstore: l, accessKeyId: i, accessKeySecret: s }\n',
  })
  const both = await run(['--sink', sls], inFile)
  t.match(both.stderr, /^config: --sink\[1\]: archive\.sls is already set/)
})

t.test('bad sink URIs: config: --sink[N]: ..., exit 2, nothing on stdout, no secret', async (t) => {
  const cwd = t.testdir({})
  const { result, stdout, stderr } = await run(
    [
      '--check-config',
      '--sink',
      EXAMPLE,
      '--sink',
      'dingtalk:https://oapi.dingtalk.com/robot/send?access_token=SEKRIT&levle=Warning',
      '--sink=webhook:https://example.com/?token=SEKRIT',
    ],
    cwd,
  )
  t.same(result, { kind: 'exit', code: 2 })
  t.equal(stdout, '')
  t.equal(
    stderr,
    [
      'config: --sink[2]: unknown parameter "levle" (dingtalk sinks take access_token, level, label, kinds, monitorkinds, namespaces, monitornamespaces, msg_type, sign, cluster_id, region)',
      'config: --sink[3]: must start with dingtalk: or sls: (kube-eventer sink URIs)',
      '',
    ].join('\n'),
  )
  t.notMatch(stderr, 'SEKRIT')
})

t.test('sink and file problems are reported together', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': 'clustr: x\n' })
  const { result, stderr } = await run(['--sink', 'dingtalk:https://x.example/?level=Warning'], cwd)
  t.same(result, { kind: 'exit', code: 2 })
  t.match(stderr, /^config: --sink\[1\]: needs access_token/m)
  t.match(stderr, /^config: clustr: unknown key/m)
})

t.test('a sink robot colliding with a configured robot name is reported', async (t) => {
  const cwd = t.testdir({
    'kubeding.yaml': `dingtalk:
  robots:
    - name: sink-1
      webhook: https://oapi.dingtalk.com/robot/send?access_token=a
`,
  })
  const { result, stderr } = await run(['--sink', EXAMPLE], cwd)
  t.same(result, { kind: 'exit', code: 2 })
  t.match(stderr, /^config: dingtalk\.robots\.1\.name: "sink-1" is used by another robot/m)
})

t.test('--check-config masks the token and sign taken from a sink', async (t) => {
  const cwd = t.testdir({})
  const uri = 'dingtalk:https://oapi.dingtalk.com/robot/send?access_token=tok-77aa&sign=SEC88bb'
  const { result, stdout } = await run(['--check-config', '--sink', uri], cwd)
  t.same(result, { kind: 'exit', code: 0 })
  t.notMatch(stdout, 'tok-77aa')
  t.notMatch(stdout, 'SEC88bb')
  t.match(parse(stdout).dingtalk.robots[0], { name: 'sink-1', secret: '****' })
})
