/**
 * Two and three replicas with leader election in one process, against the fake API server
 * (Lease, shared state ConfigMap) and the fake DingTalk: one sends, a graceful stop and a rolling
 * update hand over with nothing lost or repeated, and a leader cut off from the API server stops
 * sending before its Lease can be taken.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { eventually } from '../helpers/fake-kube-api.ts'
import {
  addBurst,
  createHaRig,
  deliveredOccurrences,
  type HaRig,
  NAMESPACE,
  occurrencesIn,
} from '../helpers/ha-rig.ts'
import { TOKEN, untilReady } from '../helpers/service-rig.ts'
import { createTcpProxy } from '../helpers/tcp-proxy.ts'

// Several services start in each test: more than tap's 30 s per file on a busy machine.
t.setTimeout(120_000)

const throttled = (rig: HaRig) =>
  rig.dingtalk.requests.filter((r) => /130101/.test(JSON.stringify(r))).length

t.test('a graceful stop hands the sending over at once: nothing lost, nothing twice', async (t) => {
  const rig = await createHaRig(t)
  const [a, b] = await rig.startPair()

  addBurst(rig.kube, 0, 100)
  await eventually(() => rig.dingtalk.messages.length >= 1, 'the leader is sending')
  // These are still on their way when the stop comes: the flush or the next leader sends them.
  addBurst(rig.kube, 100, 150)
  const stoppedAt = performance.now()
  await rig.stop(a, 2_000)
  t.not(rig.holder(), 'pod-a', 'the Lease was released')
  await eventually(() => rig.holder() === 'pod-b', 'pod-b takes over', 3_000)
  const takeover = performance.now() - stoppedAt
  addBurst(rig.kube, 150, 300)
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
  addBurst(rig.kube, 0, 300)
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
  addBurst(rig.kube, 300, 400)
  await eventually(() => deliveredOccurrences(rig.dingtalk) >= 400, 'the next 100', 15_000)
  await sleep(1_000)
  t.equal(deliveredOccurrences(rig.dingtalk), 400, 'still every event once')
})

t.test(
  'a leader cut off from the API server stops sending before its Lease can be taken',
  async (t) => {
    const rig = await createHaRig(t)
    const proxy = await createTcpProxy(rig.kube.url)
    t.teardown(() => proxy.close())
    await rig.startPair(proxy.url)
    addBurst(rig.kube, 0, 100)
    await eventually(() => deliveredOccurrences(rig.dingtalk) >= 100, 'the first 100 delivered')
    // DingTalk hiccups, so pod-a still has these to send when the partition comes.
    rig.dingtalk.failNext(TOKEN, 3, { httpStatus: 503 })
    addBurst(rig.kube, 100, 150)
    await sleep(150)
    const sentBefore = rig.dingtalk.messages.length
    proxy.partition()
    // pod-a sees nothing more; pod-b takes these in, and sends them once it leads.
    addBurst(rig.kube, 150, 250)
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
    const [a, b] = await rig.startPair()
    addBurst(rig.kube, 0, 100)
    // maxSurge 1, maxUnavailable 0: a new pod is ready before an old one stops.
    const c = await rig.start('pod-c')
    await untilReady(c.service)
    addBurst(rig.kube, 100, 150)
    await rig.stop(a)
    await eventually(() => rig.holder() !== '', 'a new leader')
    t.equal(rig.holder(), 'pod-b', 'the older follower, whose outbox has everything, leads')
    addBurst(rig.kube, 150, 200)
    const d = await rig.start('pod-d')
    await untilReady(d.service)
    addBurst(rig.kube, 200, 250)
    // pod-d defers to pod-c once it has read pod-c's heartbeat from the shared state: under load
    // that can come after pod-d is ready, and a rolling update only stops pod-b later still.
    let heard = ''
    for (let i = 0; i < 10 && !/pod-c: watching/.test(heard); i++) {
      heard = (await d.ask('status')).text
      if (!/pod-c: watching/.test(heard)) await sleep(500)
    }
    t.match(heard, /pod-c: watching/, 'pod-d has heard of pod-c')
    await rig.stop(b)
    await eventually(() => rig.holder() !== '', 'a new leader')
    t.equal(rig.holder(), 'pod-c', 'again the older of the two left')
    addBurst(rig.kube, 250, 300)
    await eventually(() => deliveredOccurrences(rig.dingtalk) >= 300, 'all 300', 15_000)
    await sleep(1_500)
    t.equal(deliveredOccurrences(rig.dingtalk), 300, 'every event once through two hand-overs')
  },
)
