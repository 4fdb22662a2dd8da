/** The node cache against the fake API server, through the real client library. */
import t, { type Test } from 'tap'
import { createNodeCache, type NodeCache } from '../../src/kube/node-cache.ts'
import type { Backoff } from '../../src/kube/watch-events.ts'
import { buildNode, TRANSITION_TIME } from '../helpers/event-builders.ts'
import {
  createFakeKubeApi,
  eventually,
  type FakeKubeApi,
  recordingLogger,
} from '../helpers/fake-kube-api.ts'

/**
 * The cache against a fresh fake API server, started; by default once its watch is connected.
 * `until` replaces that wait for a server that never lets it connect.
 */
async function harness(
  t: Test,
  setup: (api: FakeKubeApi) => void = () => {},
  o: { backoff?: Backoff; until?: (cache: NodeCache, api: FakeKubeApi) => boolean } = {},
) {
  const api = await createFakeKubeApi()
  setup(api)
  const log = recordingLogger()
  const cache = createNodeCache({
    kc: api.kubeConfig(),
    logger: log.logger,
    backoff: o.backoff ?? { initialMs: 20, maxMs: 100 },
  })
  t.teardown(async () => {
    await cache.stop()
    await api.stop()
  })
  cache.start()
  const ready = o.until ?? (() => cache.state().connected && api.openWatchCount === 1)
  await eventually(
    () => ready(cache, api),
    o.until ? 'the cache to get there' : 'node watch connected',
  )
  return { api, cache, log }
}

const summary = (cache: ReturnType<typeof createNodeCache>) =>
  cache.problemNodes().map((n) => `${n.name}:${n.ready}:${n.problems.map((p) => p.type).join('+')}`)

t.test(
  'the list fills the cache; only nodes with problems are listed, NotReady first then by name',
  async (t) => {
    const { cache } = await harness(t, (api) => {
      api.addNode(buildNode('b-healthy'))
      api.addNode(
        buildNode('d-kernel', [{ type: 'KernelDeadlock', status: 'True', reason: 'DockerHung' }]),
      )
      api.addNode(
        buildNode('c-notready', [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }]),
      )
      api.addNode(
        buildNode('a-unknown', [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }]),
      )
      api.addNode(buildNode('a-disk', [{ type: 'DiskPressure', status: 'True' }]))
    })
    t.equal(cache.size(), 5)
    t.same(summary(cache), [
      'a-unknown:Unknown:Ready',
      'c-notready:False:Ready',
      'a-disk:True:DiskPressure',
      'd-kernel:True:KernelDeadlock',
    ])
    t.match(cache.problemNodes()[3]?.problems[0], {
      reason: 'DockerHung',
      since: Date.parse(TRANSITION_TIME),
    })
    t.match(cache.state(), { listed: true, connected: true })
  },
)

t.test('watch updates: NPD conditions set and cleared, nodes added and deleted', async (t) => {
  const { api, cache } = await harness(t, (api) => {
    api.addNode(buildNode('n1'))
  })
  t.same(cache.problemNodes(), [])
  api.updateNode('n1', [
    {
      type: 'ReadonlyFilesystem',
      status: 'True',
      reason: 'FilesystemIsReadOnly',
      message: 'Remounting filesystem read-only',
    },
  ])
  await eventually(() => cache.problemNodes().length === 1, 'n1 has a problem')
  t.match(cache.problemNodes()[0], {
    name: 'n1',
    ready: 'True',
    problems: [{ type: 'ReadonlyFilesystem', message: 'Remounting filesystem read-only' }],
  })

  api.addNode(
    buildNode('n2', [
      { type: 'Ready', status: 'False' },
      { type: 'FDPressure', status: 'True' },
    ]),
  )
  await eventually(() => cache.size() === 2 && cache.problemNodes().length === 2, 'n2 arrived')
  t.same(summary(cache), ['n2:False:Ready+FDPressure', 'n1:True:ReadonlyFilesystem'])

  api.updateNode('n1', [
    { type: 'ReadonlyFilesystem', status: 'False', reason: 'FilesystemIsNotReadOnly' },
  ])
  api.deleteNode('n2')
  await eventually(() => cache.size() === 1 && cache.problemNodes().length === 0, 'both resolved')
})

t.test(
  'heartbeat-only updates keep the same answer object; a relist drops nodes deleted meanwhile',
  async (t) => {
    const { api, cache } = await harness(t, (api) => {
      api.addNode(buildNode('n1', [{ type: 'MemoryPressure', status: 'True' }]))
      api.addNode(buildNode('n2'))
    })
    const before = cache.problemNodes()
    api.updateNode('n1', [
      { type: 'MemoryPressure', status: 'True', lastHeartbeatTime: '2026-11-24T03:00:10Z' },
    ])
    api.addNode(buildNode('marker'))
    await eventually(() => cache.size() === 3, 'marker seen')
    t.same(cache.problemNodes(), before)
    t.equal(cache.problemNodes()[0], before[0], 'not recomputed: same NodeInfo object')

    await api.stop()
    await eventually(() => !cache.state().connected, 'down')
    // Deleted while the watch is away, and the history gone: only a relist can notice.
    api.deleteNode('n2')
    api.compact()
    await api.restart()
    await eventually(
      () => api.count('list') === 2 && cache.state().connected,
      'relisted and watching',
    )
    t.equal(cache.size(), 2)
    t.same(summary(cache), ['n1:True:MemoryPressure'])
  },
)

t.test('a Node without a name is logged and skipped, in a list and in the watch', async (t) => {
  const nameless = buildNode('x')
  nameless.metadata.name = ''
  const { api, cache, log } = await harness(t, (api) => {
    api.addNode(nameless)
  })
  t.equal(cache.size(), 0)
  api.deleteNode('')
  api.addNode(nameless)
  api.addNode(buildNode('ok', [{ type: 'PIDPressure', status: 'True' }]))
  await eventually(() => cache.size() === 1, 'ok node')
  const warned = log.lines.filter((l) => l.level === 'warn' && /without a name/.test(l.msg))
  t.equal(warned.length, 3, 'the listed one, its deletion, the added one')
})

t.test('problemNodes is fast with 5,000 nodes', async (t) => {
  let notReady = 0
  let kernel = 0
  const { api, cache } = await harness(t, (api) => {
    for (let i = 0; i < 5000; i++) {
      const conditions =
        i % 10 === 0
          ? [{ type: 'Ready', status: 'False' as const }]
          : i % 7 === 0
            ? [{ type: 'KernelDeadlock', status: 'True' as const }]
            : []
      if (i % 10 === 0) notReady++
      else if (i % 7 === 0) kernel++
      api.addNode(buildNode(`node-${String(i).padStart(4, '0')}`, conditions))
    }
  })
  t.equal(cache.size(), 5000)
  const started = performance.now()
  for (let i = 0; i < 1000; i++) cache.problemNodes()
  const perCall = (performance.now() - started) / 1000
  t.ok(perCall < 1, `${perCall.toFixed(3)} ms per call`)
  const nodes = cache.problemNodes()
  t.equal(nodes.length, notReady + kernel)
  t.equal(nodes[0]?.name, 'node-0000')
  t.equal(nodes[notReady - 1]?.ready, 'False')
  t.equal(nodes[notReady]?.ready, 'True')
  t.equal(api.count('list'), 10, 'listed in pages of 500')
})

t.test(
  'a relist that fails after its first page changes nothing; the next complete one replaces what is known',
  async (t) => {
    const lists: number[] = []
    const api = await createFakeKubeApi()
    for (let i = 0; i < 600; i++) api.addNode(buildNode(`node-${String(i).padStart(4, '0')}`))
    const cache = createNodeCache({
      kc: api.kubeConfig(),
      logger: recordingLogger().logger,
      backoff: { initialMs: 20, maxMs: 100 },
      listener: { onList: (nodes) => lists.push(nodes.length), onChange() {}, onDelete() {} },
    })
    t.teardown(async () => {
      await cache.stop()
      await api.stop()
    })
    cache.start()
    await eventually(() => cache.state().connected, 'watching')
    t.same(lists, [600], 'told the whole list once, after both pages')
    const release = api.holdNextPage()
    api.compact()
    await eventually(() => api.heldPageCount === 1, 'the relist at its second page')
    t.equal(cache.size(), 600, 'the first page alone replaces nothing')
    api.deleteNode('node-0599')
    api.failNext(1, 410, { on: 'list', message: 'continue token expired' })
    release()
    await eventually(() => lists.length === 2 && cache.state().connected, 'listed again')
    t.same(lists, [600, 599], 'the failed list was never told')
    t.equal(cache.size(), 599, 'the complete list removed the node deleted meanwhile')
  },
)

t.test(
  'a node list whose continue tokens never end is abandoned after 40 pages, not kept',
  async (t) => {
    const { api, cache } = await harness(
      t,
      (api) => {
        for (let i = 0; i < 3; i++) api.addNode(buildNode(`n${i}`))
        api.endlessLists = 'new-token'
      },
      // Long: the retry does not come while the test looks.
      { backoff: { initialMs: 60_000, maxMs: 60_000 }, until: (c) => c.state().restarts === 1 },
    )
    t.equal(api.count('list'), 40, '20,000 nodes at most: no page past it was asked for')
    t.match(cache.state(), { listed: false, lastError: /did not end within 40 pages/ })
    t.equal(cache.size(), 0, 'nothing of the abandoned list is kept')
  },
)
