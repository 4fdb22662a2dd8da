/** The command line itself: help, version, commands, and usage errors. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { runCliCaptured } from '../helpers/run-cli.ts'

const run = runCliCaptured

const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

t.test('--help prints usage and exits 0, even beside other flags', async (t) => {
  const cwd = t.testdir({})
  for (const argv of [['--help'], ['-h'], ['--check-config', '--help']]) {
    const { result, stdout, stderr } = await run(argv, cwd)
    t.same(result, { kind: 'exit', code: 0 })
    t.match(stdout, /^Usage:\n/)
    t.match(stdout, '--check-config')
    t.match(stdout, '--sink URI')
    t.match(stdout, 'send-test')
    t.equal(stderr, '')
  }
})

t.test('--version prints the package version', async (t) => {
  const cwd = t.testdir({})
  for (const argv of [['--version'], ['-v']]) {
    const { result, stdout } = await run(argv, cwd)
    t.same(result, { kind: 'exit', code: 0 })
    t.equal(stdout, `${VERSION}\n`)
  }
})

t.test('send-test returns its kind with the config', async (t) => {
  const cwd = t.testdir({ 'k.yaml': 'cluster: c\n' })
  t.match((await run(['send-test', '--config', 'k.yaml'], cwd)).result, {
    kind: 'send-test',
    config: { cluster: 'c' },
  })
  t.match((await run(['--config=k.yaml', 'send-test'], cwd)).result, { kind: 'send-test' })
})

t.test('send-test with an invalid config exits 2 before anything is sent', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': 'clustr: c\n' })
  const { result, stderr } = await run(['send-test'], cwd)
  t.same(result, { kind: 'exit', code: 2 })
  t.equal(stderr, 'config: clustr: unknown key\n')
})

t.test('no arguments: run', async (t) => {
  const cwd = t.testdir({})
  t.match((await run([], cwd)).result, { kind: 'run', config: { cluster: 'kubernetes' } })
})

t.test('usage errors exit 2 with a message on stderr and nothing on stdout', async (t) => {
  const cwd = t.testdir({ 'k.yaml': '' })
  const cases: [string[], RegExp][] = [
    [['--conifg', 'k.yaml'], /Unknown option '--conifg'/],
    [['--config'], /--config/],
    [['--config='], /--config needs a file name/],
    [['--check-config=yes'], /--check-config/],
    [['start'], /unknown command "start"/],
    [['send-test', 'now'], /unexpected argument "now"/],
    [['send-test', '--check-config'], /cannot be combined/],
  ]
  for (const [argv, message] of cases) {
    const { result, stdout, stderr } = await run(argv, cwd)
    t.same(result, { kind: 'exit', code: 2 }, argv.join(' '))
    t.equal(stdout, '', argv.join(' '))
    t.match(stderr, message, argv.join(' '))
    t.match(stderr, /Run kubeding --help for usage\.\n$/)
  }
})

t.test('a stray argument that could be a secret is not echoed', async (t) => {
  const cwd = t.testdir({})
  const { stderr } = await run(
    ['dingtalk:https://oapi.dingtalk.com/robot/send?access_token=tok-3c4d'],
    cwd,
  )
  t.match(stderr, /unknown command \(not shown\)/)
  t.notMatch(stderr, 'tok-3c4d')
  const flag = await run(['--snk=dingtalk:https://x/?access_token=tok-3c4d'], cwd)
  t.match(flag.stderr, /Unknown option '--snk'/)
  t.notMatch(flag.stderr, 'tok-3c4d')
})
