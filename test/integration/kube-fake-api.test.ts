/**
 * The fake API server against the real @kubernetes/client-node: if the library's own CoreV1Api
 * and Watch understand it, our watch code is tested against the real protocol.
 */
import { ApiException, CoreV1Api, KubeConfig, Watch } from '@kubernetes/client-node'
import t, { type Test } from 'tap'
import { buildEvent, buildNode } from '../helpers/event-builders.ts'
import { createFakeKubeApi, eventually, type FakeKubeApi } from '../helpers/fake-kube-api.ts'

async function fake(
  t: Test,
  opts: Parameters<typeof createFakeKubeApi>[0] = {},
): Promise<FakeKubeApi> {
  const api = await createFakeKubeApi(opts)
  t.teardown(() => api.stop())
  return api
}

interface Seen {
  type: string
  rv: string | undefined
  code?: number
}

/** Opens a watch with the library's Watch; returns what arrives and a promise of its end. */
async function libraryWatch(
  t: Test,
  api: FakeKubeApi,
  path: string,
  query: Record<string, string | number | boolean>,
) {
  const seen: Seen[] = []
  let done: (err: unknown) => void = () => {}
  const ended = new Promise<unknown>((resolve) => {
    done = resolve
  })
  const controller = await new Watch(api.kubeConfig()).watch(
    path,
    query,
    (type, object) =>
      seen.push({ type, rv: object?.metadata?.resourceVersion, code: object?.code }),
    (err) => done(err),
  )
  t.teardown(() => controller.abort())
  return { seen, ended }
}

t.test('401 with a Status body when the token is wrong or missing; setToken rotates', async (t) => {
  const api = await fake(t, { token: 'good' })
  const wrong = api.kubeConfig({ token: 'bad' }).makeApiClient(CoreV1Api)
  const err = await wrong.listNode().catch((e: unknown) => e)
  t.ok(err instanceof ApiException)
  t.equal((err as ApiException<unknown>).code, 401)
  const anonymous = await fetch(`${api.url}/api/v1/nodes`)
  t.equal(anonymous.status, 401)
  t.match(await anonymous.json(), { kind: 'Status', code: 401, reason: 'Unauthorized' })
  api.setToken('bad')
  t.same((await wrong.listNode()).items, [], 'the rotated token is accepted')
  t.equal(api.requests.at(-1)?.status, 200)
})

t.test('lists: all namespaces, one namespace, nodes; paging keeps one snapshot', async (t) => {
  const api = await fake(t)
  for (let i = 0; i < 5; i++) api.addEvent(buildEvent({ namespace: 'prod', name: `p${i}` }))
  api.addEvent(buildEvent({ namespace: 'dev', name: 'd0' }))
  api.addNode(buildNode('node-1'))
  const core = api.kubeConfig().makeApiClient(CoreV1Api)
  t.equal((await core.listEventForAllNamespaces()).items.length, 6)
  t.equal(
    (await core.listNamespacedEvent({ namespace: 'dev' })).items[0]?.involvedObject.name,
    'd0',
  )
  t.equal((await core.listNode()).items[0]?.metadata?.name, 'node-1')

  const first = await core.listNamespacedEvent({ namespace: 'prod', limit: 2 })
  t.equal(first.items.length, 2)
  t.equal(first.metadata?.remainingItemCount, 3)
  const rv = first.metadata?.resourceVersion
  api.addEvent(buildEvent({ namespace: 'prod', name: 'p9-late' }))
  const names = first.items.map((e) => e.involvedObject.name)
  let token = first.metadata?._continue
  while (token) {
    const page = await core.listNamespacedEvent({ namespace: 'prod', limit: 2, _continue: token })
    t.equal(page.metadata?.resourceVersion, rv, 'every page carries the first page resourceVersion')
    names.push(...page.items.map((e) => e.involvedObject.name))
    token = page.metadata?._continue
  }
  t.same(names, ['p0', 'p1', 'p2', 'p3', 'p4'], 'the event added mid-way is not in the snapshot')
  t.same(
    api.requests.filter((r) => r.namespace === 'prod').map((r) => r.limit),
    [2, 2, 2],
  )
  const stale = await core
    .listNamespacedEvent({ namespace: 'prod', _continue: 'nope' })
    .catch((e: unknown) => e)
  t.equal((stale as ApiException<unknown>).code, 410, 'an unknown continue token is 410')
})

t.test(
  'the library Watch: replay after the resourceVersion, live changes, bookmarks, namespace filter',
  async (t) => {
    const api = await fake(t)
    const before = api.addEvent(buildEvent({ namespace: 'prod', name: 'old' }))
    const from = api.resourceVersion
    api.updateEvent('prod', before.metadata.name)
    api.addEvent(buildEvent({ namespace: 'dev', name: 'elsewhere' }))
    const { seen } = await libraryWatch(t, api, '/api/v1/namespaces/prod/events', {
      resourceVersion: from,
      allowWatchBookmarks: true,
    })
    const live = api.addEvent(buildEvent({ namespace: 'prod', name: 'live' }))
    const bookmark = api.bookmark()
    api.deleteEvent('prod', live.metadata.name)
    await eventually(() => seen.length === 4, 'four lines')
    t.same(
      seen.map((s) => s.type),
      ['MODIFIED', 'ADDED', 'BOOKMARK', 'DELETED'],
    )
    t.equal(seen[2]?.rv, bookmark)
    const record = api.requests.at(-1)
    t.match(record, {
      verb: 'watch',
      namespace: 'prod',
      resourceVersion: from,
      allowWatchBookmarks: true,
      status: 200,
    })
  },
)

t.test('no bookmarks unless asked; timeoutSeconds ends the stream', async (t) => {
  const api = await fake(t)
  const { seen, ended } = await libraryWatch(t, api, '/api/v1/nodes', {
    resourceVersion: api.resourceVersion,
    timeoutSeconds: 1,
  })
  api.bookmark()
  api.addNode(buildNode('n1'))
  t.equal(await ended, null, 'the server ended the stream normally')
  t.same(
    seen.map((s) => s.type),
    ['ADDED'],
  )
})

t.test('compaction: 410 in the stream, or as HTTP 410, and open watches are expired', async (t) => {
  const api = await fake(t)
  const old = api.resourceVersion
  const open = await libraryWatch(t, api, '/api/v1/events', { resourceVersion: old })
  api.compact()
  t.equal(await open.ended, null)
  t.match(open.seen, [{ type: 'ERROR', code: 410 }], 'the open watch got ERROR 410')

  const late = await libraryWatch(t, api, '/api/v1/events', { resourceVersion: old })
  await late.ended
  t.match(
    late.seen,
    [{ type: 'ERROR', code: 410 }],
    'a watch from the old resourceVersion gets ERROR 410',
  )

  api.expiredWatchAs = 'http'
  const refused = await libraryWatch(t, api, '/api/v1/events', { resourceVersion: old })
  t.match(await refused.ended, { statusCode: 410 })
  t.equal(api.requests.at(-1)?.status, 410)
  const current = await libraryWatch(t, api, '/api/v1/events', {
    resourceVersion: api.resourceVersion,
  })
  api.addEvent(buildEvent())
  await eventually(() => current.seen.length === 1, 'a current resourceVersion still works')
})

t.test('failNext, garbage, dropWatches, and the server going away and back', async (t) => {
  const api = await fake(t)
  const core = api.kubeConfig().makeApiClient(CoreV1Api)
  api.failNext(1, 503, { on: 'list', message: 'etcd leader changed' })
  const err = (await core.listNode().catch((e: unknown) => e)) as ApiException<string>
  t.equal(err.code, 503)
  t.match(JSON.parse(err.body), { message: 'etcd leader changed', reason: 'ServiceUnavailable' })
  t.equal((await core.listNode()).items.length, 0, 'only the next one failed')

  const w = await libraryWatch(t, api, '/api/v1/nodes', { resourceVersion: api.resourceVersion })
  api.injectGarbage()
  api.addNode(buildNode('n1'))
  await eventually(() => w.seen.length === 1, 'the line after the garbage')
  api.dropWatches()
  t.equal(await w.ended, null)
  await eventually(() => api.openWatchCount === 0, 'no open watch')

  const port = new URL(api.url).port
  await api.stop()
  const refused = await core.listNode().catch((e: unknown) => e)
  t.match(String((refused as Error).cause ?? refused), /ECONNREFUSED/)
  await api.restart()
  t.equal(new URL(api.url).port, port, 'same port')
  t.equal((await core.listNode()).items.length, 1, 'same state')
})

t.test('kubeconfigYaml is a kubeconfig the library loads', async (t) => {
  const api = await fake(t, { token: 'tok' })
  const kc = new KubeConfig()
  kc.loadFromString(api.kubeconfigYaml({ context: 'test' }))
  t.equal(kc.getCurrentContext(), 'test')
  t.same((await kc.makeApiClient(CoreV1Api).listNode()).items, [])
})

t.test('events.k8s.io style repeats bump series, core repeats bump count', async (t) => {
  const api = await fake(t)
  const core = api.addEvent(buildEvent({ name: 'a', lastTimestamp: '2026-11-24T03:00:00Z' }))
  const series = api.addEvent(buildEvent({ name: 'b', style: 'events.k8s.io', seriesCount: 2 }))
  const c2 = api.updateEvent('default', core.metadata.name)
  t.equal(c2.count, 2)
  t.equal(c2.lastTimestamp, '2026-11-24T03:00:10.000Z')
  t.ok(Number(c2.metadata.resourceVersion) > Number(core.metadata.resourceVersion))
  const s2 = api.updateEvent('default', series.metadata.name, { at: '2026-11-24T04:00:00.000Z' })
  t.match(s2.series, { count: 3, lastObservedTime: '2026-11-24T04:00:00.000Z' })
  t.equal(s2.count, undefined)
  t.throws(() => api.updateEvent('default', 'missing'), /no events default\/missing/)
  t.throws(() => api.addEvent(core), /already exists/)
})
