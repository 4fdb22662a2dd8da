import { join } from 'node:path'
import t from 'tap'
import { locateConfig } from '../../../src/config/locate-config.ts'

t.test('--config wins over KUBEDING_CONFIG and ./kubeding.yaml', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': 'cluster: a\n', 'other.yaml': '', 'env.yaml': '' })
  t.same(locateConfig({ configPath: 'other.yaml', env: { KUBEDING_CONFIG: 'env.yaml' }, cwd }), {
    kind: 'file',
    from: '--config',
    path: join(cwd, 'other.yaml'),
    shown: 'other.yaml',
  })
})

t.test('KUBEDING_CONFIG wins over ./kubeding.yaml', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': '', 'env.yaml': '' })
  t.same(locateConfig({ configPath: undefined, env: { KUBEDING_CONFIG: 'env.yaml' }, cwd }), {
    kind: 'file',
    from: 'KUBEDING_CONFIG',
    path: join(cwd, 'env.yaml'),
    shown: 'env.yaml',
  })
})

t.test('an absolute path is kept as it is', async (t) => {
  const cwd = t.testdir({})
  const location = locateConfig({ configPath: '/etc/kubeding/k.yaml', env: {}, cwd })
  t.match(location, { kind: 'file', path: '/etc/kubeding/k.yaml' })
})

t.test('an empty KUBEDING_CONFIG counts as unset', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': '' })
  t.match(locateConfig({ configPath: undefined, env: { KUBEDING_CONFIG: '' }, cwd }), {
    from: 'default',
  })
})

t.test('./kubeding.yaml is used when present', async (t) => {
  const cwd = t.testdir({ 'kubeding.yaml': '' })
  t.same(locateConfig({ configPath: undefined, env: {}, cwd }), {
    kind: 'file',
    from: 'default',
    path: join(cwd, 'kubeding.yaml'),
    shown: 'kubeding.yaml',
  })
})

t.test('with no file anywhere, the environment alone', async (t) => {
  const cwd = t.testdir({ 'kubeding.yml': '' })
  t.same(locateConfig({ configPath: undefined, env: {}, cwd }), { kind: 'env' })
})

t.test(
  'an explicit file is returned even when missing, so reading it reports the error',
  async (t) => {
    const cwd = t.testdir({})
    t.match(locateConfig({ configPath: 'missing.yaml', env: {}, cwd }), {
      kind: 'file',
      from: '--config',
    })
    t.match(
      locateConfig({ configPath: undefined, env: { KUBEDING_CONFIG: 'missing.yaml' }, cwd }),
      {
        kind: 'file',
        from: 'KUBEDING_CONFIG',
      },
    )
  },
)
