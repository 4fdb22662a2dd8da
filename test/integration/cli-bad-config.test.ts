// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write config text holding ${VAR} references
/**
 * Every kind of bad config: exit 2, nothing on stdout, and each problem on stderr as
 * `config: <path.to.key>: <what is wrong>` naming the right key.
 */
import t from 'tap'
import { runCliCaptured } from '../helpers/run-cli.ts'

async function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  const out = await runCliCaptured(argv, cwd, env)
  return { ...out, lines: out.stderr.split('\n').filter((l) => l !== '') }
}

const ROBOT = `dingtalk:
  robots:
    - name: ops
      webhook: https://oapi.dingtalk.com/robot/send?access_token=abc
`

/** [case, yaml, the exact `config: <path>:` prefix expected, more of the message] */
const CASES: [string, string, string, RegExp][] = [
  ['unknown top-level key', 'clustr: prod\n', 'config: clustr:', /unknown key/],
  [
    'unknown nested key',
    `${ROBOT}      secrett: x\n`,
    'config: dingtalk.robots.0.secrett:',
    /unknown key/,
  ],
  ['unknown key in a section', 'server:\n  prot: 80\n', 'config: server.prot:', /unknown key/],
  ['wrong type: text for a number', 'server:\n  port: "80"\n', 'config: server.port:', /number/],
  ['wrong type: a list for a mapping', 'server: [1]\n', 'config: server:', /mapping/],
  [
    'wrong type: a number for a list',
    'kubernetes:\n  namespaces: 3\n',
    'config: kubernetes.namespaces:',
    /list/,
  ],
  ['port out of range', 'server:\n  port: 70000\n', 'config: server.port:', /at most 65535/],
  ['bad duration', 'state:\n  retention: 7days\n', 'config: state.retention:', /not a duration/],
  [
    'duration of the wrong type',
    'alerting:\n  groupWindow: true\n',
    'config: alerting.groupWindow:',
    /duration/,
  ],
  [
    'bad webhook URL',
    'dingtalk:\n  robots:\n    - name: ops\n      webhook: oapi.dingtalk.com/robot/send?access_token=abc\n',
    'config: dingtalk.robots.0.webhook:',
    /http\(s\) URL/,
  ],
  [
    'missing webhook',
    'dingtalk:\n  robots:\n    - name: ops\n',
    'config: dingtalk.robots.0.webhook:',
    /is required/,
  ],
  [
    'bad robot name',
    'dingtalk:\n  robots:\n    - name: my robot\n      webhook: https://x.example/?access_token=a\n',
    'config: dingtalk.robots.0.name:',
    /letters, digits/,
  ],
  [
    'route naming a missing robot',
    `${ROBOT}routes:\n  - robot: sre\n`,
    'config: routes.0.robot:',
    /no robot named "sre"/,
  ],
  [
    'duplicate robot names',
    `${ROBOT}    - name: ops\n      webhook: https://oapi.dingtalk.com/robot/send?access_token=def\n`,
    'config: dingtalk.robots.1.name:',
    /used by another robot/,
  ],
  [
    'ratePerMinute over 20',
    `${ROBOT}      ratePerMinute: 30\n`,
    'config: dingtalk.robots.0.ratePerMinute:',
    /at most 20/,
  ],
  [
    'more than 10 keywords',
    `${ROBOT}      keywords: [a, b, c, d, e, f, g, h, i, j, k]\n`,
    'config: dingtalk.robots.0.keywords:',
    /at most 10 keywords/,
  ],
  [
    'empty keyword',
    `${ROBOT}      keywords: [""]\n`,
    'config: dingtalk.robots.0.keywords.0:',
    /must not be empty/,
  ],
  [
    'bad msgType',
    `${ROBOT}      msgType: html\n`,
    'config: dingtalk.robots.0.msgType:',
    /one of markdown, text/,
  ],
  [
    'bad route level',
    `${ROBOT}routes:\n  - robot: ops\n    level: Error\n`,
    'config: routes.0.level:',
    /one of Normal, Warning/,
  ],
  [
    'bad at.all',
    `${ROBOT}routes:\n  - robot: ops\n    at: { all: yes }\n`,
    'config: routes.0.at.all:',
    /true or false/,
  ],
  [
    'outgoing path without /',
    'dingtalk:\n  outgoing:\n    path: hook\n',
    'config: dingtalk.outgoing.path:',
    /must start with \//,
  ],
  [
    'sls without its secret',
    'archive:\n  sls:\n    endpoint: e\n    project: p\n    logstore: l\n    accessKeyId: i\n    accessKeySecret: ${ALIBABA_CLOUD_ACCESS_KEY_SECRET}\n',
    'config: archive.sls.accessKeySecret:',
    /ALIBABA_CLOUD_ACCESS_KEY_SECRET/,
  ],
  [
    'sls with a RAM role and a key pair',
    'archive:\n  sls:\n    project: p\n    logstore: l\n    ramRole: r\n    accessKeyId: i\n    accessKeySecret: s\n',
    'config: archive.sls.ramRole:',
    /choose the key pair or the RAM role/,
  ],
  [
    'malformed ${} reference',
    `${ROBOT}      secret: \${SECRET\n`,
    'config: dingtalk.robots.0.secret:',
    /never closed/,
  ],
  [
    'YAML syntax error',
    'cluster: a\nserver:\n  port: 1\n host: x\n',
    'config: kubeding.yaml:4:1:',
    /same column/,
  ],
  ['a list document', '- cluster: a\n', 'config: kubeding.yaml:', /must hold a YAML mapping/],
  ['a scalar document', 'prod\n', 'config: kubeding.yaml:', /must hold a YAML mapping/],
]

for (const [name, yaml, prefix, message] of CASES) {
  t.test(name, async (t) => {
    const cwd = t.testdir({ 'kubeding.yaml': yaml })
    for (const argv of [['--check-config'], []]) {
      const { result, stdout, lines } = await run(argv, cwd)
      t.same(result, { kind: 'exit', code: 2 }, `exit 2 for ${argv.join(' ') || 'run'}`)
      t.equal(stdout, '', 'nothing on stdout')
      const line = lines.find((l) => l.startsWith(`${prefix} `))
      t.ok(line, `a line starting "${prefix}" in:\n${lines.join('\n')}`)
      t.match(line, message)
      t.ok(
        lines.every((l) => /^config: \S+: \S/.test(l)),
        'every line is a config problem',
      )
    }
  })
}

t.test('every problem is reported at once', async (t) => {
  const cwd = t.testdir({
    'kubeding.yaml': `clustr: x\nserver:\n  port: "80"\n${ROBOT}      ratePerMinute: 30\nroutes:\n  - robot: sre\n`,
  })
  const { result, lines } = await run(['--check-config'], cwd)
  t.same(result, { kind: 'exit', code: 2 })
  t.same(lines.map((l) => l.split(': ')[1]).sort(), [
    'clustr',
    'dingtalk.robots.0.ratePerMinute',
    'routes.0.robot',
    'server.port',
  ])
})

t.test('a missing explicit file is an error, by --config or KUBEDING_CONFIG', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': 'cluster: present\n' })
  const byFlag = await run(['--check-config', '--config', 'nope.yaml'], cwd)
  t.same(byFlag.result, { kind: 'exit', code: 2 })
  t.equal(byFlag.stdout, '')
  t.equal(byFlag.stderr, 'config: --config: no such file: nope.yaml\n')
  const byEnv = await run([], cwd, { KUBEDING_CONFIG: 'gone/k.yaml' })
  t.same(byEnv.result, { kind: 'exit', code: 2 })
  t.equal(byEnv.stderr, 'config: KUBEDING_CONFIG: no such file: gone/k.yaml\n')
})

t.test('a directory given as the config file is an error', async (t) => {
  const cwd = t.testdir({ conf: {} })
  const { result, stderr } = await run(['--config=conf'], cwd)
  t.same(result, { kind: 'exit', code: 2 })
  t.match(stderr, /^config: --config: cannot read conf \(EISDIR\)\n$/)
})

t.test('no secret is printed in any problem', async (t) => {
  const secrets = { TOKEN: 'tok-9f8e7d', SECRET: 'SEC-4c3b2a', KEY: 'ak-1a2b3c' }
  const cwd = t.testdir({
    'kubeding.yaml': `dingtalk:
  robots:
    - name: ops
      webhook: oapi.dingtalk.com/robot/send?access_token=\${TOKEN}
      secret: \${SECRET}
      keywords: \${SECRET}
  outgoing:
    token: ["\${TOKEN}"]
    appSecret: 12
archive:
  sls:
    endpoint: e
    project: p
    logstore: l
    accessKeyId: \${KEY}
    accessKeySecret: { k: "\${KEY}" }
`,
  })
  const { result, stdout, stderr, lines } = await run(['--check-config'], cwd, secrets)
  t.same(result, { kind: 'exit', code: 2 })
  t.equal(stdout, '')
  t.ok(lines.length >= 5, stderr)
  for (const secret of Object.values(secrets)) t.notMatch(stderr, secret)
})

t.test('a syntax error on a line holding a secret does not print the line', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': 'dingtalk:\n  outgoing:\n    token: "tok-5e6f7a\n' })
  const { result, stderr } = await run([], cwd)
  t.same(result, { kind: 'exit', code: 2 })
  t.match(stderr, /^config: kubeding\.yaml:\d+:\d+: /)
  t.notMatch(stderr, 'tok-5e6f7a')
})

t.test('a bad variable in environment-only mode is named as the variable', async (t) => {
  const cwd = t.testdir({})
  const { result, stdout, stderr } = await run([], cwd, {
    PORT: 'eighty',
    DINGTALK_WEBHOOK: 'oapi.dingtalk.com/robot/send?access_token=tok-0a0b0c',
  })
  t.same(result, { kind: 'exit', code: 2 })
  t.equal(stdout, '')
  t.match(stderr, /^config: PORT: must be a number/m)
  t.match(stderr, /^config: DINGTALK_WEBHOOK: must be an http\(s\) URL/m)
  t.notMatch(stderr, 'tok-0a0b0c')
})
