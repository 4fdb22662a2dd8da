/**
 * Leader election against the fake API server's Leases, through the real generated client:
 * one leader at a time, takeover after a crash within one lease duration, at once after a
 * release, a partitioned leader that steps down before its Lease can be taken, and Leases left
 * in a state we did not write.
 */
import t, { type Test } from 'tap'
import { createLeaseClient } from '../../../src/ha/kube-objects.ts'
import {
  createLeaderElector,
  type LeaderElector,
  toElectionTiming,
} from '../../../src/ha/leader-election.ts'
import { createFakeKubeApi, eventually, type FakeKubeApi } from '../../helpers/fake-kube-api.ts'
import { createTcpProxy } from '../../helpers/tcp-proxy.ts'

const timing = toElectionTiming(2_000)
const silent = { info() {}, warn() {} }

interface Candidate {
  elector: LeaderElector
  /** Monotonic times of each start and stop of leading. */
  started: number[]
  stopped: number[]
}

function candidate(t: Test, api: FakeKubeApi, identity: string, server?: string): Candidate {
  const c: Candidate = { started: [], stopped: [], elector: undefined as unknown as LeaderElector }
  c.elector = createLeaderElector({
    client: createLeaseClient({
      kc: api.kubeConfig(server ? { server } : {}),
      namespace: 'kubeding',
      name: 'kubeding',
      timeoutMs: timing.retryPeriodMs,
    }),
    name: 'kubeding',
    namespace: 'kubeding',
    identity,
    timing,
    now: Date.now,
    onStartedLeading: () => c.started.push(performance.now()),
    onStoppedLeading: () => c.stopped.push(performance.now()),
    logger: silent,
  })
  t.teardown(() => c.elector.stop())
  return c
}

async function fakeApi(t: Test): Promise<FakeKubeApi> {
  const api = await createFakeKubeApi()
  t.teardown(() => api.stop())
  return api
}

const holder = (api: FakeKubeApi) =>
  (api.objects.get('leases', 'kubeding', 'kubeding')?.spec as { holderIdentity?: string })
    ?.holderIdentity

t.test('the first candidate creates the Lease and leads; the other waits', async (t) => {
  const api = await fakeApi(t)
  const a = candidate(t, api, 'pod-a')
  a.elector.start()
  await eventually(() => a.elector.isLeader(), 'pod-a leads')
  const b = candidate(t, api, 'pod-b')
  b.elector.start()
  await new Promise((r) => setTimeout(r, timing.leaseDurationMs * 1.5))
  t.ok(a.elector.isLeader(), 'pod-a still leads: it renews')
  t.notOk(b.elector.isLeader(), 'pod-b never led while pod-a renewed')
  t.same(b.started, [])
  t.equal(holder(api), 'pod-a')
  t.equal(b.elector.leader(), 'pod-a', 'the follower knows who leads')
  const lease = api.objects.get('leases', 'kubeding', 'kubeding')?.spec as Record<string, unknown>
  t.equal(lease.leaseDurationSeconds, 2)
  t.match(lease.renewTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'a MicroTime')
})

t.test('a crashed leader is replaced within one lease duration of the crash', async (t) => {
  const api = await fakeApi(t)
  const a = candidate(t, api, 'pod-a')
  const b = candidate(t, api, 'pod-b')
  a.elector.start()
  await eventually(() => a.elector.isLeader(), 'pod-a leads')
  b.elector.start()
  await new Promise((r) => setTimeout(r, timing.retryPeriodMs * 3))
  const killedAt = performance.now()
  a.elector.stop()
  await eventually(() => b.elector.isLeader(), 'pod-b takes over', 10_000)
  const takeover = (b.started[0] ?? 0) - killedAt
  t.ok(
    takeover <= timing.leaseDurationMs + 150,
    `took over ${Math.round(takeover)} ms after the crash (lease ${timing.leaseDurationMs} ms)`,
  )
  t.ok(
    takeover >= timing.leaseDurationMs - 2 * timing.retryPeriodMs,
    'not before the lease ran out',
  )
  t.equal(holder(api), 'pod-b')
  const spec = api.objects.get('leases', 'kubeding', 'kubeding')?.spec as Record<string, unknown>
  t.equal(spec.leaseTransitions, 1)
})

t.test('a released Lease is taken at once', async (t) => {
  const api = await fakeApi(t)
  const a = candidate(t, api, 'pod-a')
  const b = candidate(t, api, 'pod-b')
  a.elector.start()
  await eventually(() => a.elector.isLeader(), 'pod-a leads')
  b.elector.start()
  await new Promise((r) => setTimeout(r, timing.retryPeriodMs * 2))
  const releasedAt = performance.now()
  await a.elector.release()
  t.notOk(a.elector.isLeader())
  t.equal(a.stopped.length, 1, 'stopping was told once')
  await eventually(() => b.elector.isLeader(), 'pod-b takes over')
  const takeover = (b.started[0] ?? 0) - releasedAt
  t.ok(
    takeover <= timing.retryPeriodMs + 150,
    `took over ${Math.round(takeover)} ms after the release (retry period ${timing.retryPeriodMs} ms)`,
  )
})

t.test('a partitioned leader stops leading before the Lease can be taken over', async (t) => {
  const api = await fakeApi(t)
  const proxy = await createTcpProxy(api.url)
  t.teardown(() => proxy.close())
  const a = candidate(t, api, 'pod-a', proxy.url)
  const b = candidate(t, api, 'pod-b')
  a.elector.start()
  await eventually(() => a.elector.isLeader(), 'pod-a leads')
  b.elector.start()
  await new Promise((r) => setTimeout(r, timing.retryPeriodMs * 3))
  proxy.partition()
  await eventually(() => b.elector.isLeader(), 'pod-b takes over', 10_000)
  const stoppedAt = a.stopped[0]
  const startedAt = b.started[0]
  t.ok(stoppedAt !== undefined && startedAt !== undefined)
  t.ok(
    (stoppedAt ?? Number.POSITIVE_INFINITY) < (startedAt ?? 0),
    `pod-a stopped ${Math.round((startedAt ?? 0) - (stoppedAt ?? 0))} ms before pod-b started`,
  )
  t.notOk(a.elector.isLeader())
  proxy.heal()
  await new Promise((r) => setTimeout(r, timing.retryPeriodMs * 4))
  t.notOk(a.elector.isLeader(), 'back from the partition, pod-a follows')
  t.equal(a.started.length, 1)
  t.equal(holder(api), 'pod-b')
})

t.test('a Lease written by someone else in a strange state is handled', async (t) => {
  const api = await fakeApi(t)
  const kc = api.kubeConfig()
  const client = createLeaseClient({ kc, namespace: 'kubeding', name: 'kubeding', timeoutMs: 500 })
  // Held, but with no duration: treated as already expired, as client-go does.
  await client.create({
    metadata: { name: 'kubeding', namespace: 'kubeding' },
    spec: { holderIdentity: 'ghost' },
  })
  const a = candidate(t, api, 'pod-a')
  a.elector.start()
  await eventually(() => a.elector.isLeader(), 'pod-a takes the ownerless Lease')
  t.equal(holder(api), 'pod-a')
})

t.test('a replace with a stale resourceVersion is refused with a conflict', async (t) => {
  const api = await fakeApi(t)
  const client = createLeaseClient({
    kc: api.kubeConfig(),
    namespace: 'kubeding',
    name: 'kubeding',
    timeoutMs: 500,
  })
  const created = await client.create({
    metadata: { name: 'kubeding', namespace: 'kubeding' },
    spec: { holderIdentity: 'a' },
  })
  await client.replace({ ...created, spec: { holderIdentity: 'b' } })
  await t.rejects(client.replace({ ...created, spec: { holderIdentity: 'c' } }), {
    code: 'conflict',
  })
  await t.rejects(client.create(created), { code: 'conflict' })
  t.equal(holder(api), 'b', 'the stale write changed nothing')
})
