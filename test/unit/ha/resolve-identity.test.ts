/** Who a replica is and where its Lease lives: the downward API first, then the pod's own facts. */
import t from 'tap'
import { resolveIdentity } from '../../../src/ha/resolve-identity.ts'

const none = () => {
  throw new Error('ENOENT')
}

t.test('POD_NAME and POD_NAMESPACE from the downward API', async (t) => {
  t.same(
    resolveIdentity('', {
      env: { POD_NAME: 'kubeding-7d9f-abcde', POD_NAMESPACE: 'ops' },
      readNamespaceFile: none,
    }),
    { identity: 'kubeding-7d9f-abcde', namespace: 'ops' },
  )
})

t.test(
  'the config namespace wins; the hostname and the service account file are the fallbacks',
  async (t) => {
    t.same(
      resolveIdentity('from-config', { env: { POD_NAMESPACE: 'ops' }, hostname: () => 'host-1' }),
      { identity: 'host-1', namespace: 'from-config' },
    )
    t.same(
      resolveIdentity('', {
        env: {},
        hostname: () => 'host-1',
        readNamespaceFile: () => 'sa-ns\n',
      }),
      {
        identity: 'host-1',
        namespace: 'sa-ns',
      },
    )
  },
)

t.test('no namespace anywhere, or a bad one: a clear error naming what to set', async (t) => {
  t.throws(() => resolveIdentity('', { env: {}, hostname: () => 'h', readNamespaceFile: none }), {
    message: /set leaderElection.namespace or POD_NAMESPACE/,
  })
  t.throws(
    () =>
      resolveIdentity('', {
        env: { POD_NAMESPACE: '../kube-system' },
        hostname: () => 'h',
        readNamespaceFile: none,
      }),
    { message: /POD_NAMESPACE/ },
  )
})
