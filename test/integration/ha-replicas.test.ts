/**
 * Two and three replicas with leader election in one process, against the fake API server
 * (Lease, shared state ConfigMap) and the fake DingTalk: one sends, a graceful stop hands over
 * at once with nothing lost or repeated, and a mute set on one pod holds on the others and is
 * announced once when it runs out.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import {
  appRobotHeaders,
  aTextMessage,
  createFakeSessionWebhook,
} from '../helpers/dingtalk-callback.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { startFakeSls } from '../helpers/fake-sls.ts'
import { createFakeStreamGateway } from '../helpers/fake-stream-gateway.ts'
import {
  createHaRig,
  deliveredOccurrences,
  type HaRig,
  NAMESPACE,
  occurrencesIn,
} from '../helpers/ha-rig.ts'
import { TOKEN, untilReady } from '../helpers/service-rig.ts'
import { createTcpProxy } from '../helpers/tcp-proxy.ts'

const burst = (rig: HaRig, from: number, to: number, namespace = 'default') => {
  for (let i = from; i < to; i++)
    rig.kube.addEvent(buildEvent({ namespace, name: `burst-${i}`, reason: 'BackOff' }))
}

const throttled = (rig: HaRig) =>
  rig.dingtalk.requests.filter((r) => /130101/.test(JSON.stringify(r))).length

t.test('a graceful stop hands the sending over at once: nothing lost, nothing twice', async (t) => {
  const rig = await createHaRig(t)
  const a = await rig.start('pod-a')
  await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
  const b = await rig.start('pod-b')
  await Promise.all([untilReady(a.service), untilReady(b.service)])

  burst(rig, 0, 100)
  await eventually(() => rig.dingtalk.messages.length >= 1, 'the leader is sending')
  // These are still on their way when the stop comes: the flush or the next leader sends them.
  burst(rig, 100, 150)
  const stoppedAt = performance.now()
  await rig.stop(a, 2_000)
  t.not(rig.holder(), 'pod-a', 'the Lease was released')
  await eventually(() => rig.holder() === 'pod-b', 'pod-b takes over', 3_000)
  const takeover = performance.now() - stoppedAt
  burst(rig, 150, 300)
  await eventually(() => deliveredOccurrences(rig.dingtalk) >= 300, 'all 300 delivered', 15_000)
  await sleep(1_000)
  t.equal(deliveredOccurrences(rig.dingtalk), 300, '0 lost and 0 duplicates')
  t.equal(throttled(rig), 0, 'the new leader kept within the rate budget')
  t.equal(b.service.notifier.stats().robots[0]?.queued, 0, "the new leader's outbox is empty")
  t.ok(takeover < 2_000, `pod-b led ${Math.round(takeover)} ms after pod-a was told to stop`)
  const state = rig.kube.objects.get('configmaps', NAMESPACE, 'kubeding-state')
  t.ok(state, 'the shared state lives in its ConfigMap')
  t.ok(Buffer.byteLength(JSON.stringify(state)) < 1_048_576, 'and stays under a ConfigMap’s 1 MiB')
})

t.test('three replicas: only one ever leads, the others follow its checkpoint', async (t) => {
  const rig = await createHaRig(t)
  const replicas = [await rig.start('pod-a'), await rig.start('pod-b'), await rig.start('pod-c')]
  await Promise.all(replicas.map((r) => untilReady(r.service)))
  await eventually(() => rig.holder() !== '', 'someone leads')
  burst(rig, 0, 300)
  await eventually(() => deliveredOccurrences(rig.dingtalk) >= 300, 'all 300 delivered', 15_000)
  const leader = replicas.find((r) => r.name === rig.holder())
  t.ok(leader)
  // The followers' outboxes empty as the leader's checkpoint comes in.
  for (const r of replicas) {
    await eventually(
      () => r.service.notifier.stats().robots[0]?.queued === 0,
      `${r.name}'s outbox follows the checkpoint`,
    )
  }
  await sleep(500)
  t.equal(deliveredOccurrences(rig.dingtalk), 300, 'every event once')
  // The leader stops; of the two left, one takes over and sends the next burst, once.
  await rig.stop(leader as (typeof replicas)[number])
  await eventually(() => rig.holder() !== '' && rig.holder() !== leader?.name, 'a new leader')
  burst(rig, 300, 400)
  await eventually(() => deliveredOccurrences(rig.dingtalk) >= 400, 'the next 100', 15_000)
  await sleep(1_000)
  t.equal(deliveredOccurrences(rig.dingtalk), 400, 'still every event once')
})

t.test('a mute set on one pod holds on the other; its end is announced once', async (t) => {
  const rig = await createHaRig(t)
  const a = await rig.start('pod-a')
  await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
  const b = await rig.start('pod-b')
  await Promise.all([untilReady(a.service), untilReady(b.service)])

  // `status` on the follower names the leader and both replicas, with their watch.
  await eventually(() => a.service.pipeline.isBootstrapping() === false, 'listed')
  let status = ''
  for (let i = 0; i < 5 && !/pod-a: watching.*pod-b \(this one\): watching/.test(status); i++) {
    status = (await b.ask('status')).text
    await sleep(500)
  }
  t.match(
    status,
    /\*\*Replicas\*\* leader pod-a · pod-a: watching, seen .* · pod-b \(this one\): watching/,
  )

  const setAt = performance.now()
  t.equal((await b.ask('mute ns=quiet for=1m')).title, 'Muted m1', 'the follower accepts a mute')
  // Asked every 400 ms: chat allows a sender 10 commands a minute.
  while (!/m1/.test((await a.ask('mutes')).text) && performance.now() - setAt < 3_000)
    await sleep(400)
  const applied = performance.now() - setAt
  t.ok(applied <= 2_000, `on the leader ${Math.round(applied)} ms later (at most 2 s)`)

  rig.kube.addEvent(buildEvent({ namespace: 'quiet', name: 'hushed', reason: 'BackOff' }))
  rig.kube.addEvent(buildEvent({ namespace: 'loud', name: 'heard', reason: 'BackOff' }))
  await eventually(() => rig.dingtalk.messages.length >= 1, 'the unmuted alert')
  await sleep(500)
  const titles = () => rig.dingtalk.messages.map((m) => String(m.body.markdown?.title))
  t.same(
    titles().filter((x) => /hushed/.test(x)),
    [],
    'the muted event was held back',
  )
  t.equal(titles().filter((x) => /heard/.test(x)).length, 1)

  // A second mute on the other pod gets the next id: ids come from the shared state.
  t.equal((await a.ask('mute ns=other for=1m')).title, 'Muted m2')

  rig.advance(61_000)
  await eventually(() => titles().some((x) => /Mute m1 ended/.test(x)), 'm1 ran out')
  await sleep(1_500)
  t.equal(titles().filter((x) => /Mute m1 ended/.test(x)).length, 1, 'announced once')
  // Even after the follower takes over, its own copy of the notice is not sent.
  await rig.stop(a)
  await eventually(() => rig.holder() === 'pod-b', 'pod-b takes over')
  await sleep(1_000)
  t.equal(titles().filter((x) => /Mute m1 ended/.test(x)).length, 1, 'still once')
  t.equal(titles().filter((x) => /Mute m2 ended/.test(x)).length, 1, 'm2 once too')
})

t.test('a chat message re-delivered to the other pod is not run twice', async (t) => {
  const rig = await createHaRig(t)
  const a = await rig.start('pod-a')
  await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
  const b = await rig.start('pod-b')
  await Promise.all([untilReady(a.service), untilReady(b.service)])
  t.equal((await b.ask('mute ns=quiet for=1h', 'msg-twice')).title, 'Muted m1')
  // DingTalk did not get the answer in time and delivers the same message again, to pod-a.
  const again = await a.ask('mute ns=quiet for=1h', 'msg-twice')
  t.equal(again.title, 'Already answered')
  t.equal(
    (await b.ask('mute ns=quiet for=1h', 'msg-twice')).title,
    'Muted m1',
    'pod-b replays its reply',
  )
  await sleep(1_500)
  const listed = (await a.ask('mutes')).text
  t.match(listed, /m1/)
  t.notMatch(listed, /m2/, 'one mute, not two')
})

t.test('Stream mode: only the leader holds the connection', async (t) => {
  const credentials = { clientId: 'ding-client-ha', clientSecret: 'stream-secret-ha' }
  const gateway = await createFakeStreamGateway(credentials)
  t.teardown(() => gateway.close())
  const rig = await createHaRig(t, {
    outgoing: { stream: credentials },
    service: { streamGatewayUrl: gateway.gatewayUrl },
  })
  const a = await rig.start('pod-a')
  await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
  const b = await rig.start('pod-b')
  await Promise.all([untilReady(a.service), untilReady(b.service)])
  await eventually(() => gateway.connections() === 1, "the leader's connection")
  await sleep(1_000)
  t.equal(gateway.opens.length, 1, 'the follower does not connect')
  await rig.stop(a)
  await eventually(() => rig.holder() === 'pod-b', 'pod-b takes over')
  await eventually(() => gateway.connections() === 2, "the new leader's connection")
  t.equal(gateway.opens.length, 2, 'one connection per term')
})

t.test(
  'a leader cut off from the API server stops sending before its Lease can be taken',
  async (t) => {
    const rig = await createHaRig(t)
    const proxy = await createTcpProxy(rig.kube.url)
    t.teardown(() => proxy.close())
    const a = await rig.start('pod-a', proxy.url)
    await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
    const b = await rig.start('pod-b')
    await Promise.all([untilReady(a.service), untilReady(b.service)])
    burst(rig, 0, 100)
    await eventually(() => deliveredOccurrences(rig.dingtalk) >= 100, 'the first 100 delivered')
    // DingTalk hiccups, so pod-a still has these to send when the partition comes.
    rig.dingtalk.failNext(TOKEN, 3, { httpStatus: 503 })
    burst(rig, 100, 150)
    await sleep(150)
    const sentBefore = rig.dingtalk.messages.length
    proxy.partition()
    // pod-a sees nothing more; pod-b takes these in, and sends them once it leads.
    burst(rig, 150, 250)
    await eventually(() => rig.holder() === 'pod-b', 'pod-b takes over', 10_000)
    await eventually(() => deliveredOccurrences(rig.dingtalk) >= 250, 'all 250 delivered', 15_000)
    const lines = rig
      .logText()
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as { time: number; replica?: string; msg: string })
    const stopped = lines.find((l) => l.replica === 'pod-a' && /no longer the leader/.test(l.msg))
    const started = lines.find((l) => l.replica === 'pod-b' && l.msg === 'became the leader')
    const stoppedAt = stopped?.time ?? Number.POSITIVE_INFINITY
    const startedAt = started?.time ?? 0
    t.ok(stopped && started, 'pod-a stepped down and pod-b took over')
    t.ok(stoppedAt < startedAt, `pod-a stopped ${startedAt - stoppedAt} ms before pod-b led`)
    t.same(
      rig.dingtalk.requests.filter((r) => r.at > stoppedAt && r.at < startedAt),
      [],
      'nobody sent between the two: pod-a stopped for good',
    )
    proxy.heal()
    await sleep(1_500)
    // What pod-a delivered while its checkpoint could not be written comes again from pod-b. The
    // gate lets a send through only once the previous answer is recorded: at most one message.
    const duplicates = deliveredOccurrences(rig.dingtalk) - 250
    const byPodA = rig.dingtalk.messages.filter((m) => m.at < stoppedAt)
    const duringPartition = byPodA.slice(sentBefore)
    t.ok(duringPartition.length <= 1, `${duringPartition.length} message(s) sent while cut off`)
    t.ok(
      duplicates === 0 || byPodA.some((m) => occurrencesIn(m) === duplicates),
      `the duplicates (${duplicates} occurrences) are one message of pod-a's; nothing lost`,
    )
    t.comment(`partition: ${duplicates} duplicate occurrences`)
    t.equal(rig.holder(), 'pod-b', 'back from the partition, pod-a follows')
  },
)

t.test(
  'a rolling update loses nothing and repeats nothing; older pods take over first',
  async (t) => {
    const rig = await createHaRig(t)
    const a = await rig.start('pod-a')
    await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
    const b = await rig.start('pod-b')
    await Promise.all([untilReady(a.service), untilReady(b.service)])
    burst(rig, 0, 100)
    // maxSurge 1, maxUnavailable 0: a new pod is ready before an old one stops.
    const c = await rig.start('pod-c')
    await untilReady(c.service)
    burst(rig, 100, 150)
    await rig.stop(a)
    await eventually(() => rig.holder() !== '', 'a new leader')
    t.equal(rig.holder(), 'pod-b', 'the older follower, whose outbox has everything, leads')
    burst(rig, 150, 200)
    const d = await rig.start('pod-d')
    await untilReady(d.service)
    burst(rig, 200, 250)
    await rig.stop(b)
    await eventually(() => rig.holder() !== '', 'a new leader')
    t.equal(rig.holder(), 'pod-c', 'again the older of the two left')
    burst(rig, 250, 300)
    await eventually(() => deliveredOccurrences(rig.dingtalk) >= 300, 'all 300', 15_000)
    await sleep(1_500)
    t.equal(deliveredOccurrences(rig.dingtalk), 300, 'every event once through two hand-overs')
  },
)

t.test('only the leader ships to Log Service; the next one misses nothing', async (t) => {
  const sls = await startFakeSls()
  t.teardown(() => sls.close())
  const rig = await createHaRig(t, { archive: { sls: sls.config }, service: { fetch: sls.fetch } })
  const a = await rig.start('pod-a')
  await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
  const b = await rig.start('pod-b')
  await Promise.all([untilReady(a.service), untilReady(b.service)])
  const shipped = () => sls.logs.map((l) => JSON.parse(l.contents.eventId ?? '{}').metadata.name)
  burst(rig, 0, 50)
  await eventually(
    () => shipped().filter((n) => /^burst-/.test(n)).length >= 50,
    '50 shipped',
    10_000,
  )
  await sleep(2_500)
  const first = shipped().filter((n) => /^burst-/.test(n))
  t.equal(first.length, 50, 'each event shipped once: the follower does not ship')
  t.equal(new Set(first).size, 50)
  await rig.stop(a)
  await eventually(() => rig.holder() === 'pod-b', 'pod-b takes over')
  burst(rig, 50, 100)
  await eventually(
    () => new Set(shipped().filter((n) => /^burst-/.test(n))).size >= 100,
    'the new leader ships what came after',
    10_000,
  )
  t.pass('every event reached Log Service (a new leader may ship its last 2 minutes again)')
})

t.test(
  'app robot mode: a message re-delivered to the other pod is not run nor posted twice',
  async (t) => {
    const appSecret = 'app-secret-ha'
    const webhook = await createFakeSessionWebhook()
    t.teardown(() => webhook.close())
    const rig = await createHaRig(t, { outgoing: { appSecret } })
    const a = await rig.start('pod-a')
    await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
    const b = await rig.start('pod-b')
    await Promise.all([untilReady(a.service), untilReady(b.service)])
    const message = aTextMessage('mute ns=quiet for=1h', {
      msgId: 'msg-app-twice',
      sessionWebhook: webhook.newSession(),
      sessionWebhookExpiredTime: rig.now() + 90 * 60_000,
    })
    const deliver = (replica: typeof a) =>
      replica.service.app.inject({
        method: 'POST',
        url: '/dingtalk/outgoing',
        headers: appRobotHeaders(appSecret, rig.now()),
        payload: message,
      })
    t.equal((await deliver(a)).statusCode, 200)
    await webhook.waitForPosts(1)
    t.equal((await deliver(b)).statusCode, 200, 'DingTalk delivers it again, to the other pod')
    await sleep(1_500)
    t.equal(webhook.posts.length, 1, 'one reply in the group')
    t.match(webhook.posts[0]?.body.markdown.title, /Muted m1/)
    t.notMatch((await b.ask('mutes')).text, /m2/, 'and one mute')
  },
)
