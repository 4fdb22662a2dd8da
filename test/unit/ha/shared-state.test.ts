/**
 * The shared state's ConfigMap against the fake API server: created on first write, changes
 * from two writers merged (a stale write is refused with 409, re-read and applied again), writes
 * batched, another writer's change seen by polling, and an unreachable API server retried.
 */
import t, { type Test } from 'tap'
import { createConfigMapClient } from '../../../src/ha/kube-objects.ts'
import { createSharedState, type SharedState } from '../../../src/ha/shared-state.ts'
import { createFakeKubeApi, eventually, type FakeKubeApi } from '../../helpers/fake-kube-api.ts'
import { testNow } from '../../helpers/test-clock.ts'

function state(t: Test, api: FakeKubeApi, warnings: string[] = [], pollMs = 50): SharedState {
  const s = createSharedState({
    client: createConfigMapClient({
      kc: api.kubeConfig(),
      namespace: 'kubeding',
      name: 'kubeding-state',
      timeoutMs: 1_000,
    }),
    name: 'kubeding-state',
    namespace: 'kubeding',
    now: testNow,
    pollMs,
    writeGapMs: 100,
    logger: { warn: (_obj, msg) => warnings.push(msg) },
  })
  t.teardown(() => s.stop())
  return s
}

async function fakeApi(t: Test): Promise<FakeKubeApi> {
  const api = await createFakeKubeApi()
  t.teardown(() => api.stop())
  return api
}

t.test('two writers: both changes land, the loser re-reads and retries', async (t) => {
  const api = await fakeApi(t)
  const a = state(t, api)
  const b = state(t, api)
  a.start()
  b.start()
  await a.refresh()
  await b.refresh()
  // Both start from "no ConfigMap": one create wins, the other gets 409 and replaces.
  await Promise.all([
    a.update((doc) => {
      doc.paused.ops = testNow() + 60_000
    }),
    b.update((doc) => {
      doc.msgIds.m1 = { at: testNow(), by: 'a' }
    }),
  ])
  const fresh = state(t, api)
  const doc = await fresh.refresh()
  t.ok(doc.paused.ops, "a's change")
  t.ok(doc.msgIds.m1, "b's change")
  t.ok(a.stats().conflicts + b.stats().conflicts >= 1, 'one of them lost a race and retried')
  await eventually(() => a.doc().msgIds.m1 !== undefined, "a sees b's change by polling")
})

t.test('changes queued together are written together', async (t) => {
  const api = await fakeApi(t)
  const s = state(t, api)
  s.start()
  await s.update((doc) => {
    doc.msgIds.first = { at: testNow(), by: 'a' }
  })
  const writes = api.objects.writes.length
  await Promise.all(
    Array.from({ length: 50 }, (_, i) =>
      s.update((doc) => {
        doc.msgIds[`m${i}`] = { at: testNow(), by: 'a' }
      }),
    ),
  )
  t.equal(api.objects.writes.length - writes, 1, '50 changes, one write')
  t.equal(s.stats().writes, 2)
  t.ok(s.stats().lastBytes > 0)
})

t.test('an API server away: the change is kept and written when it is back', async (t) => {
  const api = await fakeApi(t)
  const warnings: string[] = []
  const s = state(t, api, warnings)
  s.start()
  await api.stop()
  const written = s.update((doc) => {
    doc.paused.ops = testNow() + 1_000
  })
  await eventually(
    () => warnings.some((w) => /could not write the shared state/.test(w)),
    'a warning',
  )
  t.notOk(api.objects.get('configmaps', 'kubeding', 'kubeding-state'), 'not written yet')
  await api.restart()
  await written
  t.ok(api.objects.get('configmaps', 'kubeding', 'kubeding-state'), 'written once it is back')
})

t.test('a ConfigMap edited by hand into nonsense is read as empty, with a warning', async (t) => {
  const api = await fakeApi(t)
  const client = createConfigMapClient({
    kc: api.kubeConfig(),
    namespace: 'kubeding',
    name: 'kubeding-state',
    timeoutMs: 1_000,
  })
  await client.create({
    metadata: { name: 'kubeding-state', namespace: 'kubeding' },
    data: { mutes: 'oops', paused: '{"ops": 5}' },
  })
  const warnings: string[] = []
  const s = state(t, api, warnings)
  s.start()
  const doc = await s.refresh()
  t.same(doc.mutes, [])
  t.same(doc.paused, { ops: 5 })
  t.match(warnings.join('\n'), /could not be read/)
  // The next write replaces the nonsense with a valid document.
  await s.update((d) => {
    d.msgIds.x = { at: testNow(), by: 'a' }
  })
  const stored = api.objects.get('configmaps', 'kubeding', 'kubeding-state')
  t.equal((stored?.data as Record<string, string> | undefined)?.mutes, '[]')
})
