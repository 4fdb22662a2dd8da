/**
 * kubeding as an operator runs it: a real process (`bin/kubeding.js`, `src/main.ts`), configured
 * by flags and environment, against the fake API server and the fake DingTalk.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { type Test } from 'tap'
import { buildEvent } from '../helpers/event-builders.ts'
import { createFakeDingTalk } from '../helpers/fake-dingtalk.ts'
import { createFakeKubeApi, eventually } from '../helpers/fake-kube-api.ts'
import { freePort } from '../helpers/free-port.ts'

const BIN = fileURLToPath(new URL('../../bin/kubeding.js', import.meta.url))
const FIXTURE = fileURLToPath(new URL('../fixtures/config/full.yaml', import.meta.url))
const SECRET = 'SECmainprocess0123456789'

/** The environment a test process starts from: none of the developer's own settings. */
const cleanEnv = (home: string, extra: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH ?? '',
  HOME: home,
  ...extra,
})

function tempDir(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-main-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

function run(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env, cwd }, (err, stdout, stderr) => {
      const code = err ? Number((err as { code?: number }).code ?? 1) : 0
      resolve({ code, stdout, stderr })
    })
  })
}

/** Starts the service as a child process; it is killed at teardown if still running. */
function startService(t: Test, env: NodeJS.ProcessEnv, cwd: string) {
  const child: ChildProcess = spawn(process.execPath, [BIN], { env, cwd })
  let output = ''
  child.stdout?.on('data', (d) => {
    output += d
  })
  child.stderr?.on('data', (d) => {
    output += d
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL')
  })
  return { child, exited, output: () => output }
}

async function get(port: number, path: string): Promise<number> {
  try {
    return (await fetch(`http://127.0.0.1:${port}${path}`)).status
  } catch {
    return 0
  }
}

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

t.test('--check-config prints the effective config with secrets masked, exit 0', async (t) => {
  const home = tempDir(t)
  const { code, stdout } = await run(
    ['--check-config', '--config', FIXTURE],
    cleanEnv(home, {
      DINGTALK_TOKEN: 'tok-visible-nowhere',
      DINGTALK_SECRET: SECRET,
      ALIBABA_CLOUD_ACCESS_KEY_ID: 'LTAIkeyid',
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: 'sls-secret-visible-nowhere',
    }),
    home,
  )
  t.equal(code, 0)
  t.match(stdout, 'cluster: prod-hangzhou')
  t.notMatch(stdout, SECRET)
  t.notMatch(stdout, 'tok-visible-nowhere')
  t.notMatch(stdout, 'sls-secret-visible-nowhere')
})

t.test('an invalid config exits 2 naming the key, before connecting anywhere', async (t) => {
  const home = tempDir(t)
  const file = join(home, 'bad.yaml')
  writeFileSync(file, 'cluster: x\nalerting:\n  groupWindw: 1m\n')
  const { code, stdout, stderr } = await run(['--config', file], cleanEnv(home, {}), home)
  t.equal(code, 2)
  t.match(stderr, /^config: alerting\.groupWindw: /m)
  t.equal(stdout, '')
})

t.test('send-test reports what DingTalk answered, in words', async (t) => {
  const home = tempDir(t)
  const dingtalk = await createFakeDingTalk({ robots: [{ token: 'tok', secret: SECRET }] })
  t.teardown(() => dingtalk.close())
  const ok = await run(
    ['send-test'],
    cleanEnv(home, { DINGTALK_WEBHOOK: dingtalk.webhook('tok'), DINGTALK_SECRET: SECRET }),
    home,
  )
  t.equal(ok.code, 0, ok.stderr)
  t.match(ok.stdout, 'default: ok')
  t.equal(dingtalk.messages.length, 1)
  const wrong = await run(
    ['send-test'],
    cleanEnv(home, { DINGTALK_WEBHOOK: dingtalk.webhook('tok'), DINGTALK_SECRET: 'SECwrong' }),
    home,
  )
  t.equal(wrong.code, 1)
  t.match(wrong.stdout, /default: FAILED: .*310000.*sign/)
  t.notMatch(wrong.stdout + wrong.stderr, 'SECwrong')
})

t.test('with no cluster at all: /healthz is up, the log says how to configure', async (t) => {
  const home = tempDir(t)
  const port = await freePort()
  const svc = startService(t, cleanEnv(home, { PORT: String(port), LOG_FORMAT: 'pretty' }), home)
  await until(async () => (await get(port, '/healthz')) === 200, '/healthz')
  t.equal(await get(port, '/readyz'), 503)
  await eventually(() => /no Kubernetes cluster to watch/.test(svc.output()), 'the hint')
  t.match(svc.output(), /KUBECONFIG/)
  t.notMatch(svc.output(), /^\{"level"/m, 'LOG_FORMAT=pretty writes for humans, not JSON')
  svc.child.kill('SIGTERM')
  t.equal(await svc.exited, 0)
})

t.test('npm start on env alone: alerts, then SIGTERM flushes and exits 0', async (t) => {
  const home = tempDir(t)
  const kube = await createFakeKubeApi()
  const dingtalk = await createFakeDingTalk({ robots: [{ token: 'tok', secret: SECRET }] })
  t.teardown(async () => {
    await kube.stop()
    await dingtalk.close()
  })
  const kubeconfig = join(home, 'kubeconfig')
  writeFileSync(kubeconfig, kube.kubeconfigYaml())
  const port = await freePort()
  const svc = startService(
    t,
    cleanEnv(home, {
      KUBECONFIG: kubeconfig,
      DINGTALK_WEBHOOK: dingtalk.webhook('tok'),
      DINGTALK_SECRET: SECRET,
      KUBEDING_CLUSTER: 'from-env',
      PORT: String(port),
    }),
    home,
  )
  await until(async () => (await get(port, '/readyz')) === 200, '/readyz')
  kube.addEvent(buildEvent({ reason: 'OOMKilling', kind: 'Node', name: 'node-3' }))
  await eventually(() => dingtalk.messages.length === 1, 'the alert', 10_000)
  t.match(dingtalk.messages[0]?.body.markdown.text, 'from-env')
  t.match(svc.output(), /^\{"level":30,.*"msg":"kubeding starting"/m, 'pino JSON by default')
  svc.child.kill('SIGTERM')
  t.equal(await svc.exited, 0)
  t.notMatch(svc.output(), SECRET)
  t.notMatch(svc.output(), 'access_token=tok')
})
