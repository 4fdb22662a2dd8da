import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import type { RobotConfig } from '../../src/config/schema.ts'
import { createNotifier, type Logger } from '../../src/notify/notifier.ts'
import { createOutbox } from '../../src/notify/outbox.ts'
import type { AlertMessage } from '../../src/notify/outbox-message.ts'
import { openStore, type Store } from '../../src/store/open-store.ts'
import { aClusterEvent } from '../helpers/cluster-events.ts'
import {
  type AcceptedMessage,
  createFakeDingTalk,
  createManualClock,
  type FakeDingTalk,
  type FakeRobot,
  type ManualClock,
} from '../helpers/fake-dingtalk.ts'
import { alertPodName, digestOccurrences } from '../helpers/read-message.ts'

const TOKEN = 'fail-token'

/** A logger that keeps its lines, to check what the operator is told. */
function recordingLogger() {
  const lines: Array<{ level: string; obj: object; msg: string }> = []
  const at =
    (level: string) =>
    (obj: object, msg = '') =>
      lines.push({ level, obj, msg })
  const logger: Logger = {
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('debug'),
  }
  return { logger, lines }
}

interface Rig {
  clock: ManualClock
  fake: FakeDingTalk
  store: Store
  notifier: ReturnType<typeof createNotifier>
  lines: ReturnType<typeof recordingLogger>['lines']
  enqueue(n: number, occurrences?: number): Promise<number>
  /** Moves simulated time forward by `ms`, running whatever falls due. */
  run(ms: number): Promise<void>
  queued(): number
  delivered(): number
}

let names = 0

async function rig(
  t: Test,
  options: {
    fakeRobot?: FakeRobot
    robot?: Partial<RobotConfig>
    fakeRate?: number
    throttleMs?: number
    store?: Store
    start?: number
  } = {},
): Promise<Rig> {
  const start = options.start ?? Date.now()
  const clock = createManualClock(start)
  const fake = await createFakeDingTalk({
    robots: [options.fakeRobot ?? { token: TOKEN }],
    now: clock.now,
    ...(options.fakeRate ? { ratePerMinute: options.fakeRate } : {}),
    ...(options.throttleMs ? { throttleMs: options.throttleMs } : {}),
  })
  t.teardown(() => fake.close())
  const store = options.store ?? openStore(':memory:')
  if (!options.store) t.teardown(() => store.close())
  const robot: RobotConfig = {
    name: 'ops',
    webhook: fake.webhook(TOKEN),
    keywords: [],
    ratePerMinute: 20,
    msgType: 'markdown',
    ...options.robot,
  }
  const { logger, lines } = recordingLogger()
  const notifier = createNotifier({
    store,
    robots: [robot],
    cluster: 'prod',
    muteLinks: false,
    now: clock.now,
    timers: clock,
    logger,
  })
  notifier.start()
  t.teardown(() => notifier.stop(0))
  const outbox = createOutbox(store)
  const byName = new Map<string, number>()
  return {
    clock,
    fake,
    store,
    notifier,
    lines,
    async enqueue(n, occurrences = 1) {
      for (let i = 0; i < n; i++) {
        const name = `pod-${++names}`
        byName.set(name, occurrences)
        const message: AlertMessage = {
          kind: 'alert',
          event: aClusterEvent({ name }),
          occurrences,
          at: { mobiles: [], userIds: [], all: false },
        }
        outbox.enqueue('ops', message, clock.now())
      }
      notifier.kick()
      await notifier.settled()
      return n * occurrences
    },
    async run(ms) {
      const until = clock.now() + ms
      for (;;) {
        const next = clock.nextTimerAt()
        if (next === undefined || next > until) break
        clock.advanceTo(next)
        await notifier.settled()
      }
      clock.advanceTo(until)
      await notifier.settled()
    },
    queued: () => outbox.size('ops').messages,
    delivered: () => fake.messages.reduce((sum, m) => sum + occurrencesOf(m, byName), 0),
  }
}

function occurrencesOf(m: AcceptedMessage, byName: Map<string, number>): number {
  const text: string = m.body.markdown.text
  return digestOccurrences(text) ?? byName.get(alertPodName(text) ?? '') ?? Number.NaN
}

const answers = (fake: FakeDingTalk) =>
  fake.requests.map((r) => (r.answer && 'errcode' in r.answer ? r.answer.errcode : 'none'))

t.test('throttled: the robot pauses about a minute, doubling, then delivers', async (t) => {
  const r = await rig(t)
  r.fake.failNext(TOKEN, 2, {
    errcode: 130101,
    errmsg: 'send too fast, exceed 20 times per minute',
  })
  const t0 = r.clock.now()
  const total = await r.enqueue(1, 3)
  t.same(answers(r.fake), [130101])
  t.equal(r.notifier.stats().robots[0]?.throttledUntil, t0 + 60_000)
  await r.run(59_000)
  t.equal(r.fake.requests.length, 1, 'nothing sent during the pause')
  await r.run(1_000)
  t.same(answers(r.fake), [130101, 130101])
  await r.run(119_000)
  t.equal(r.fake.requests.length, 2, 'the second pause is twice as long')
  await r.run(1_000)
  t.same(answers(r.fake), [130101, 130101, 0])
  t.equal(r.delivered(), total)
  t.equal(r.queued(), 0)
  t.match(r.notifier.stats().robots[0], { sent: 1, refused: { '130101': 2 }, throttledUntil: null })
  t.ok(r.lines.some((l) => l.level === 'warn' && /throttled/.test(l.msg)))
})

t.test('a DingTalk stricter than configured throttles for minutes: nothing is lost', async (t) => {
  const r = await rig(t, { fakeRate: 4, throttleMs: 3 * 60_000 })
  let total = 0
  for (let i = 0; i < 30; i++) {
    total += await r.enqueue(3)
    await r.run(2_000)
  }
  await r.run(20 * 60_000)
  t.equal(r.queued(), 0)
  t.equal(r.delivered(), total, 'every occurrence delivered after the throttle')
  t.ok(answers(r.fake).includes(130101), 'the fake did throttle')
})

t.test('DingTalk down for an hour, then back: everything is delivered', async (t) => {
  for (const mode of ['reset', '503'] as const) {
    const r = await rig(t)
    r.fake.setDown(true, mode)
    let total = 0
    for (let minute = 0; minute < 60; minute++) {
      total += await r.enqueue(2, 2)
      await r.run(60_000)
    }
    t.equal(r.fake.messages.length, 0)
    t.equal(r.queued(), 120, `${mode}: every message kept`)
    const attempts = r.fake.requests.length
    t.ok(
      attempts >= 60 && attempts <= 200,
      `${mode}: ${attempts} attempts in the hour: capped backoff`,
    )
    r.fake.setDown(false)
    await r.run(2 * 60_000)
    t.equal(r.queued(), 0, `${mode}: caught up`)
    t.equal(r.delivered(), total, `${mode}: nothing lost`)
    t.ok(r.fake.messages.length <= 5, `${mode}: the backlog went as a digest`)
    t.ok(r.lines.some((l) => l.level === 'warn' && /retry/.test(l.msg)))
  }
})

t.test(
  'a config error halts the robot, keeps the messages, probes rarely, says what to fix',
  async (t) => {
    const secret = 'SECright0123'
    const r = await rig(t, {
      fakeRobot: { token: TOKEN, secret },
      robot: { secret: 'SECwrong0123' },
    })
    await r.enqueue(1)
    t.same(answers(r.fake), [310000])
    await r.enqueue(10)
    await r.run(4 * 60_000)
    t.equal(r.fake.requests.length, 1, 'no blind retry')
    t.equal(r.queued(), 11, 'messages kept')
    const stats = r.notifier.stats().robots[0]
    t.match(stats?.halted, /dingtalk\.robots\[ops\]\.secret/)
    t.match(stats?.refused, { '310000': 1 })
    const line = r.lines.find((l) => l.level === 'error')
    t.match(
      line?.msg,
      /^DingTalk refused the message \(310000 sign not match\): check dingtalk\.robots\[ops\]\.secret/,
    )
    t.notMatch(
      JSON.stringify(r.lines),
      /SECwrong0123|SECright0123|fail-token/,
      'no secret or token logged',
    )
    await r.run(60_000)
    t.equal(r.fake.requests.length, 2, 'probed again after 5 minutes')
    t.equal(r.queued(), 11)
  },
)

t.test('a config error that gets fixed: the probe delivers everything', async (t) => {
  const r = await rig(t)
  r.fake.failNext(TOKEN, 1, { errcode: 400102, errmsg: 'robot disabled' })
  const total = await r.enqueue(3)
  t.match(r.notifier.stats().robots[0]?.halted, /re-enable the robot/)
  await r.run(5 * 60_000)
  t.equal(r.queued(), 0)
  t.equal(r.delivered(), total)
  t.equal(r.notifier.stats().robots[0]?.halted, null)
  t.ok(r.lines.some((l) => l.level === 'info' && /resumed/.test(l.msg)))
})

t.test('too long: a digest is split into smaller ones, nothing lost', async (t) => {
  const r = await rig(t)
  r.fake.setDown(true)
  const total = await r.enqueue(40, 2)
  r.fake.setDown(false)
  r.fake.failNext(TOKEN, 2, { errcode: 460101, errmsg: 'message too long, exceed 20000 bytes' })
  await r.run(5 * 60_000)
  t.equal(r.queued(), 0)
  t.equal(r.delivered(), total)
  t.ok(r.fake.messages.length >= 2, 'split into several messages')
})

t.test(
  'content refused: the offending alert is dropped, counted; the rest delivered',
  async (t) => {
    const r = await rig(t)
    r.fake.failNext(TOKEN, 1, { errcode: 430101, errmsg: 'unsafe link' })
    const total = await r.enqueue(3)
    await r.run(60_000)
    t.equal(r.queued(), 0)
    t.equal(r.delivered(), total - 1)
    t.match(r.notifier.stats().robots[0], {
      dropped: 1,
      droppedOccurrences: 1,
      refused: { '430101': 1 },
    })
    const dropped = r.store.db.prepare('SELECT * FROM deliveries WHERE errcode = 430101').all()
    t.equal(dropped.length, 1, 'the drop is recorded in deliveries')
    t.ok(r.lines.some((l) => l.level === 'error' && /dropped/.test(l.msg)))
  },
)

t.test('content refused in a digest: split until the one refused goes alone', async (t) => {
  const r = await rig(t)
  r.fake.setDown(true)
  // More than the 16 that fit alone in the budget: they go as a digest, 17 → 8 → 4 → 2 → 1.
  const total = await r.enqueue(17)
  r.fake.setDown(false)
  r.fake.failNext(TOKEN, 5, { errcode: 430103, errmsg: 'inappropriate content' })
  await r.run(10 * 60_000)
  t.equal(r.queued(), 0)
  t.equal(r.delivered(), total - 1, 'only one alert dropped')
  t.equal(r.notifier.stats().robots[0]?.dropped, 1)
})

t.test('a bug errcode drops the message and the robot goes on', async (t) => {
  const r = await rig(t)
  r.fake.failNext(TOKEN, 1, { errcode: 400105, errmsg: 'unsupported msgtype' })
  const total = await r.enqueue(2)
  await r.run(60_000)
  t.equal(r.delivered(), total - 1)
  t.equal(r.notifier.stats().robots[0]?.dropped, 1)
})

t.test(
  'the rate budget survives a restart; the outbox survives the store file reopening',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeding-notify-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const start = Date.now()
    const first = openStore(dir)
    const a = await rig(t, { store: first, start, robot: { ratePerMinute: 3 } })
    await a.enqueue(1)
    await a.enqueue(1)
    await a.enqueue(1)
    t.equal(a.fake.messages.length, 3)
    a.fake.setDown(true)
    await a.enqueue(4)
    await a.notifier.stop(0)
    first.close()

    const second = openStore(dir)
    t.teardown(() => second.close())
    const b = await rig(t, { store: second, start: start + 1_000, robot: { ratePerMinute: 3 } })
    t.equal(b.queued(), 4, 'the waiting messages are still there')
    await b.run(30_000)
    t.equal(b.fake.requests.length, 0, 'the budget spent before the restart still counts')
    await b.run(60_000)
    t.equal(b.queued(), 0)
    t.equal(b.fake.messages.length, 1, 'delivered as one digest once the minute passed')
    t.equal(digestOccurrences(b.fake.messages[0]?.body.markdown.text), 4)
  },
)

t.test('a throttle pause survives a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-notify-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const start = Date.now()
  const first = openStore(dir)
  const a = await rig(t, { store: first, start })
  a.fake.failNext(TOKEN, 1, { errcode: 130101, errmsg: 'send too fast' })
  await a.enqueue(1)
  await a.notifier.stop(0)
  first.close()
  const second = openStore(dir)
  t.teardown(() => second.close())
  const b = await rig(t, { store: second, start: start + 10_000 })
  await b.run(40_000)
  t.equal(b.fake.requests.length, 0, 'still paused after the restart')
  await b.run(20_000)
  t.equal(b.fake.messages.length, 1)
})

t.test(
  'too long for a single alert: cut smaller and resent, dropped only below 2 KB',
  async (t) => {
    const r = await rig(t)
    r.fake.failNext(TOKEN, 1, { errcode: 460101, errmsg: 'message too long, exceed 20000 bytes' })
    const total = await r.enqueue(1)
    t.equal(r.delivered(), total, 'resent at half the size')
    r.fake.failNext(TOKEN, 4, { errcode: 460101, errmsg: 'message too long, exceed 20000 bytes' })
    await r.enqueue(1)
    t.equal(r.fake.requests.length, 6, '18 KB, 9 KB, 4.5 KB, 2.25 KB, then given up')
    t.equal(r.queued(), 0)
    t.equal(r.notifier.stats().robots[0]?.dropped, 1)
  },
)

t.test(
  'stored messages it cannot read or render are dropped and recorded, not stuck',
  async (t) => {
    const r = await rig(t)
    const insert = r.store.db.prepare(
      "INSERT INTO outbox (robot, kind, created_at, not_before, occurrences, payload) VALUES ('ops', 'alert', 0, 0, 2, ?)",
    )
    insert.run('{not json')
    insert.run('{"kind":"alert"}')
    const total = await r.enqueue(1)
    t.equal(r.delivered(), total)
    t.equal(r.queued(), 0)
    const codes = r.store.db
      .prepare('SELECT errcode FROM deliveries WHERE errcode < 0 ORDER BY id')
      .all()
    t.same(
      codes.map((c) => c.errcode),
      [-100, -101],
    )
    t.equal(r.notifier.stats().robots[0]?.dropped, 2)
    t.equal(r.lines.filter((l) => l.level === 'error' && /dropped/.test(l.msg)).length, 2)
  },
)

t.test(
  'one alert in a digest that cannot be rendered is dropped alone; the digest goes without it',
  async (t) => {
    const r = await rig(t)
    r.fake.setDown(true)
    let total = await r.enqueue(14, 2)
    // It parses and has a known kind but no `at` (a row from another version, say): it reads,
    // and throws only when rendered.
    const broken = { kind: 'alert', event: aClusterEvent({ name: 'broken' }), occurrences: 3 }
    createOutbox(r.store).enqueue('ops', broken as unknown as AlertMessage, r.clock.now())
    total += await r.enqueue(15, 2)
    r.fake.setDown(false)
    await r.run(5 * 60_000)
    t.equal(r.queued(), 0)
    t.equal(r.fake.messages.length, 1, 'the 29 others went as one digest')
    t.equal(r.delivered(), total, 'with every occurrence but the broken one')
    t.match(r.notifier.stats().robots[0], {
      sentOccurrences: total,
      dropped: 1,
      droppedOccurrences: 3,
    })
    const drops = r.store.db
      .prepare('SELECT kind, occurrences, errcode FROM deliveries WHERE errcode < 0')
      .all()
    t.same(drops, [{ kind: 'alert', occurrences: 3, errcode: -101 }], 'the drop is recorded')
    t.equal(
      createOutbox(r.store).answeredSince('ops', 0).length,
      1,
      'the rate budget counts the digest DingTalk answered, not the drop',
    )
  },
)

t.test('messages for a robot no longer configured are reported at start', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  createOutbox(store).enqueue('gone', { kind: 'notice', title: 'n', lines: [] }, 0)
  const r = await rig(t, { store })
  const line = r.lines.find((l) => l.level === 'warn')
  t.match(line?.msg, /robot gone, which is not in dingtalk\.robots/)
  t.equal(r.fake.requests.length, 0)
})

t.test('a store error does not kill the loop: logged, retried later', async (t) => {
  const store = openStore(':memory:')
  const r = await rig(t, { store })
  store.close()
  r.notifier.kick()
  await r.notifier.settled()
  const line = r.lines.find((l) => l.level === 'error')
  t.match(line?.msg, /send loop failed; messages kept, retrying in a minute/)
  t.equal(r.clock.nextTimerAt(), r.clock.now() + 60_000)
})

t.test(
  'DingTalk took a message the store could not record (a full disk): recorded once it can be, never sent twice',
  async (t) => {
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    const r = await rig(t, { store })
    const message: AlertMessage = {
      kind: 'alert',
      event: aClusterEvent({ name: 'taken-once' }),
      occurrences: 1,
      at: { mobiles: [], userIds: [], all: false },
    }
    createOutbox(store).enqueue('ops', message, r.clock.now())
    // SQLite refuses every write from here on, as a full disk does; reads still work.
    store.db.exec('PRAGMA query_only = 1')
    r.notifier.kick()
    await r.notifier.settled()
    t.equal(r.fake.messages.length, 1, 'DingTalk took it')
    t.match(
      r.lines.find((l) => l.level === 'error')?.msg,
      /DingTalk took the message but the store could not record it; it is not sent again/,
    )
    await r.run(10 * 60_000)
    t.equal(r.fake.messages.length, 1, 'not sent again while the store refuses to record it')
    t.equal(r.queued(), 1, 'still in the outbox until recorded')

    store.db.exec('PRAGMA query_only = 0')
    await r.run(60_000)
    t.equal(r.queued(), 0, 'recorded once the store takes writes again')
    t.equal(r.fake.messages.length, 1, 'and still sent once')
    t.equal(
      createOutbox(store).answeredSince('ops', 0).length,
      1,
      'the answer counts once in the rate budget',
    )
    t.equal(await r.enqueue(1), 1)
    t.equal(r.fake.messages.length, 2, 'the robot goes on')
  },
)

t.test('one robot halted does not hold back another', async (t) => {
  const clock = createManualClock(Date.now())
  const fake = await createFakeDingTalk({
    robots: [{ token: 'good' }, { token: 'bad', keywords: ['告警'] }],
    now: clock.now,
  })
  t.teardown(() => fake.close())
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const robot = (name: string, token: string): RobotConfig => ({
    name,
    webhook: fake.webhook(token),
    keywords: [],
    ratePerMinute: 20,
    msgType: 'markdown',
  })
  const { logger, lines } = recordingLogger()
  const notifier = createNotifier({
    store,
    robots: [robot('ops', 'good'), robot('dev', 'bad')],
    cluster: 'prod',
    muteLinks: false,
    now: clock.now,
    timers: clock,
    logger,
  })
  notifier.start()
  t.teardown(() => notifier.stop(0))
  const outbox = createOutbox(store)
  const message: AlertMessage = {
    kind: 'alert',
    event: aClusterEvent(),
    occurrences: 1,
    at: { mobiles: [], userIds: [], all: false },
  }
  store.tx(() => {
    outbox.enqueue('dev', message, clock.now())
    outbox.enqueue('ops', message, clock.now())
  })
  notifier.kick()
  await notifier.settled()
  t.equal(fake.messages.length, 1)
  t.equal(fake.messages[0]?.token, 'good')
  const [ops, dev] = notifier.stats().robots
  t.match(ops, { robot: 'ops', sent: 1, halted: null })
  t.match(dev, { robot: 'dev', sent: 0, queued: 1, halted: /dingtalk\.robots\[dev\]\.keywords/ })
  t.ok(lines.some((l) => /check dingtalk\.robots\[dev\]\.keywords/.test(l.msg)))
})
