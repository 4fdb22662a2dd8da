import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t, { type Test } from 'tap'
import { KubeConfigError, loadKubeConfig } from '../../../src/kube/load-kube-config.ts'

const kubeconfig = (
  server: string,
  opts: { context?: string; extraContext?: string; current?: string } = {},
) => {
  const context = opts.context ?? 'main'
  return `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: ${server}
    certificate-authority: ca.crt
users:
- name: u1
  user:
    token: secret-token
contexts:
- name: ${context}
  context: {cluster: c1, user: u1}
${opts.extraContext ? `- name: ${opts.extraContext}\n  context: {cluster: c1, user: u1, namespace: other}\n` : ''}current-context: ${opts.current ?? context}
`
}

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeding-kc-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function write(dir: string, rel: string, text: string): string {
  const file = path.join(dir, rel)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, text)
  return file
}

/** The error thrown by fn, or a failure when it does not throw one. */
function errorOf(fn: () => unknown): KubeConfigError {
  try {
    fn()
  } catch (error) {
    if (error instanceof KubeConfigError) return error
    throw error
  }
  throw new Error('expected a KubeConfigError')
}

const noSa = (dir: string) => path.join(dir, 'no-service-account')

t.test(
  'an explicit file is used, relative paths made absolute, and nothing else is looked at',
  async (t) => {
    const dir = tempDir(t)
    const file = write(dir, 'cfg/kubeconfig', kubeconfig('https://explicit:6443'))
    write(dir, 'home/.kube/config', kubeconfig('https://home:6443'))
    const kc = loadKubeConfig(
      { kubeconfig: file, context: '', serviceAccountDir: noSa(dir) },
      { HOME: path.join(dir, 'home'), KUBECONFIG: '/nope' },
    )
    t.equal(kc.getCurrentCluster()?.server, 'https://explicit:6443')
    t.equal(kc.getCurrentCluster()?.caFile, path.join(dir, 'cfg', 'ca.crt'))
  },
)

t.test('an explicit file that does not exist is an error naming it', async (t) => {
  const dir = tempDir(t)
  const err = errorOf(() =>
    loadKubeConfig({ kubeconfig: path.join(dir, 'missing'), context: '' }, { HOME: dir }),
  )
  t.equal(err.code, 'KUBECONFIG_UNREADABLE')
  t.match(err.message, /missing/)
})

t.test('a file that is not a kubeconfig is an error naming the file', async (t) => {
  const dir = tempDir(t)
  const broken = 'users:\n- name: u\n  user:\n    token: s3cr3t-t0ken\nclusters: [unclosed\n'
  for (const text of ['', broken, 'clusters:\n- cluster: {server: x}\n']) {
    const file = write(dir, 'bad', text)
    const err = errorOf(() => loadKubeConfig({ kubeconfig: file, context: '' }, {}))
    t.equal(err.code, 'KUBECONFIG_UNREADABLE', JSON.stringify(text))
    t.match(err.message, file)
    t.notMatch(err.message, 's3cr3t', 'the file content is not quoted')
  }
})

t.test('context: chosen when present; an unknown one lists those available', async (t) => {
  const dir = tempDir(t)
  const file = write(dir, 'kc', kubeconfig('https://a:6443', { extraContext: 'staging' }))
  const kc = loadKubeConfig({ kubeconfig: file, context: 'staging' }, {})
  t.equal(kc.getCurrentContext(), 'staging')
  const err = errorOf(() => loadKubeConfig({ kubeconfig: file, context: 'prod' }, {}))
  t.equal(err.code, 'KUBECONFIG_CONTEXT_NOT_FOUND')
  t.match(err.message, /"prod".*main, staging/)
})

t.test('a kubeconfig without a usable current-context is incomplete', async (t) => {
  const dir = tempDir(t)
  const file = write(dir, 'kc', kubeconfig('https://a:6443', { current: 'gone' }))
  const err = errorOf(() => loadKubeConfig({ kubeconfig: file, context: '' }, {}))
  t.equal(err.code, 'KUBECONFIG_INCOMPLETE')
  t.match(err.message, /kubernetes\.context/)
})

t.test('in-cluster: the service account wins over $KUBECONFIG and ~/.kube/config', async (t) => {
  const dir = tempDir(t)
  const sa = path.join(dir, 'sa')
  write(dir, 'sa/token', 'sa-token')
  write(dir, 'sa/ca.crt', 'CA')
  write(dir, 'sa/namespace', 'kubeding\n')
  const other = write(dir, 'other', kubeconfig('https://env:6443'))
  const env = {
    KUBERNETES_SERVICE_HOST: '10.0.0.1',
    KUBERNETES_SERVICE_PORT: '443',
    KUBECONFIG: other,
    HOME: dir,
  }
  const kc = loadKubeConfig({ context: '', serviceAccountDir: sa }, env)
  t.equal(kc.getCurrentCluster()?.server, 'https://10.0.0.1:443')
  t.equal(kc.getCurrentCluster()?.caFile, path.join(sa, 'ca.crt'))
  t.equal(kc.getContextObject(kc.getCurrentContext())?.namespace, 'kubeding')
  const opts: { headers?: Record<string, string> } = {}
  await kc.applyToHTTPSOptions(opts)
  t.equal(opts.headers?.Authorization, 'Bearer sa-token', 'the token is read from the mounted file')
  const v6 = loadKubeConfig(
    { context: '', serviceAccountDir: sa },
    { ...env, KUBERNETES_SERVICE_HOST: 'fd00::1' },
  )
  t.equal(v6.getCurrentCluster()?.server, 'https://[fd00::1]:443')
})

t.test('in-cluster needs both the env and the token file', async (t) => {
  const dir = tempDir(t)
  const sa = path.join(dir, 'sa')
  write(dir, 'sa/ca.crt', 'CA')
  const err = errorOf(() =>
    loadKubeConfig(
      { context: '', serviceAccountDir: sa },
      { KUBERNETES_SERVICE_HOST: 'h', KUBERNETES_SERVICE_PORT: '443', HOME: dir },
    ),
  )
  t.equal(err.code, 'KUBECONFIG_NOT_FOUND')
  t.match(err.message, /token missing/)
})

t.test(
  '$KUBECONFIG: a path list, missing files skipped, merged with the first current-context',
  async (t) => {
    const dir = tempDir(t)
    const a = write(dir, 'a', kubeconfig('https://a:6443', { context: 'ctx-a' }))
    const b = write(
      dir,
      'b',
      kubeconfig('https://a:6443', { context: 'ctx-b' }).replace(/c1/g, 'c2').replace(/u1/g, 'u2'),
    )
    const list = [path.join(dir, 'missing'), a, b].join(path.delimiter)
    const kc = loadKubeConfig(
      { context: '', serviceAccountDir: noSa(dir) },
      { KUBECONFIG: list, HOME: dir },
    )
    t.equal(kc.getCurrentContext(), 'ctx-a')
    t.same(
      kc.getContexts().map((c) => c.name),
      ['ctx-a', 'ctx-b'],
    )
    const other = loadKubeConfig(
      { context: 'ctx-b', serviceAccountDir: noSa(dir) },
      { KUBECONFIG: list, HOME: dir },
    )
    t.equal(other.getCurrentCluster()?.name, 'c2')
  },
)

t.test('~/.kube/config when nothing else applies', async (t) => {
  const dir = tempDir(t)
  write(dir, '.kube/config', kubeconfig('https://home:6443'))
  const kc = loadKubeConfig(
    { context: '', serviceAccountDir: noSa(dir) },
    { HOME: dir, KUBECONFIG: path.join(dir, 'none') },
  )
  t.equal(kc.getCurrentCluster()?.server, 'https://home:6443')
})

t.test('nothing found: the error lists every place tried', async (t) => {
  const dir = tempDir(t)
  const err = errorOf(() =>
    loadKubeConfig(
      { context: '', serviceAccountDir: noSa(dir) },
      { HOME: dir, KUBECONFIG: path.join(dir, 'x') },
    ),
  )
  t.equal(err.code, 'KUBECONFIG_NOT_FOUND')
  t.equal(err.tried.length, 4)
  t.match(err.message, /kubernetes\.kubeconfig \(not set\)/)
  t.match(err.message, /KUBERNETES_SERVICE_HOST\/PORT not set/)
  t.match(err.message, /\$KUBECONFIG \(.*x: no such file\)/)
  t.match(err.message, path.join(dir, '.kube', 'config'))
  const noHome = errorOf(() => loadKubeConfig({ context: '', serviceAccountDir: noSa(dir) }, {}))
  t.match(noHome.message, /\$KUBECONFIG \(not set\).*HOME not set/)
})
