import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { performance } from 'node:perf_hooks'
import pino from 'pino'
import t, { type Test } from 'tap'
import type { RobotConfig } from '../../src/config/schema.ts'
import { createNotifier } from '../../src/notify/notifier.ts'
import { createOutbox } from '../../src/notify/outbox.ts'
import type { AlertMessage } from '../../src/notify/outbox-message.ts'
import { openStore } from '../../src/store/open-store.ts'
import { aClusterEvent } from '../helpers/cluster-events.ts'
import { createFakeDingTalk } from '../helpers/fake-dingtalk.ts'

const TOKEN = 'latency-token'
const SECRET = 'SEClatency0123'

const alert = (): AlertMessage => ({
  kind: 'alert',
  event: aClusterEvent(),
  occurrences: 1,
  at: { mobiles: [], userIds: [], all: false },
})

/** Real clock and timers: what production runs. `webhook` points the robot elsewhere than the fake. */
async function rig(t: Test, webhook?: string) {
  const fake = await createFakeDingTalk({ robots: [{ token: TOKEN, secret: SECRET }] })
  t.teardown(() => fake.close())
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const robot: RobotConfig = {
    name: 'ops',
    webhook: webhook ?? fake.webhook(TOKEN),
    secret: SECRET,
    keywords: [],
    ratePerMinute: 20,
    msgType: 'markdown',
  }
  const notifier = createNotifier({
    store,
    robots: [robot],
    cluster: 'prod',
    muteLinks: true,
    logger: pino({ level: 'silent' }),
  })
  t.teardown(() => notifier.stop(0))
  const outbox = createOutbox(store)
  return { fake, store, notifier, outbox }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const end = performance.now() + ms
  while (!check()) {
    if (performance.now() > end) return false
    await new Promise((r) => setTimeout(r, 1))
  }
  return true
}

t.test('a single alert reaches DingTalk within milliseconds of kick()', async (t) => {
  const { fake, store, notifier, outbox } = await rig(t)
  notifier.start()
  const delays: number[] = []
  for (let i = 0; i < 5; i++) {
    const begin = performance.now()
    store.tx(() => outbox.enqueue('ops', alert(), Date.now()))
    notifier.kick()
    t.ok(await until(() => fake.messages.length === i + 1, 1000))
    delays.push(performance.now() - begin)
  }
  t.ok(Math.max(...delays) < 250, `delays ${delays.map((d) => d.toFixed(1)).join(', ')} ms`)
})

t.test('stop() flushes what waits, without spacing digests', async (t) => {
  const { fake, store, notifier, outbox } = await rig(t)
  notifier.start()
  fake.setDown(true)
  store.tx(() => {
    for (let i = 0; i < 30; i++) outbox.enqueue('ops', alert(), Date.now())
  })
  notifier.kick()
  await notifier.settled()
  fake.setDown(false)
  const begin = performance.now()
  await notifier.stop(5_000)
  t.ok(
    performance.now() - begin < 3_000,
    'flushed after the 1 s retry pause, well before the deadline',
  )
  t.equal(outbox.size('ops').messages, 0)
  t.equal(fake.messages.length, 1)
})

t.test(
  'stop() is bounded when DingTalk hangs: the send is aborted, the message stays',
  async (t) => {
    const hanging = createServer(() => {})
    await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r))
    t.teardown(() => {
      hanging.closeAllConnections()
      return new Promise((r) => hanging.close(r))
    })
    const { port } = hanging.address() as AddressInfo
    const webhook = `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`
    const { store, notifier, outbox } = await rig(t, webhook)
    notifier.start()
    store.tx(() => outbox.enqueue('ops', alert(), Date.now()))
    notifier.kick()
    await new Promise((r) => setTimeout(r, 20))
    const begin = performance.now()
    await notifier.stop(300)
    const took = performance.now() - begin
    t.ok(took >= 250 && took < 1_500, `stopped after ${took.toFixed(0)} ms`)
    t.equal(outbox.size('ops').messages, 1)
    t.match(notifier.stats().robots[0], { failures: 1, lastError: /aborted/ })
  },
)

t.test(
  'stop() does not wait for a retry due after its deadline; nothing is sent after',
  async (t) => {
    const { fake, store, notifier, outbox } = await rig(t)
    notifier.start()
    fake.setDown(true)
    store.tx(() => outbox.enqueue('ops', alert(), Date.now()))
    notifier.kick()
    await notifier.settled()
    fake.setDown(false)
    const begin = performance.now()
    await notifier.stop(300)
    t.ok(performance.now() - begin < 100, 'the retry is 1 s away: no point waiting')
    t.equal(outbox.size('ops').messages, 1)
    notifier.kick()
    await new Promise((r) => setTimeout(r, 1_200))
    t.equal(fake.requests.length, 1, 'nothing sent after stop')
  },
)

t.test('stop() returns at once when nothing waits', async (t) => {
  const { notifier } = await rig(t)
  notifier.start()
  const begin = performance.now()
  await notifier.stop(5_000)
  t.ok(performance.now() - begin < 100)
})

t.test('a second stop() waits for the first flush', async (t) => {
  const { fake, store, notifier, outbox } = await rig(t)
  notifier.start()
  fake.setDown(true)
  store.tx(() => outbox.enqueue('ops', alert(), Date.now()))
  notifier.kick()
  await notifier.settled()
  fake.setDown(false)
  const first = notifier.stop(5_000)
  await notifier.stop(5_000)
  t.equal(fake.messages.length, 1, 'the second call returned only after the flush')
  await first
})
