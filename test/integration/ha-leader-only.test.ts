/**
 * What only the leader holds, in one process against the fakes: the Stream connection (a fresh
 * one each term) and the Log Service shipping (the next leader misses nothing).
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { eventually } from '../helpers/fake-kube-api.ts'
import { startFakeSls } from '../helpers/fake-sls.ts'
import { createFakeStreamGateway } from '../helpers/fake-stream-gateway.ts'
import { addBurst, createHaRig } from '../helpers/ha-rig.ts'

// Several services start in each test: more than tap's 30 s per file on a busy machine.
t.setTimeout(120_000)

t.test('Stream mode: only the leader holds the connection', async (t) => {
  const credentials = { clientId: 'ding-client-ha', clientSecret: 'stream-secret-ha' }
  const gateway = await createFakeStreamGateway(credentials)
  t.teardown(() => gateway.close())
  const rig = await createHaRig(t, {
    outgoing: { stream: credentials },
    service: { streamGatewayUrl: gateway.gatewayUrl },
  })
  const [a] = await rig.startPair()
  await eventually(() => gateway.connections() === 1, "the leader's connection")
  await sleep(1_000)
  t.equal(gateway.opens.length, 1, 'the follower does not connect')
  await rig.stop(a)
  await eventually(() => rig.holder() === 'pod-b', 'pod-b takes over')
  await eventually(() => gateway.connections() === 2, "the new leader's connection")
  t.equal(gateway.opens.length, 2, 'one connection per term')
})

t.test('only the leader ships to Log Service; the next one misses nothing', async (t) => {
  const sls = await startFakeSls()
  t.teardown(() => sls.close())
  const rig = await createHaRig(t, { archive: { sls: sls.config }, service: { fetch: sls.fetch } })
  const [a] = await rig.startPair()
  const shipped = () => sls.logs.map((l) => JSON.parse(l.contents.eventId ?? '{}').metadata.name)
  addBurst(rig.kube, 0, 50)
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
  addBurst(rig.kube, 50, 100)
  await eventually(
    () => new Set(shipped().filter((n) => /^burst-/.test(n))).size >= 100,
    'the new leader ships what came after',
    10_000,
  )
  t.pass('every event reached Log Service (a new leader may ship its last 2 minutes again)')
})
