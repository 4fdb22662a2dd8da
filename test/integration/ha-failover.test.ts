/**
 * Failover between real kubeding processes (bin/kubeding.js) with leader election, against the
 * fake API server and the fake DingTalk: the leader SIGKILLed in the middle of a 300-event burst
 * (nothing flushed, the Lease not released), and stopped with SIGTERM (flushed, released).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t, { type Test } from 'tap'
import { createFakeDingTalk, type FakeDingTalk } from '../helpers/fake-dingtalk.ts'
import { createFakeKubeApi, eventually, type FakeKubeApi } from '../helpers/fake-kube-api.ts'
import {
  createProcessFleet,
  PROCESS_SECRET,
  PROCESS_TOKEN,
  type ProcessFleet,
  untilProcessReady,
} from '../helpers/ha-processes.ts'
import { addBurst, deliveredOccurrences, occurrencesIn } from '../helpers/ha-rig.ts'

const LEASE_MS = 2_000

// Real processes start in each test: more than tap's 30 s per file on a busy machine.
t.setTimeout(120_000)

async function fleetOfTwo(t: Test): Promise<{
  kube: FakeKubeApi
  dingtalk: FakeDingTalk
  fleet: ProcessFleet
  leader: Awaited<ReturnType<ProcessFleet['start']>>
}> {
  const kube = await createFakeKubeApi()
  const dingtalk = await createFakeDingTalk({
    robots: [{ token: PROCESS_TOKEN, secret: PROCESS_SECRET }],
  })
  const fleet = createProcessFleet(kube, dingtalk, `${LEASE_MS / 1_000}s`)
  t.teardown(async () => {
    await fleet.close()
    await Promise.all([kube.stop(), dingtalk.close()])
  })
  const leader = await fleet.start('pod-a')
  await untilProcessReady(leader)
  await eventually(() => fleet.holder() === 'pod-a', 'pod-a leads', 10_000)
  await untilProcessReady(await fleet.start('pod-b'))
  return { kube, dingtalk, fleet, leader }
}

const throttled = (dingtalk: FakeDingTalk) =>
  dingtalk.requests.filter((r) => /130101/.test(JSON.stringify(r))).length

t.test(
  'SIGKILL of the leader mid-burst: taken over within a lease duration, nothing lost',
  async (t) => {
    const { kube, dingtalk, fleet, leader } = await fleetOfTwo(t)
    addBurst(kube, 0, 100)
    await eventually(() => dingtalk.messages.length >= 1, 'the leader is sending', 10_000)
    // Taken in by both replicas; the leader spaces its next digest, so these wait in its outbox.
    addBurst(kube, 100, 200)
    await sleep(100)
    const sentBeforeKill = dingtalk.messages.map(occurrencesIn)
    leader.child.kill('SIGKILL')
    const killedAt = performance.now()
    addBurst(kube, 200, 300)
    await eventually(() => fleet.holder() === 'pod-b', 'pod-b takes over', 10_000)
    const takeover = performance.now() - killedAt
    await eventually(() => deliveredOccurrences(dingtalk) >= 300, 'all 300 delivered', 30_000)
    await sleep(1_500)
    const duplicates = deliveredOccurrences(dingtalk) - 300
    t.comment(
      `takeover ${Math.round(takeover)} ms after SIGKILL; ${duplicates} duplicate occurrences`,
    )
    t.ok(
      takeover <= LEASE_MS + 300,
      `taken over ${Math.round(takeover)} ms after the kill (lease ${LEASE_MS} ms)`,
    )
    t.ok(deliveredOccurrences(dingtalk) >= 300, '0 events lost')
    // Only what DingTalk accepted before the checkpoint recorded it may come again: one message.
    t.ok(
      duplicates === 0 || sentBeforeKill.includes(duplicates),
      `duplicates (${duplicates} occurrences) are at most one message the old leader sent`,
    )
    t.equal(throttled(dingtalk), 0, "the takeover kept within DingTalk's 20 a minute")
  },
)

t.test(
  'SIGTERM of the leader: flushed, the Lease released, taken over at once, nothing twice',
  async (t) => {
    const { kube, dingtalk, fleet, leader } = await fleetOfTwo(t)
    addBurst(kube, 0, 100)
    await eventually(() => dingtalk.messages.length >= 1, 'the leader is sending', 10_000)
    addBurst(kube, 100, 200)
    await sleep(100)
    leader.child.kill('SIGTERM')
    const stoppedAt = performance.now()
    t.equal(await leader.exited, 0, 'the leader exits cleanly')
    const exitedAfter = performance.now() - stoppedAt
    addBurst(kube, 200, 300)
    await eventually(() => fleet.holder() === 'pod-b', 'pod-b takes over', 10_000)
    const takeover = performance.now() - stoppedAt
    await eventually(() => deliveredOccurrences(dingtalk) >= 300, 'all 300 delivered', 30_000)
    await sleep(1_500)
    t.equal(deliveredOccurrences(dingtalk), 300, '0 lost, 0 duplicates')
    t.match(leader.output(), /no longer the leader/, 'the old leader said it stepped down')
    t.ok(
      takeover - exitedAfter < LEASE_MS / 2,
      `taken over ${Math.round(takeover - exitedAfter)} ms after the old leader exited, not a lease duration later`,
    )
    t.equal(throttled(dingtalk), 0)
  },
)

t.test('three processes: SIGKILL of the leader, one of the two others takes over', async (t) => {
  const { kube, dingtalk, fleet, leader } = await fleetOfTwo(t)
  await untilProcessReady(await fleet.start('pod-c'))
  addBurst(kube, 0, 150)
  await eventually(() => dingtalk.messages.length >= 1, 'the leader is sending', 10_000)
  addBurst(kube, 150, 200)
  await sleep(100)
  const sentBeforeKill = dingtalk.messages.map(occurrencesIn)
  leader.child.kill('SIGKILL')
  const killedAt = performance.now()
  addBurst(kube, 200, 300)
  await eventually(() => ['pod-b', 'pod-c'].includes(fleet.holder()), 'a new leader', 10_000)
  const takeover = performance.now() - killedAt
  await eventually(() => deliveredOccurrences(dingtalk) >= 300, 'all 300 delivered', 30_000)
  await sleep(1_500)
  const duplicates = deliveredOccurrences(dingtalk) - 300
  t.comment(`3 replicas: takeover ${Math.round(takeover)} ms; ${duplicates} duplicate occurrences`)
  t.ok(takeover <= LEASE_MS + 300, `taken over ${Math.round(takeover)} ms after the kill`)
  t.ok(
    duplicates === 0 || sentBeforeKill.includes(duplicates),
    `duplicates (${duplicates} occurrences) are at most one message the old leader sent`,
  )
  t.equal(throttled(dingtalk), 0)
})
