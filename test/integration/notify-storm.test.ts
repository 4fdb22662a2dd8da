import pino from 'pino'
import t, { type Test } from 'tap'
import type { RobotConfig } from '../../src/config/schema.ts'
import { createNotifier } from '../../src/notify/notifier.ts'
import { createOutbox } from '../../src/notify/outbox.ts'
import type { AlertMessage } from '../../src/notify/outbox-message.ts'
import { openStore } from '../../src/store/open-store.ts'
import { aClusterEvent } from '../helpers/cluster-events.ts'
import {
  type AcceptedMessage,
  createFakeDingTalk,
  createManualClock,
  type FakeDingTalk,
} from '../helpers/fake-dingtalk.ts'
import { alertPodName, digestOccurrences } from '../helpers/read-message.ts'
import { testNow } from '../helpers/test-clock.ts'

const TOKEN = 'storm-token'
const SECRET = 'SECstorm0123456789'

/** The occurrences a delivered message accounts for: a digest says so, an alert is looked up by its object. */
function occurrencesOf(m: AcceptedMessage, byName: Map<string, number>): number {
  const text: string = m.body.markdown.text
  const digest = digestOccurrences(text)
  if (digest !== undefined) return digest
  const name = alertPodName(text) ?? ''
  const n = byName.get(name)
  if (n === undefined) throw new Error(`unknown object in ${text}`)
  return n
}

/** The notifier on a manual clock, sending to the fake DingTalk that counts on the same clock. */
async function rig(t: Test, rate: number) {
  const start = testNow()
  const clock = createManualClock(start)
  const fake = await createFakeDingTalk({
    robots: [{ token: TOKEN, secret: SECRET, keywords: ['k8s'] }],
    now: clock.now,
    ratePerMinute: rate,
  })
  t.teardown(() => fake.close())
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const robot: RobotConfig = {
    name: 'ops',
    webhook: fake.webhook(TOKEN),
    secret: SECRET,
    keywords: ['k8s'],
    ratePerMinute: rate,
    msgType: 'markdown',
  }
  const notifier = createNotifier({
    store,
    robots: [robot],
    cluster: 'prod',
    muteLinks: true,
    now: clock.now,
    timers: clock,
    logger: pino({ level: 'silent' }),
  })
  notifier.start()
  t.teardown(() => notifier.stop(0))
  return { start, clock, fake, store, notifier, outbox: createOutbox(store) }
}

/** Never more than `rate` requests inside any 60 s. */
function checkRollingMinute(t: Test, fake: FakeDingTalk, rate: number): void {
  const times = fake.requests.map((r) => r.at).sort((a, b) => a - b)
  let worst = 0
  for (let i = 0; i + rate < times.length; i++)
    worst = Math.max(worst, 60_000 - ((times[i + rate] ?? 0) - (times[i] ?? 0)))
  t.equal(worst, 0, `never more than ${rate} requests in any 60 s (${times.length} in all)`)
}

t.test('15 alerts a minute, 4 s apart: each goes alone the moment it is queued', async (t) => {
  const { start, clock, fake, store, notifier, outbox } = await rig(t, 20)
  // Three minutes: from the second minute on, the 15 before each alert are in the window.
  for (let i = 0; i < 45; i++) {
    clock.advanceTo(start + i * 4_000)
    await notifier.settled()
    const message: AlertMessage = {
      kind: 'alert',
      event: aClusterEvent({ name: `pod-${i}` }),
      occurrences: 1,
      at: { mobiles: [], userIds: [], all: false },
    }
    store.tx(() => outbox.enqueue('ops', message, clock.now()))
    notifier.kick()
    await notifier.settled()
    t.equal(fake.messages.length, i + 1, `alert ${i} went before the clock moved`)
    t.equal(fake.messages.at(-1)?.at, clock.now(), `alert ${i}: no wait`)
    t.match(fake.messages.at(-1)?.body.markdown.text, `pod-${i}`, `alert ${i} alone`)
  }
  t.equal(outbox.size('ops').messages, 0)
  checkRollingMinute(t, fake, 20)
})

async function storm(t: Test, rate: number) {
  const { start, clock, fake, store, notifier, outbox } = await rig(t, rate)
  const byName = new Map<string, number>()
  let enqueued = 0
  // 600 alerts over a minute, some of them repeats with several occurrences.
  for (let i = 0; i < 600; i++) {
    clock.advanceTo(start + i * 100)
    await notifier.settled()
    const occurrences = i % 10 === 0 ? 5 : 1
    const message: AlertMessage = {
      kind: i % 10 === 0 ? 'repeat' : 'alert',
      event: aClusterEvent({
        namespace: `ns-${i % 7}`,
        name: `pod-${i}`,
        reason: i % 3 ? 'BackOff' : 'Unhealthy',
      }),
      occurrences,
      since: start,
      at: { mobiles: ['13800000000'], userIds: [], all: false },
    }
    byName.set(`pod-${i}`, occurrences)
    enqueued += occurrences
    store.tx(() => outbox.enqueue('ops', message, clock.now()))
    notifier.kick()
    await notifier.settled()
  }
  for (let guard = 0; outbox.size('ops').messages > 0 && guard < 1000; guard++) {
    const next = clock.nextTimerAt()
    if (next === undefined) break
    clock.advanceTo(next)
    await notifier.settled()
  }

  t.equal(outbox.size('ops').messages, 0, 'the outbox drained')
  t.notOk(
    fake.requests.some((r) => r.answer && 'errcode' in r.answer && r.answer.errcode !== 0),
    'DingTalk never refused (no 130101)',
  )
  checkRollingMinute(t, fake, rate)
  const delivered = fake.messages.reduce((sum, m) => sum + occurrencesOf(m, byName), 0)
  t.equal(delivered, enqueued, 'every occurrence is accounted for')
  const elapsed = (fake.messages.at(-1)?.at ?? 0) - start
  for (const m of fake.messages) {
    t.match(m.body.markdown.text, /k8s/, 'keyword present')
    t.match(m.body.markdown.text, /@13800000000/, 'mention kept in digests too')
  }
  const stats = notifier.stats().robots[0]
  t.match(stats, {
    robot: 'ops',
    sent: fake.messages.length,
    sentOccurrences: enqueued,
    queued: 0,
    dropped: 0,
  })
  const digests = fake.messages.filter((m) => digestOccurrences(m.body.markdown.text) !== undefined)
  t.ok(digests.length > 0, 'the storm became digests')
  const times = fake.messages.map((m) => m.at)
  const longestGap = Math.max(...times.slice(1).map((at, i) => at - (times[i] ?? at)))
  return { messages: fake.messages.length, digests: digests.length, elapsed, longestGap }
}

t.test(
  'a 600-alert storm: 16 alone, then digests 15 s apart, within the rate, nothing unaccounted',
  async (t) => {
    const { messages, digests, elapsed, longestGap } = await storm(t, 20)
    // 16 alone at the start (the budget minus the reserve), then digests 15 s apart.
    t.ok(messages <= 22, `${messages} messages for 600 alerts (${digests} digests)`)
    t.ok(elapsed <= 90_000, `caught up ${elapsed} ms after the storm began`)
    t.ok(
      longestGap <= 15_000,
      `the reserve carried the digests through the minute: at most ${longestGap} ms between messages`,
    )
  },
)

t.test('the same storm to a robot allowed 3 a minute stays within 3', async (t) => {
  const { messages } = await storm(t, 3)
  t.ok(messages <= 6, `${messages} messages`)
})
