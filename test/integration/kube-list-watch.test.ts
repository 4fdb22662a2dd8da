/** The generic list+watch loop, where the event source and node cache do not reach. */
import t, { type Test } from 'tap'
import { listPageOf } from '../../src/kube/list-page.ts'
import { createListWatch } from '../../src/kube/list-watch.ts'
import { buildNode } from '../helpers/event-builders.ts'
import { createFakeKubeApi, eventually, recordingLogger } from '../helpers/fake-kube-api.ts'

async function nodeLoop(
  t: Test,
  opts: { listTimeoutMs?: number; backoff?: { initialMs: number; maxMs: number } } = {},
) {
  const api = await createFakeKubeApi()
  const log = recordingLogger()
  const lists: unknown[][] = []
  const loop = createListWatch({
    kc: api.kubeConfig(),
    what: 'nodes',
    path: '/api/v1/nodes',
    listPage: listPageOf(api.kubeConfig(), '/api/v1/nodes'),
    onList: (items) => void lists.push(items),
    onChange: () => {},
    logger: log.logger,
    backoff: { initialMs: 10, maxMs: 20 },
    random: () => 0.5,
    ...opts,
  })
  t.teardown(async () => {
    await loop.stop()
    await api.stop()
  })
  return { api, loop, log, lists }
}

t.test(
  'a list page that gets no answer is abandoned after listTimeoutMs and retried',
  async (t) => {
    const { api, loop, log, lists } = await nodeLoop(t, { listTimeoutMs: 100 })
    api.addNode(buildNode('n1'))
    api.stallNext(1, 'list')
    loop.start()
    await eventually(() => loop.state().connected, 'connected after the retry')
    t.equal(lists.length, 1)
    t.equal(api.count('list'), 2)
    t.match(
      log.lines.find((l) => l.level === 'warn'),
      {
        obj: { code: 'TIMEOUT', status: undefined, retryInMs: 8 },
        msg: /did not answer in time/,
      },
    )
  },
)

t.test('stop() while a list is in flight aborts it and returns', async (t) => {
  const { api, loop, lists } = await nodeLoop(t)
  api.stallNext(1, 'list')
  loop.start()
  await eventually(() => api.count('list') === 1, 'list sent')
  const started = Date.now()
  await loop.stop()
  t.ok(Date.now() - started < 1000, 'stopped without waiting for the answer')
  t.equal(lists.length, 0)
  t.match(loop.state(), { listed: false, connected: false })
})

t.test('start() twice runs one loop', async (t) => {
  const { api, loop } = await nodeLoop(t)
  loop.start()
  loop.start()
  await eventually(() => loop.state().connected, 'connected')
  t.equal(api.count('list'), 1)
  t.equal(api.openWatchCount, 1)
})

t.test('streams dropped right after connecting are resumed quietly, never relisted', async (t) => {
  const { api, loop, log } = await nodeLoop(t)
  loop.start()
  await eventually(() => loop.state().connected && api.openWatchCount === 1, 'connected')
  for (let i = 0; i < 3; i++) {
    const watches = api.count('watch')
    api.dropWatches()
    await eventually(
      () => api.count('watch') === watches + 1 && api.openWatchCount === 1,
      `reconnect ${i}`,
    )
  }
  t.equal(api.count('list'), 1, 'resumed, never relisted')
  t.equal(loop.state().restarts, 0)
  t.notOk(
    log.lines.some((l) => l.level === 'warn'),
    'quiet: nothing went wrong',
  )
})

t.test('two 410s in a row: the first relists at once, the second after a backoff', async (t) => {
  const { api, loop, log } = await nodeLoop(t, { backoff: { initialMs: 200, maxMs: 200 } })
  api.failNext(2, 410, { on: 'watch', message: 'too old resource version' })
  loop.start()
  await eventually(
    () => api.count('list') === 3 && loop.state().connected,
    'third list, then watching',
  )
  const [list1, watch1, list2, watch2, list3] = api.requests
  t.same(
    [list1, watch1, list2, watch2, list3].map((r) => `${r?.verb}:${r?.status}`),
    ['list:200', 'watch:410', 'list:200', 'watch:410', 'list:200'],
  )
  const first = (list2?.at ?? 0) - (watch1?.at ?? 0)
  const second = (list3?.at ?? 0) - (watch2?.at ?? 0)
  t.ok(first < 150, `first relist after ${first} ms`)
  t.ok(second >= 145, `second relist after ${second} ms (backoff 150 ms with random 0.5)`)
  t.equal(loop.state().restarts, 2)
  t.equal(log.lines.filter((l) => /410/.test(l.msg)).length, 2)
})
