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
} from '../helpers/fake-dingtalk.ts'
import { alertPodName, digestOccurrences } from '../helpers/read-message.ts'

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

async function storm(t: Test, rate: number) {
  const start = Date.now()
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
  const outbox = createOutbox(store)
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
  const times = fake.requests.map((r) => r.at).sort((a, b) => a - b)
  for (let i = 0; i + rate < times.length; i++) {
    t.ok(
      (times[i + rate] ?? 0) - (times[i] ?? 0) >= 60_000,
      `requests ${i}..${i + rate} span a minute`,
    )
  }
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
  return { messages: fake.messages.length, elapsed }
}

t.test(
  'a 600-alert storm: a handful of messages, within the rate, nothing unaccounted',
  async (t) => {
    const { messages, elapsed } = await storm(t, 20)
    t.ok(messages <= 12, `${messages} messages for 600 alerts`)
    t.ok(elapsed <= 90_000, `caught up ${elapsed} ms after the storm began`)
  },
)

t.test('the same storm to a robot allowed 3 a minute stays within 3', async (t) => {
  const { messages } = await storm(t, 3)
  t.ok(messages <= 6, `${messages} messages`)
})
