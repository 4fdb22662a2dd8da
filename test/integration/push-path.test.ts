/**
 * The push path end to end: the fake API server's events through the whole service (watch,
 * pipeline, store, notifier, real robot client) to the fake DingTalk.
 */
import t from 'tap'
import type { Service } from '../../src/service.ts'
import { buildEvent, buildNode } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { digestOccurrences } from '../helpers/read-message.ts'
import { createRig, SECRET, TOKEN, untilReady } from '../helpers/service-rig.ts'
import { testNow } from '../helpers/test-clock.ts'

/** Occurrences DingTalk accepted, by the service's own delivery log. */
const delivered = (s: Service) =>
  (
    s.store.db
      .prepare('SELECT coalesce(sum(occurrences), 0) AS n FROM deliveries WHERE errcode = 0')
      .get() as { n: number }
  ).n

const fastDigests = { digestSpacingMs: 100, retryDelayMs: 50, maxRetryDelayMs: 200 }

t.test(
  'a Warning reaches DingTalk as markdown; Normal and pre-existing events do not',
  async (t) => {
    const rig = await createRig(t)
    rig.kube.addEvent(buildEvent({ reason: 'FailedBeforeStart' }))
    const service = await rig.start()
    await untilReady(service)
    t.equal((await service.app.inject({ url: '/healthz' })).statusCode, 200)
    rig.kube.addEvent(buildEvent({ type: 'Normal', reason: 'Pulled' }))
    rig.kube.addEvent(
      buildEvent({
        kind: 'Pod',
        namespace: 'payments',
        name: 'api-7d9f',
        reason: 'BackOff',
        message: 'Back-off restarting failed container',
      }),
    )
    await eventually(() => rig.dingtalk.messages.length >= 1, 'the alert')
    await new Promise((r) => setTimeout(r, 200))
    t.equal(rig.dingtalk.messages.length, 1, 'only the new Warning')
    const body = rig.dingtalk.messages[0]?.body
    t.equal(body.msgtype, 'markdown')
    t.match(body.markdown.title, /^警告 Pod payments\/api-7d9f/, 'the default language is Chinese')
    for (const part of ['rig', 'payments', 'api-7d9f', 'BackOff', 'Back-off restarting']) {
      t.match(body.markdown.text, part)
    }
    t.notMatch(JSON.stringify(rig.dingtalk.messages), 'FailedBeforeStart')
    t.notMatch(rig.logText(), SECRET, 'the robot secret is never logged')
    t.notMatch(rig.logText(), TOKEN, 'nor the access token')
  },
)

t.test('node problems are alerted whatever the namespace filter says', async (t) => {
  const rig = await createRig(t, {
    config: { routes: [{ robot: 'ops', namespaces: ['payments'] }] },
  })
  const service = await rig.start()
  await untilReady(service)
  rig.kube.addNode(buildNode('node-7'))
  rig.kube.addEvent(
    buildEvent({
      kind: 'Node',
      name: 'node-7',
      reason: 'KernelOops',
      component: 'kernel-monitor',
      host: 'node-7',
    }),
  )
  rig.kube.addEvent(buildEvent({ namespace: 'default', reason: 'BackOff' }))
  await eventually(() => rig.dingtalk.messages.length >= 1, 'the node alert')
  await new Promise((r) => setTimeout(r, 200))
  t.equal(rig.dingtalk.messages.length, 1)
  t.match(rig.dingtalk.messages[0]?.body.markdown.title, /Node node-7/)
})

t.test('restart with the same state dir: no repeats, downtime events alerted once', async (t) => {
  const rig = await createRig(t, { config: { alerting: { groupWindow: '1s' } } })
  const service = await rig.start()
  await untilReady(service)
  const a = rig.kube.addEvent(buildEvent({ name: 'a', reason: 'BackOff' })) as {
    metadata: { namespace: string; name: string }
  }
  await eventually(() => rig.dingtalk.messages.length === 1, 'alert for a')
  await rig.stop()

  const again = await rig.start()
  await untilReady(again)
  await new Promise((r) => setTimeout(r, 300))
  t.equal(rig.dingtalk.messages.length, 1, 'a restart with no change sends nothing')
  await rig.stop()

  rig.kube.updateEvent(a.metadata.namespace, a.metadata.name)
  rig.kube.addEvent(buildEvent({ name: 'b', reason: 'FailedMount' }))
  await new Promise((r) => setTimeout(r, 1_100))
  const third = await rig.start()
  await untilReady(third)
  await eventually(() => rig.dingtalk.messages.length === 3, 'a grew and b appeared while down')
  await new Promise((r) => setTimeout(r, 1_500))
  t.equal(rig.dingtalk.messages.length, 3, 'each once, nothing after')
  t.equal(delivered(third), 3, 'one occurrence each: a, a again, b')
})

t.test('a 410 in the middle of a burst: every event accounted once', async (t) => {
  const rig = await createRig(t)
  const service = await rig.start({ notifierTuning: fastDigests })
  await untilReady(service)
  for (let i = 0; i < 30; i++) rig.kube.addEvent(buildEvent({ name: `burst-${i}` }))
  rig.kube.compact({ expireOpenWatches: true })
  for (let i = 30; i < 60; i++) rig.kube.addEvent(buildEvent({ name: `burst-${i}` }))
  await eventually(() => delivered(service) >= 60, '60 occurrences delivered', 10_000)
  await new Promise((r) => setTimeout(r, 500))
  t.equal(delivered(service), 60)
  t.ok(rig.kube.count('list', 'events') >= 2, 'it listed again after the 410')
  t.ok(rig.dingtalk.messages.length < 20, `${rig.dingtalk.messages.length} messages, not 60`)
})

t.test('a 600-event storm: never throttled, every event accounted', async (t) => {
  const rig = await createRig(t)
  const service = await rig.start({ notifierTuning: fastDigests })
  await untilReady(service)
  for (let i = 0; i < 600; i++) {
    rig.kube.addEvent(buildEvent({ name: `storm-${i % 200}-${i}`, reason: 'FailedScheduling' }))
  }
  await eventually(() => delivered(service) >= 600, '600 occurrences delivered', 15_000)
  const refusals = rig.dingtalk.requests.filter(
    (r) => r.answer && 'errcode' in r.answer && r.answer.errcode !== 0,
  )
  t.same(refusals, [], 'DingTalk refused nothing (no 130101)')
  t.ok(rig.dingtalk.messages.length <= 20, `${rig.dingtalk.messages.length} messages`)
  const digest = rig.dingtalk.messages.find(
    (m) => digestOccurrences(m.body.markdown.text) !== undefined,
  )
  t.ok(digest, 'the storm became a digest')
})

t.test('DingTalk refusing the signature: loud, counted, kept, and sent once fixed', async (t) => {
  const rig = await createRig(t)
  const service = await rig.start({ notifierTuning: { ...fastDigests, probeMs: 300 } })
  await untilReady(service)
  rig.dingtalk.failNext(TOKEN, 1, { errcode: 310000, errmsg: 'sign not match' })
  rig.kube.addEvent(buildEvent({ reason: 'BackOff' }))
  await eventually(
    () => /dingtalk\.robots\[ops\]\.secret/.test(rig.logText()),
    'the log names the key',
  )
  const refused = service.notifier.stats().robots[0]?.refused
  t.same(refused, { '310000': 1 })
  const status = await service.app.inject({ url: '/metrics' })
  t.match(status.body, /kubeding_alerts_refused_total\{robot="ops",errcode="310000"\} 1/)
  await eventually(() => rig.dingtalk.messages.length === 1, 'the kept message, on the next probe')
  t.notMatch(rig.logText(), SECRET)
})

t.test('DingTalk down, then back: nothing lost', async (t) => {
  const rig = await createRig(t)
  const service = await rig.start({ notifierTuning: fastDigests })
  await untilReady(service)
  rig.dingtalk.setDown(true)
  for (let i = 0; i < 3; i++) rig.kube.addEvent(buildEvent({ name: `down-${i}` }))
  await eventually(() => (service.notifier.stats().robots[0]?.failures ?? 0) >= 2, 'retries')
  rig.dingtalk.setDown(false)
  await eventually(() => delivered(service) === 3, 'all three after DingTalk returned', 5_000)
  t.pass()
})

t.test(
  'an API server that refuses the token, then accepts it: not ready, then catches up',
  async (t) => {
    const rig = await createRig(t)
    const service = await rig.start({
      loadKubeConfig: () => rig.kube.kubeConfig({ token: 'stale-token' }),
    })
    await new Promise((r) => setTimeout(r, 300))
    const res = await service.app.inject({ url: '/readyz' })
    t.equal(res.statusCode, 503)
    t.match(rig.logText(), /401|Unauthorized|unauthori[sz]ed/i)
    t.notMatch(rig.logText(), 'stale-token', 'the bearer token is never logged')
    rig.kube.setToken('stale-token')
    await untilReady(service)
    rig.kube.addEvent(buildEvent({ reason: 'BackOff' }))
    await eventually(() => rig.dingtalk.messages.length === 1, 'the alert after recovery')
    t.pass()
  },
)

t.test('a watch down for long keeps /readyz 200: the chat must keep answering', async (t) => {
  const rig = await createRig(t)
  let skew = 0
  const service = await rig.start({ now: () => testNow() + skew })
  await untilReady(service)
  await rig.kube.stop()
  for (let i = 0; ; i++) {
    const metrics = await service.app.inject({ url: '/metrics' })
    if (/^kubeding_watch_up 0$/m.test(metrics.body)) break
    if (i > 200) {
      t.fail('the watch never noticed the API server is gone')
      break
    }
    await new Promise((r) => setTimeout(r, 20))
  }
  t.equal((await service.app.inject({ url: '/readyz' })).statusCode, 200, 'a short blip is fine')
  skew += 10 * 60_000
  const res = await service.app.inject({ url: '/readyz' })
  t.equal(res.statusCode, 200, 'ten minutes later still ready (leader and followers alike)')
  t.equal((await service.app.inject({ url: '/healthz' })).statusCode, 200)
})

t.test('/metrics speaks Prometheus with kubeding_ names', async (t) => {
  const rig = await createRig(t)
  const service = await rig.start()
  await untilReady(service)
  rig.kube.addEvent(buildEvent({ reason: 'BackOff' }))
  await eventually(() => rig.dingtalk.messages.length === 1, 'the alert')
  // The fake records the message before the notifier has read DingTalk's answer.
  await service.notifier.settled()
  const res = await service.app.inject({ url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/plain/)
  for (const line of [
    /kubeding_events_total\{type="Warning"\} 1/,
    /kubeding_alerts_sent_total\{robot="ops"\} 1/,
    /kubeding_outbox_messages\{robot="ops"\} 0/,
    /^kubeding_watch_up 1$/m,
    /kubeding_build_info\{version="0.0.0-test"/,
    /kubeding_store_size_bytes \d+/,
    /kubeding_process_resident_memory_bytes/,
  ]) {
    t.match(res.body, line)
  }
})
