/** The generic list+watch loop, where the event source and node cache do not reach. */

import { performance } from 'node:perf_hooks'
import t, { type Test } from 'tap'
import { listPageOf } from '../../src/kube/list-page.ts'
import { createListWatch, MAX_LIST_PAGES, WATCH_PROVEN_MS } from '../../src/kube/list-watch.ts'
import type { NoticeMessage } from '../../src/notify/outbox-message.ts'
import { toChatWatch } from '../../src/service-status.ts'
import { createWatchDownNotice } from '../../src/watch-down-notice.ts'
import { buildNode } from '../helpers/event-builders.ts'
import { createFakeKubeApi, eventually, recordingLogger } from '../helpers/fake-kube-api.ts'

async function nodeLoop(
  t: Test,
  opts: {
    listTimeoutMs?: number
    backoff?: { initialMs: number; maxMs: number }
    random?: () => number
    probeMs?: number
    now?: () => number
  } = {},
) {
  const api = await createFakeKubeApi()
  const log = recordingLogger()
  /** Each list's items, gathered from its pages. */
  const lists: unknown[][] = []
  /** When each node name first came by, in a list or from the watch. */
  const seen = new Map<string, number>()
  const see = (object: unknown) => {
    const name = (object as { metadata?: { name?: string } }).metadata?.name ?? ''
    if (!seen.has(name)) seen.set(name, performance.now())
  }
  const loop = createListWatch({
    kc: api.kubeConfig(),
    what: 'nodes',
    path: '/api/v1/nodes',
    listPage: listPageOf(api.kubeConfig(), '/api/v1/nodes'),
    onListPage: (items, page) => {
      if (page.first) lists.push([])
      lists.at(-1)?.push(...items)
      for (const item of items) see(item)
    },
    onChange: (_type, object) => see(object),
    logger: log.logger,
    backoff: { initialMs: 10, maxMs: 20 },
    random: () => 0.5,
    ...opts,
  })
  t.teardown(async () => {
    await loop.stop()
    await api.stop()
  })
  return { api, loop, log, lists, seen }
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

/**
 * The default backoff's shape (doubling, capped at 30 times the first step, equal jitter) and a
 * 10 s outage, at a quarter of the scale: 250 ms doubling to 7.5 s, a probe every 250 ms, the
 * server away for 2.5 s. "Alerted within 2 s" of the server's return becomes 500 ms here.
 */
const QUARTER = { backoff: { initialMs: 250, maxMs: 7_500 }, probeMs: 250, random: Math.random }

for (const compacted of [false, true]) {
  t.test(
    `an outage costs no more than its length${compacted ? ', even when the server comes back with a 410' : ''}`,
    async (t) => {
      // No jitter: the 2 s wait then spans the server's return, so it is the probe that sees
      // it back. With jitter, a wait that happened to end just as the server came back
      // reconnected before any probe reached it, and /readyz was never asked (a flake).
      const { api, loop, log, lists, seen } = await nodeLoop(t, { ...QUARTER, random: () => 1 })
      loop.start()
      await eventually(() => loop.state().connected && api.openWatchCount === 1, 'watching')
      await api.stop()
      await new Promise((r) => setTimeout(r, 2_500))
      const failed = log.lines.filter((l) => l.obj.retryInMs !== undefined).length
      t.ok(failed >= 4, `${failed} failed attempts: the backoff grew during the outage`)
      // A new API server's watch cache: the old resourceVersion is too old for it.
      if (compacted) api.compact()
      await api.restart()
      const back = performance.now()
      api.addNode(buildNode('after-outage'))
      await eventually(() => seen.has('after-outage'), 'the node created after the return', 5_000)
      const took = (seen.get('after-outage') ?? 0) - back
      t.ok(took < 500, `seen ${took.toFixed(0)} ms after the server came back`)
      t.ok(api.readyzRequests > 0, 'the wait asked /readyz while the server was away')
      t.equal(lists.length, compacted ? 2 : 1, compacted ? 'listed again at once' : 'resumed')
      await eventually(() => loop.state().connected, 'connected')
    },
  )
}

// A watch the server merely accepted used to reset the backoff; one that proved itself does
// (here with a bookmark, before any event).
t.test('a watch that proved itself resets the backoff, even before any event', async (t) => {
  const { api, loop, log } = await nodeLoop(t, { ...QUARTER, random: () => 1 })
  loop.start()
  await eventually(() => loop.state().connected && api.openWatchCount === 1, 'watching')
  await api.stop()
  await eventually(
    () => log.lines.filter((l) => l.obj.retryInMs !== undefined).length >= 4,
    'four failures',
    10_000,
  )
  await api.restart()
  await eventually(() => loop.state().connected && api.openWatchCount === 1, 'watching again')
  api.bookmark()
  await eventually(() => loop.state().downSince === undefined, 'the bookmark proved it')
  const before = log.lines.length
  // A second outage, with no event in between: its first retry is the first step again.
  await api.stop()
  await eventually(
    () => log.lines.slice(before).some((l) => l.obj.retryInMs !== undefined),
    'a failure',
  )
  const retry = log.lines.slice(before).find((l) => l.obj.retryInMs !== undefined)
  t.match(retry?.obj, { attempt: 1, retryInMs: 250 }, 'the first step again, not the fifth')
})

t.test('an answered failure waits its backoff without asking /readyz', async (t) => {
  const { api, loop } = await nodeLoop(t, { ...QUARTER, backoff: { initialMs: 600, maxMs: 600 } })
  api.failNext(1, 500, { on: 'list', message: 'etcdserver: request timed out' })
  loop.start()
  await eventually(() => loop.state().connected, 'connected after the backoff', 5_000)
  const [list1, list2] = api.requests
  const waited = (list2?.at ?? 0) - (list1?.at ?? 0)
  t.ok(waited >= 295, `retried after ${waited} ms, not woken by the ready server`)
  t.equal(api.readyzRequests, 0)
})

/**
 * A server that accepts every watch (HTTP 200) and fails it at once. The clock is the loop's own
 * (`now`) and moves 4 s per watch request seen: never the WATCH_PROVEN_MS one stream would need
 * to count as up (a new request only comes after the last stream ended), yet minutes in all.
 */
async function flapping(t: Test, how: 'error' | 'reset' | 'empty') {
  const clock = { t: 1_000_000 }
  const now = () => clock.t
  const h = await nodeLoop(t, { now, backoff: { initialMs: 1, maxMs: 4 } })
  const told: NoticeMessage[] = []
  const notice = createWatchDownNotice({
    watch: () => h.loop.state(),
    eventsTaken: () => 0,
    isSender: () => true,
    announce: (n) => void told.push(n),
    downAfterMs: 5 * 60_000,
    now,
    settleMs: 5_000,
  })
  /** Moves the clock `stepMs` at each of the next `n` watch requests, asking the notice each time. */
  const flap = async (n: number, stepMs = 4_000) => {
    for (let i = 0; i < n; i++) {
      const seen = h.api.count('watch')
      await eventually(() => h.api.count('watch') > seen, `watch request ${seen + 1}`)
      clock.t += stepMs
      notice.check()
    }
  }
  h.api.flapWatches = how
  return { ...h, clock, told, notice, flap }
}

const attempts = (log: ReturnType<typeof recordingLogger>) =>
  log.lines.map((l) => l.obj.attempt).filter((a): a is number => typeof a === 'number')

for (const how of ['error', 'reset', 'empty'] as const) {
  t.test(
    `every watch accepted then failed at once (${how}): the outage keeps its start, the backoff grows, the group is told`,
    async (t) => {
      const { api, loop, log, clock, told, flap } = await flapping(t, how)
      const since = clock.t
      loop.start()
      await flap(80) // 80 watches, 320 s: past watchDownAfter (5 min)
      // The next watch gets no answer: no stream is open while the state is looked at.
      api.stallNext(1, 'watch')
      await flap(1, 0)
      const state = loop.state()
      t.equal(state.listed, true)
      t.equal(api.count('list'), 1, 'resumed each time, never relisted')
      t.equal(state.downSince, since, 'down since the first watch, not since the last flap')
      t.equal(state.connected, false, 'kubeding_watch_up 0')
      t.match(toChatWatch(state, since), { state: 'down', since }, '`status` says down')
      t.match(told, [{ kind: 'notice', topic: 'watch-down', since }], 'watchDownAfter is told')
      t.ok(Math.max(...attempts(log)) >= 20, `the backoff grew (attempt ${attempts(log).at(-1)})`)
      t.ok(state.lastError, `the reason shows: ${state.lastError}`)
    },
  )
}

t.test(
  'after the flapping, a quiet watch that stays open WATCH_PROVEN_MS is up: told back, and the backoff starts over',
  async (t) => {
    const { api, loop, log, clock, told, notice, flap } = await flapping(t, 'error')
    loop.start()
    await flap(80)
    t.equal(told.length, 1, 'told down')
    api.flapWatches = undefined
    await flap(1, 0)
    await eventually(() => api.openWatchCount === 1 && loop.state().connected, 'a watch that stays')
    clock.t += WATCH_PROVEN_MS - 1
    t.ok(loop.state().downSince, 'open, but not up before WATCH_PROVEN_MS')
    clock.t += 1
    t.equal(loop.state().downSince, undefined, 'up once it stayed open WATCH_PROVEN_MS')
    t.match(toChatWatch(loop.state(), 0), { state: 'watching' })
    notice.check()
    clock.t += 5_000
    notice.check()
    t.match(told, [{ topic: 'watch-down' }, { topic: 'watch-back' }], 'told back')
    const before = log.lines.length
    api.flapWatches = 'error'
    api.dropWatches()
    await flap(2, 0)
    const next = log.lines.slice(before).find((l) => l.obj.attempt !== undefined)
    t.match(next?.obj, { attempt: 1 }, 'the backoff starts again from its first step')
  },
)

t.test(
  "a proven watch that ends is resumed with its standing; the resumed one failing dates the outage from the good one's end",
  async (t) => {
    const clock = { t: 1_000_000 }
    const { api, loop } = await nodeLoop(t, { now: () => clock.t })
    loop.start()
    await eventually(() => loop.state().connected && api.openWatchCount === 1, 'watching')
    clock.t += WATCH_PROVEN_MS
    t.equal(loop.state().downSince, undefined, 'a quiet watch open WATCH_PROVEN_MS is up')
    const endedAt = clock.t
    api.dropWatches() // the server's timeout: routine
    await eventually(() => api.count('watch') === 2 && api.openWatchCount === 1, 'resumed')
    t.equal(loop.state().downSince, undefined, 'a routine resume is no outage')
    t.equal(loop.state().restarts, 0)
    clock.t += 1_000
    api.flapWatches = 'error'
    api.dropWatches() // the resumed watch ends before it proved itself, and the next ones fail
    await eventually(() => api.count('watch') >= 4, 'flapping')
    t.equal(loop.state().downSince, endedAt, 'down since the good watch ended')
  },
)

t.test(
  'a list whose continue token comes back again is abandoned: logged, counted, retried from its first page after a backoff',
  async (t) => {
    const { api, loop, log } = await nodeLoop(t, { backoff: { initialMs: 100, maxMs: 100 } })
    api.addNode(buildNode('n1'))
    api.endlessLists = 'same-token'
    loop.start()
    const failedLines = () =>
      log.lines.filter((l) => /continue token it already sent/.test(`${l.obj.error}`))
    // The fourth request is the second list's repeated token: wait until the loop took its answer.
    await eventually(() => failedLines().length >= 2, 'listed again, and refused again')
    const [p1, p2, p3, p4] = api.requests
    t.same(
      [p1, p2, p3, p4].map((r) => `${r?.verb}:${r?.continue ?? 'first'}`),
      ['list:first', 'list:same-token', 'list:first', 'list:same-token'],
      'the repeated token is not followed: the next list starts over',
    )
    const waited = (p3?.at ?? 0) - (p2?.at ?? 0)
    t.ok(waited >= 45, `retried after ${waited} ms (a backoff of 50-100 ms)`)
    t.match(failedLines().slice(0, 2), [
      { level: 'error', obj: { attempt: 1 }, msg: /listing nodes failed: .*broken/ },
      { level: 'error', obj: { attempt: 2 } },
    ])
    t.match(loop.state(), { listed: false, connected: false, lastError: /continue token/ })
    t.ok(loop.state().restarts >= 2, 'counted')
    t.equal(api.count('watch'), 0, 'never watched from a list that did not end')
    api.endlessLists = undefined
    await eventually(() => loop.state().listed && loop.state().connected, 'listed once it ends')
  },
)

t.test(
  `a list that does not end within MAX_LIST_PAGES (${MAX_LIST_PAGES}) pages is abandoned as a failure`,
  async (t) => {
    // A long backoff: the retry does not come while the test looks.
    const { api, loop, log } = await nodeLoop(t, { backoff: { initialMs: 60_000, maxMs: 60_000 } })
    api.addNode(buildNode('n1'))
    api.endlessLists = 'new-token'
    loop.start()
    const abandoned = () => log.lines.find((l) => /did not end within/.test(`${l.obj.error}`))
    await eventually(
      () => abandoned() !== undefined || api.count('list') > MAX_LIST_PAGES,
      'the list abandoned',
      30_000,
    )
    t.match(abandoned(), { level: 'error', obj: { attempt: 1, retryInMs: Number } })
    t.equal(api.count('list'), MAX_LIST_PAGES, 'no page past the cap was asked for')
    t.match(loop.state(), {
      listed: false,
      restarts: 1,
      lastError: /did not end within 1000 pages/,
    })
    t.equal(api.count('watch'), 0)
  },
)
