/**
 * The event source against the fake API server, through the real client library: list, watch,
 * resume, 410, outages, bad lines, and a clean stop.
 */
import t, { type Test } from 'tap'
import type { ClusterEvent } from '../../src/kube/cluster-event.ts'
import {
  createEventSource,
  type EventListPage,
  type EventSourceHandlers,
} from '../../src/kube/watch-events.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import {
  createFakeKubeApi,
  eventually,
  type FakeKubeApi,
  type FakeKubeApiOptions,
  recordingLogger,
} from '../helpers/fake-kube-api.ts'

const FAST = { initialMs: 20, maxMs: 100 }

interface Harness {
  api: FakeKubeApi
  /** Each complete list, gathered from its pages. */
  lists: ClusterEvent[][]
  /** Every page handed over, in order. */
  pages: { events: ClusterEvent[]; page: EventListPage }[]
  events: ClusterEvent[]
  deleted: string[]
  log: ReturnType<typeof recordingLogger>
  source: ReturnType<typeof createEventSource>
}

async function harness(
  t: Test,
  opts: {
    api?: FakeKubeApiOptions
    clientToken?: string
    namespaces?: string[]
    pageSize?: number
    watchTimeoutSeconds?: number
    handlers?: Partial<EventSourceHandlers>
  } = {},
): Promise<Harness> {
  const api = await createFakeKubeApi(opts.api)
  const lists: ClusterEvent[][] = []
  const pages: Harness['pages'] = []
  let listing: ClusterEvent[] = []
  const gather: EventSourceHandlers['onListPage'] = (list, page) => {
    pages.push({ events: list, page })
    if (page.first) listing = []
    listing.push(...list)
    if (page.last) lists.push(listing)
  }
  const events: ClusterEvent[] = []
  const deleted: string[] = []
  const log = recordingLogger()
  const source = createEventSource({
    kc: api.kubeConfig(opts.clientToken ? { token: opts.clientToken } : {}),
    namespaces: opts.namespaces ?? [],
    handlers: {
      onListPage: opts.handlers?.onListPage ?? gather,
      onEvent: opts.handlers?.onEvent ?? ((event) => void events.push(event)),
      onDeleted:
        opts.handlers?.onDeleted ?? ((uid, created) => void deleted.push(`${uid}@${created}`)),
      ...(opts.handlers?.onInvalid ? { onInvalid: opts.handlers.onInvalid } : {}),
    },
    logger: log.logger,
    backoff: FAST,
    ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
    ...(opts.watchTimeoutSeconds ? { watchTimeoutSeconds: opts.watchTimeoutSeconds } : {}),
  })
  t.teardown(async () => {
    await source.stop()
    await api.stop()
  })
  return { api, lists, pages, events, deleted, log, source }
}

const connected = (h: Harness) =>
  eventually(() => h.source.state().connected && h.api.openWatchCount > 0, 'watch connected')
const names = (events: ClusterEvent[]) => events.map((e) => e.name)

t.test(
  'lists first, then watches from the list resourceVersion: ADDED and MODIFIED arrive as events, DELETED as the uid',
  async (t) => {
    const h = await harness(t)
    const first = h.api.addEvent(buildEvent({ name: 'before', namespace: 'prod' }))
    const state0 = h.source.state()
    t.match(state0, { listed: false, connected: false, restarts: 0 })
    h.source.start()
    await connected(h)
    t.same(names(h.lists[0] ?? []), ['before'])
    t.match(h.source.state(), { listed: true, connected: true, restarts: 0 })
    // Connected is not up: an accepted watch counts once it proved itself (here, a bookmark).
    t.ok(h.source.state().downSince, 'open, but nothing came through yet')
    h.api.bookmark()
    await eventually(() => h.source.state().downSince === undefined, 'up once a bookmark came')
    t.ok(h.source.state().lastListAt)
    const watch = h.api.requests.find((r) => r.verb === 'watch')
    t.match(watch, {
      resourceVersion: first.metadata.resourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
    })

    const added = h.api.addEvent(buildEvent({ name: 'live', namespace: 'prod', count: 1 }))
    h.api.updateEvent('prod', added.metadata.name)
    h.api.deleteEvent('prod', added.metadata.name)
    const marker = h.api.addEvent(buildEvent({ name: 'marker' }))
    await eventually(() => h.events.some((e) => e.uid === marker.metadata.uid), 'marker event')
    t.same(
      h.events.map((e) => [e.name, e.count]),
      [
        ['live', 1],
        ['live', 2],
        ['marker', 1],
      ],
    )
    t.same(
      h.deleted,
      [`${added.metadata.uid}@${Date.parse(String(added.metadata.creationTimestamp))}`],
      'the deletion is told by uid and creation time',
    )
    t.equal(h.events[1]?.resourceVersion, String(Number(added.metadata.resourceVersion) + 1))
    t.ok(h.source.state().lastEventAt)
    t.equal(h.api.count('list'), 1)
  },
)

/** Five events listed in pages of two, started with the second page held until `release()`. */
async function heldAtSecondPage(t: Test) {
  const h = await harness(t, { pageSize: 2 })
  for (let i = 0; i < 5; i++) h.api.addEvent(buildEvent({ name: `e${i}` }))
  const release = h.api.holdNextPage()
  h.source.start()
  await eventually(() => h.api.heldPageCount === 1, 'the second page asked for')
  return { h, release }
}

t.test('a large list is handed over page by page, each as it arrives', async (t) => {
  const { h, release } = await heldAtSecondPage(t)
  t.same(
    h.pages.map((p) => [names(p.events), p.page]),
    [[['e0', 'e1'], { first: true, last: false, scope: undefined }]],
    'the first page is handed over before the second is served',
  )
  t.match(h.source.state(), { listed: false }, 'not listed before the last page')
  release()
  await connected(h)
  t.same(
    h.pages.map((p) => [names(p.events), p.page.first, p.page.last]),
    [
      [['e0', 'e1'], true, false],
      [['e2', 'e3'], false, false],
      [['e4'], false, true],
    ],
  )
  t.match(h.source.state(), { listed: true })
  const lists = h.api.requests.filter((r) => r.verb === 'list')
  t.same(
    lists.map((r) => [r.limit, Boolean(r.continue)]),
    [
      [2, false],
      [2, true],
      [2, true],
    ],
  )
})

for (const status of [410, 500]) {
  t.test(
    `a list whose continue request gets ${status} is not complete: listed again from its first page`,
    async (t) => {
      const { h, release } = await heldAtSecondPage(t)
      h.api.failNext(1, status, { on: 'list', message: 'continue token expired' })
      release()
      await connected(h)
      t.same(
        h.pages.map((p) => [names(p.events), p.page.first, p.page.last]),
        [
          [['e0', 'e1'], true, false],
          [['e0', 'e1'], true, false],
          [['e2', 'e3'], false, false],
          [['e4'], false, true],
        ],
        'the failed list never got a last page; the next began again with a first',
      )
      t.same(
        h.api.requests.filter((r) => r.verb === 'list').map((r) => [Boolean(r.continue), r.status]),
        [
          [false, 200],
          [true, status],
          [false, 200],
          [true, 200],
          [true, 200],
        ],
      )
      t.equal(h.lists.length, 1, 'one complete list')
      t.equal(h.source.state().restarts, 1)
      t.equal(
        h.api.requests.find((r) => r.verb === 'watch')?.resourceVersion,
        h.api.resourceVersion,
        'watching from the complete list',
      )
    },
  )
}

t.test(
  'a stream the server ends is resumed from the last resourceVersion, without a list',
  async (t) => {
    const h = await harness(t)
    h.source.start()
    await connected(h)
    const seen = h.api.addEvent(buildEvent({ name: 'seen' }))
    await eventually(() => h.events.length === 1, 'first event')
    h.api.dropWatches()
    const missed = h.api.addEvent(buildEvent({ name: 'while-reconnecting' }))
    await eventually(() => h.events.length === 2, 'the event written between the streams')
    t.equal(h.events[1]?.uid, missed.metadata.uid)
    const watches = h.api.requests.filter((r) => r.verb === 'watch')
    t.equal(watches.length, 2)
    t.equal(
      watches[1]?.resourceVersion,
      seen.metadata.resourceVersion,
      'resumed from the last event seen',
    )
    t.equal(h.api.count('list'), 1, 'no relist')
    t.equal(h.source.state().restarts, 0, 'a routine resume is not a restart')
  },
)

t.test('timeoutSeconds is asked for; the stream it ends is resumed', async (t) => {
  const h = await harness(t, { watchTimeoutSeconds: 1 })
  h.source.start()
  await connected(h)
  await eventually(
    () => h.api.count('watch') >= 2,
    'a second watch after the server-side timeout',
    3000,
  )
  t.equal(h.api.requests.find((r) => r.verb === 'watch')?.timeoutSeconds, 1)
  t.equal(h.api.count('list'), 1)
})

t.test('bookmarks advance the resourceVersion a resumed watch starts from', async (t) => {
  const h = await harness(t)
  h.api.addEvent(buildEvent())
  h.source.start()
  await connected(h)
  // The bookmark line is written before the stream ends, so the client reads it first.
  const bookmark = h.api.bookmark()
  h.api.dropWatches()
  await eventually(() => h.api.count('watch') === 2, 'resumed watch')
  t.equal(h.api.requests.filter((r) => r.verb === 'watch')[1]?.resourceVersion, bookmark)
  t.equal(h.api.count('list'), 1, 'resumed, not relisted')
  t.equal(h.events.length, 0, 'a bookmark is not an event')
})

t.test('410 in the stream: list again and hand the full list over', async (t) => {
  const h = await harness(t)
  h.api.addEvent(buildEvent({ name: 'a' }))
  h.source.start()
  await connected(h)
  h.api.addEvent(buildEvent({ name: 'b' }))
  await eventually(() => h.events.length === 1, 'b watched')
  h.api.compact()
  await eventually(() => h.lists.length === 2, 'relisted')
  t.same(names(h.lists[1] ?? []), ['a', 'b'])
  await connected(h)
  h.api.addEvent(buildEvent({ name: 'c' }))
  await eventually(() => h.events.length === 2, 'watching again after the relist')
  t.equal(h.source.state().restarts, 1)
  t.ok(h.log.lines.some((l) => l.level === 'info' && /410/.test(l.msg)))
})

t.test('410 as the HTTP answer to a resumed watch: list again', async (t) => {
  const h = await harness(t, { api: { expiredWatchAs: 'http' } })
  h.source.start()
  await connected(h)
  h.api.compact({ expireOpenWatches: false })
  h.api.addEvent(buildEvent({ name: 'after-compaction' }))
  await eventually(() => h.events.length === 1, 'live event')
  h.api.compact({ expireOpenWatches: false })
  h.api.dropWatches()
  await eventually(() => h.lists.length === 2, 'relisted after HTTP 410')
  t.same(names(h.lists[1] ?? []), ['after-compaction'])
  t.ok(h.api.requests.some((r) => r.verb === 'watch' && r.status === 410))
})

t.test(
  '410 in the middle of a burst: every event and its last count arrives via onList or onEvent',
  async (t) => {
    const h = await harness(t)
    h.source.start()
    await connected(h)
    const made: { uid: string; name: string; count: number }[] = []
    for (let i = 0; i < 60; i++) {
      const e = h.api.addEvent(buildEvent({ name: `burst-${i}`, namespace: 'prod' }))
      made.push({ uid: e.metadata.uid ?? '', name: e.metadata.name, count: 1 })
      if (i % 3 === 0) {
        const target = made[Math.floor(i / 2)]
        if (target) target.count = h.api.updateEvent('prod', target.name).count as number
      }
      if (i === 20 || i === 41) h.api.compact()
      if (i % 10 === 0) await new Promise((r) => setImmediate(r))
    }
    const latest = () => {
      const m = new Map<string, number>()
      for (const e of [...h.lists.flat(), ...h.events])
        m.set(e.uid, Math.max(m.get(e.uid) ?? 0, e.count))
      return m
    }
    await eventually(
      () => made.every((e) => latest().get(e.uid) === e.count),
      'every event at its final count',
    )
    t.ok(h.lists.length >= 2, `relisted (${h.lists.length} lists)`)
  },
)

t.test(
  'a line that is not JSON and an Event that cannot be used are logged and skipped',
  async (t) => {
    const h = await harness(t)
    h.source.start()
    await connected(h)
    h.api.injectGarbage('<html>502 Bad Gateway</html>')
    const broken = buildEvent({ name: 'broken' })
    delete (broken.involvedObject as Record<string, unknown>).name
    h.api.addEvent(broken)
    h.api.addEvent(buildEvent({ name: 'fine' }))
    await eventually(() => h.events.length === 1, 'the good event')
    t.equal(h.events[0]?.name, 'fine')
    t.ok(
      h.log.lines.some(
        (l) =>
          l.level === 'warn' &&
          /not JSON/.test(l.msg) &&
          l.obj.line === '<html>502 Bad Gateway</html>',
      ),
    )
    t.ok(
      h.log.lines.some(
        (l) => l.level === 'warn' && l.obj.reason === 'involvedObject.name is missing',
      ),
    )
    t.equal(h.api.count('watch'), 1, 'the stream carried on')
  },
)

t.test(
  'an ERROR other than 410 in the stream: logged, retried, resumed without a list',
  async (t) => {
    const h = await harness(t)
    h.source.start()
    await connected(h)
    h.api.injectGarbage('{"type":"SURPRISE","object":{}}')
    h.api.sendError(500, 'etcdserver: request timed out')
    await eventually(
      () => h.api.count('watch') === 2 && h.source.state().connected,
      'watching again',
    )
    t.equal(h.api.count('list'), 1)
    t.equal(h.source.state().restarts, 1)
    t.match(h.source.state().lastError, /HTTP 500: etcdserver: request timed out/)
    t.ok(
      h.log.lines.some((l) => l.level === 'warn' && l.obj.type === 'SURPRISE'),
      'unknown type logged',
    )
  },
)

t.test('Events in a list that cannot be used are logged and left out of onList', async (t) => {
  const h = await harness(t)
  const broken = buildEvent({ name: 'broken', eventName: 'broken.1' })
  delete broken.involvedObject
  h.api.addEvent(broken)
  h.api.addEvent(buildEvent({ name: 'good' }))
  h.source.start()
  await connected(h)
  t.same(names(h.lists[0] ?? []), ['good'])
  t.match(
    h.log.lines.find((l) => l.level === 'warn'),
    {
      obj: { reason: 'involvedObject.kind is missing', name: 'broken.1', namespace: 'default' },
    },
  )
})

t.test(
  '401: logged with what to fix (never the token), retried, and recovers when the token is right',
  async (t) => {
    const h = await harness(t, { api: { token: 'rotated-token' }, clientToken: 'stale-token-123' })
    h.source.start()
    await eventually(() => h.api.count('list') >= 3, 'retried')
    const state = h.source.state()
    t.match(state, { listed: false, connected: false })
    t.ok(state.downSince)
    t.match(state.lastError, /401.*credentials/)
    const warn = h.log.lines.find((l) => l.level === 'warn')
    t.match(warn, {
      obj: { status: 401, what: 'events in all namespaces' },
      msg: /rejected the credentials/,
    })
    t.notMatch(h.log.text(), /stale-token-123|rotated-token/)
    t.notMatch(state.lastError, /stale-token-123/)
    h.api.setToken('stale-token-123')
    await connected(h)
    t.match(h.source.state(), { listed: true, connected: true })
    t.ok(h.log.lines.some((l) => l.level === 'info' && /connected again/.test(l.msg)))
  },
)

t.test('403 from the list: the API server message (which RBAC rule) reaches the log', async (t) => {
  const h = await harness(t, { namespaces: ['prod'] })
  h.api.failNext(1, 403, {
    message:
      'events is forbidden: User "system:serviceaccount:kubeding:kubeding" cannot list resource "events"',
  })
  h.source.start()
  await connected(h)
  const warn = h.log.lines.find((l) => l.level === 'warn')
  t.match(warn?.obj.error, /cannot list resource "events"/)
  t.match(warn?.msg, /grant get, list and watch on events in namespace prod/)
})

t.test(
  'API server down, then back: retries with growing capped delays, then recovers',
  async (t) => {
    const h = await harness(t)
    h.source.start()
    await connected(h)
    await h.api.stop()
    await eventually(
      () =>
        h.log.lines.filter((l) => l.level !== 'debug' && l.obj.retryInMs !== undefined).length >= 6,
      'several retries',
    )
    const state = h.source.state()
    t.equal(state.connected, false)
    t.ok(state.downSince)
    t.match(state.lastError, /reach the API server|ECONNREFUSED|connection/)
    const delays = h.log.lines
      .filter((l) => l.obj.retryInMs !== undefined)
      .map((l) => l.obj.retryInMs as number)
    delays.forEach((d, i) => {
      const cap = Math.min(FAST.maxMs, FAST.initialMs * 2 ** i)
      t.ok(d >= cap / 2 && d <= cap, `retry ${i + 1}: ${d} ms within [${cap / 2}, ${cap}]`)
    })
    t.ok(
      h.log.lines.some((l) => l.level === 'error'),
      'loud once it lasts',
    )
    await h.api.restart()
    const after = h.api.addEvent(buildEvent({ name: 'after-outage' }))
    await eventually(
      () =>
        h.events.some((e) => e.uid === after.metadata.uid) ||
        h.lists.flat().some((e) => e.uid === after.metadata.uid),
      'the event written after the outage',
    )
    await connected(h)
    t.notOk(h.source.state().downSince)
  },
)

t.test('namespaces: one list+watch each; other namespaces are not seen', async (t) => {
  const scopes: (string | undefined)[] = []
  const lists: ClusterEvent[][] = []
  const h = await harness(t, {
    namespaces: ['prod', 'dev', 'prod'],
    handlers: {
      onListPage: (list, page) => {
        lists.push(list)
        scopes.push(page.scope)
      },
    },
  })
  h.api.addEvent(buildEvent({ name: 'p', namespace: 'prod' }))
  h.api.addEvent(buildEvent({ name: 'x', namespace: 'other' }))
  h.source.start()
  await eventually(() => h.source.state().connected && h.api.openWatchCount === 2, 'both watches')
  t.same(lists.map(names).sort(), [[], ['p']])
  t.same(scopes.sort(), ['dev', 'prod'], 'each list says which namespace it covers')
  t.same(h.api.requests.map((r) => r.namespace).sort(), ['dev', 'dev', 'prod', 'prod'])
  h.api.addEvent(buildEvent({ name: 'x2', namespace: 'other' }))
  h.api.addEvent(buildEvent({ name: 'd', namespace: 'dev' }))
  await eventually(() => h.events.length === 1, 'dev event')
  t.equal(h.events[0]?.name, 'd')
  t.ok(h.log.lines.some((l) => l.level === 'info' && /does not include 'default'/.test(l.msg)))
})

t.test(
  'one namespace failing keeps the source down and its error shows; only a refusal lets it count as listed',
  async (t) => {
    for (const [status, listed] of [
      [403, true],
      [500, false],
    ] as const) {
      const h = await harness(t, { namespaces: ['a', 'b'] })
      h.api.failNext(1000, status, {
        on: 'list',
        namespace: 'b',
        message: 'events is forbidden in b',
      })
      h.source.start()
      await eventually(
        () => h.api.requests.filter((r) => r.namespace === 'b').length >= 3,
        'b retrying',
      )
      await eventually(() => h.api.openWatchCount === 1, 'a watching')
      const state = h.source.state()
      t.match(state, { listed, connected: false }, `b answered ${status}`)
      t.ok(state.downSince, 'down while b is')
      t.ok(state.lastListAt, 'a was listed')
      t.match(state.lastError, /forbidden in b/)
      t.ok(state.restarts >= 2)
      await h.source.stop()
    }
  },
)

t.test(
  'a refused namespace stays refused through later blips: listed does not go back',
  async (t) => {
    const h = await harness(t, { namespaces: ['a', 'b'] })
    const message = 'events is forbidden in b'
    h.api.failNext(2, 403, { on: 'list', namespace: 'b', message })
    h.api.failNext(1000, 500, { on: 'list', namespace: 'b', message: 'etcdserver: leader changed' })
    h.source.start()
    await eventually(() => h.api.openWatchCount === 1, 'a watching')
    await eventually(
      () => h.api.requests.filter((r) => r.namespace === 'b').length >= 4,
      'b failing with 500 after the 403s',
    )
    t.match(h.source.state(), { listed: true, connected: false, lastError: /leader changed/ })
  },
)

t.test('a handler that throws makes a relist, so the event is not lost', async (t) => {
  let fail = true
  const h = await harness(t, {
    handlers: {
      onEvent: (e) => {
        if (fail) {
          fail = false
          throw new Error('store is busy')
        }
        h.events.push(e)
      },
    },
  })
  h.source.start()
  await connected(h)
  h.api.addEvent(buildEvent({ name: 'dropped-by-handler' }))
  await eventually(() => h.lists.length === 2, 'relisted')
  t.same(names(h.lists[1] ?? []), ['dropped-by-handler'])
  t.ok(h.log.lines.some((l) => l.level === 'error' && /onChange threw: store is busy/.test(l.msg)))
})

t.test(
  "relist(): every namespace's open watch ends and lists again, the changes it had delivered shown again; the reason is logged",
  async (t) => {
    const h = await harness(t, { namespaces: ['a', 'b'] })
    h.source.start()
    await eventually(
      () => h.source.state().connected && h.api.openWatchCount === 2,
      'both watching',
    )
    h.api.addEvent(buildEvent({ name: 'delivered', namespace: 'a' }))
    await eventually(() => h.events.length === 1, 'delivered by the watch')
    const listsBefore = h.api.count('list')
    h.source.relist(new Error('the batch holding it was lost'))
    await eventually(() => h.api.count('list') === listsBefore + 2, 'both namespaces listed again')
    await eventually(
      () => h.source.state().connected && h.api.openWatchCount === 2,
      'watching again',
    )
    t.ok(
      h.lists.some((list) => names(list).includes('delivered')),
      'a list shows again what the watch had delivered',
    )
    t.ok(
      h.log.lines.some(
        (l) => l.level === 'error' && /the batch holding it was lost/.test(JSON.stringify(l)),
      ),
    )
    h.api.addEvent(buildEvent({ name: 'later', namespace: 'b' }))
    await eventually(() => h.events.some((e) => e.name === 'later'), 'the new watch delivers')
  },
)

t.test('relist() while stopped does nothing', async (t) => {
  const h = await harness(t)
  h.source.relist(new Error('lost'))
  t.equal(h.api.requests.length, 0)
  h.source.start()
  await connected(h)
  t.equal(h.api.count('list'), 1, 'the relist asked before start is not carried into it')
})

t.test('onListPage is awaited before watching, and a throwing one is retried', async (t) => {
  let calls = 0
  let release: () => void = () => {}
  const gate = new Promise<void>((r) => {
    release = r
  })
  const h = await harness(t, {
    handlers: {
      onListPage: async () => {
        calls++
        if (calls === 1) throw new Error('disk full')
        await gate
      },
    },
  })
  h.source.start()
  await eventually(() => calls === 2, 'second onListPage')
  await new Promise((r) => setTimeout(r, 50))
  t.equal(h.api.count('watch'), 0, 'no watch while onListPage runs')
  release()
  await connected(h)
  t.equal(h.api.count('list'), 2)
})

t.test('stop() ends streams and waits; nothing arrives after; start() again works', async (t) => {
  const h = await harness(t)
  h.source.start()
  await connected(h)
  await h.source.stop()
  await eventually(() => h.api.openWatchCount === 0, 'server saw the stream close')
  t.equal(h.source.state().connected, false)
  h.api.addEvent(buildEvent())
  await new Promise((r) => setTimeout(r, 50))
  t.equal(h.events.length, 0)
  h.source.start()
  await connected(h)
  await eventually(() => h.events.length + h.lists.flat().length >= 1, 'delivered after restart')
})

t.test('stop() during a backoff wait returns at once', async (t) => {
  const api = await createFakeKubeApi()
  await api.stop()
  const source = createEventSource({
    kc: api.kubeConfig(),
    namespaces: [],
    handlers: { onListPage: () => {}, onEvent: () => {}, onDeleted: () => {} },
    logger: recordingLogger().logger,
    backoff: { initialMs: 60_000, maxMs: 60_000 },
  })
  source.start()
  await eventually(() => source.state().lastError !== undefined, 'first failure')
  const started = Date.now()
  await source.stop()
  t.ok(Date.now() - started < 1000, 'did not wait out the backoff')
})
