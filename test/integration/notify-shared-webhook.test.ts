/**
 * Two robots on one DingTalk webhook (one access_token): DingTalk counts 20 a minute per
 * webhook, so they share one budget and one throttle. Each `--sink` flag of a kube-eventer user
 * is its own robot, and such users write one flag per filter on the same token. The notifier on
 * a manual clock against the fake DingTalk, which refuses past 20 a minute per token (130101).
 */
import pino from 'pino'
import t, { type Test } from 'tap'
import type { RobotConfig } from '../../src/config/schema.ts'
import { createNotifier } from '../../src/notify/notifier.ts'
import { createOutbox } from '../../src/notify/outbox.ts'
import type { AlertMessage } from '../../src/notify/outbox-message.ts'
import { openStore } from '../../src/store/open-store.ts'
import { aClusterEvent } from '../helpers/cluster-events.ts'
import { createFakeDingTalk, createManualClock } from '../helpers/fake-dingtalk.ts'
import { alertPodName, digestOccurrences } from '../helpers/read-message.ts'
import { testNow } from '../helpers/test-clock.ts'

const TOKEN = 'shared-token'
const OTHER = 'other-token'
const SECRET = 'SECshared0123456789'

async function rig(t: Test, robots: { name: string; token: string }[]) {
  const start = testNow()
  const clock = createManualClock(start)
  const fake = await createFakeDingTalk({
    robots: [
      { token: TOKEN, secret: SECRET },
      { token: OTHER, secret: SECRET },
    ],
    now: clock.now,
  })
  t.teardown(() => fake.close())
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const configs: RobotConfig[] = robots.map(({ name, token }) => ({
    name,
    webhook: fake.webhook(token),
    secret: SECRET,
    keywords: [],
    ratePerMinute: 20,
    msgType: 'markdown',
  }))
  const notifier = createNotifier({
    store,
    robots: configs,
    cluster: 'prod',
    muteLinks: false,
    now: clock.now,
    timers: clock,
    logger: pino({ level: 'silent' }),
    tuning: { throttlePauseMs: 60_000 },
  })
  notifier.start()
  t.teardown(() => notifier.stop(0))
  const outbox = createOutbox(store)
  const alert = (robot: string, name: string) => {
    const message: AlertMessage = {
      kind: 'alert',
      event: aClusterEvent({ name }),
      occurrences: 1,
      at: { mobiles: [], userIds: [], all: false },
    }
    store.tx(() => outbox.enqueue(robot, message, clock.now()))
    notifier.kick()
  }
  /** Lets every timer run until both outboxes are empty (or nothing more is due). */
  const drain = async () => {
    for (let guard = 0; guard < 1000; guard++) {
      await notifier.settled()
      if (robots.every((r) => outbox.size(r.name).messages === 0)) return
      const next = clock.nextTimerAt()
      if (next === undefined) return
      clock.advanceTo(next)
    }
  }
  return { start, clock, fake, notifier, outbox, alert, drain }
}

/** The most requests to `token` inside any 60 s. */
function worstMinute(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b)
  let worst = 0
  for (let i = 0, j = 0; j < sorted.length; j++) {
    while ((sorted[j] ?? 0) - (sorted[i] ?? 0) >= 60_000) i++
    worst = Math.max(worst, j - i + 1)
  }
  return worst
}

t.test(
  'two robots on one webhook share its 20 a minute: no 130101, every alert accounted for',
  async (t) => {
    const { start, clock, fake, notifier, outbox, alert, drain } = await rig(t, [
      { name: 'sink-1', token: TOKEN },
      { name: 'sink-2', token: TOKEN },
    ])
    // 15 alerts a minute to each, one every 2 s: alone, each robot's would all go at once.
    for (let i = 0; i < 30; i++) {
      clock.advanceTo(start + i * 2_000)
      await notifier.settled()
      alert(i % 2 === 0 ? 'sink-1' : 'sink-2', `pod-${i}`)
      await notifier.settled()
    }
    await drain()
    const requests = fake.requests.filter((r) => r.token === TOKEN)
    t.ok(
      worstMinute(requests.map((r) => r.at)) <= 20,
      `at most 20 requests to the webhook in any 60 s (${requests.length} in all)`,
    )
    t.same(
      requests.filter((r) => r.answer && 'errcode' in r.answer && r.answer.errcode !== 0),
      [],
      'DingTalk never refused: no 130101 send too fast',
    )
    t.equal(outbox.size('sink-1').messages + outbox.size('sink-2').messages, 0, 'both drained')
    let told = 0
    for (const m of fake.messages) {
      const text: string = m.body.markdown.text
      told += digestOccurrences(text) ?? (alertPodName(text) ? 1 : 0)
    }
    t.equal(told, 30, 'every alert was told, alone or in a digest')
    const stats = notifier.stats().robots
    t.same(
      stats.map((s) => [s.robot, s.sentOccurrences, s.queued]),
      [
        ['sink-1', 15, 0],
        ['sink-2', 15, 0],
      ],
      'each robot accounts for its own',
    )
  },
)

t.test('a throttle one robot hears holds the other robot on its webhook too', async (t) => {
  const { clock, fake, notifier, alert } = await rig(t, [
    { name: 'a', token: TOKEN },
    { name: 'b', token: TOKEN },
    { name: 'elsewhere', token: OTHER },
  ])
  fake.failNext(TOKEN, 1, { errcode: 130101, errmsg: 'send too fast' })
  alert('a', 'pod-a')
  await notifier.settled()
  const throttledAt = clock.now()
  alert('b', 'pod-b')
  alert('elsewhere', 'pod-x')
  await notifier.settled()
  t.same(
    fake.requests.map((r) => r.token),
    [TOKEN, OTHER],
    'b waits out the throttle a heard; a robot on another webhook does not',
  )
  const stats = notifier.stats().robots
  t.ok((stats.find((s) => s.robot === 'b')?.throttledUntil ?? 0) > throttledAt, 'b shows it')
  t.equal(stats.find((s) => s.robot === 'elsewhere')?.throttledUntil, null)
  clock.advanceTo(throttledAt + 60_000)
  await notifier.settled()
  const after = fake.messages.filter((m) => m.token === TOKEN).map((m) => m.body.markdown.text)
  t.equal(after.length, 2, 'after the pause both are sent')
})
