/**
 * Node conditions told from the node watch itself, end to end: the fake API server's node
 * conditions (no Event is ever created here) through the whole service to the fake DingTalk.
 */
import t from 'tap'
import type { Service } from '../../src/service.ts'
import { aTextMessage, outgoingHeaders } from '../helpers/dingtalk-callback.ts'
import { buildNode, type ConditionSpec } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { createRig, type Rig, untilReady } from '../helpers/service-rig.ts'
import { isoAgo } from '../helpers/test-clock.ts'

const OUTGOING_TOKEN = 'outgoing-token-for-tests'
const KERNEL: ConditionSpec = {
  type: 'KernelDeadlock',
  status: 'True',
  reason: 'DockerHung',
  message: 'task docker:7 blocked for more than 120 seconds.',
}
const KERNEL_OK: ConditionSpec = {
  type: 'KernelDeadlock',
  status: 'False',
  reason: 'KernelHasNoDeadlock',
  message: 'kernel has no deadlock',
}
const fastDigests = { digestSpacingMs: 100, retryDelayMs: 50, maxRetryDelayMs: 200 }

const markdowns = (rig: Rig): { title: string; text: string }[] =>
  rig.dingtalk.messages.map((m) => m.body.markdown)
const titles = (rig: Rig) => markdowns(rig).map((m) => m.title)
const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts the service and waits until its node watch has taken in the first list of nodes. */
async function startWithNodes(rig: Rig, over: Parameters<Rig['start']>[0] = {}) {
  const service = await rig.start(over)
  await untilReady(service)
  await eventually(() => rig.kube.count('list', 'nodes') > 0, 'nodes listed')
  await quiet(100)
  return service
}

async function say(service: Service, text: string): Promise<string> {
  const res = await service.app.inject({
    method: 'POST',
    url: '/dingtalk/outgoing',
    headers: outgoingHeaders(OUTGOING_TOKEN),
    payload: aTextMessage(text),
  })
  if (res.statusCode !== 200) throw new Error(`outgoing answered ${res.statusCode}: ${res.body}`)
  return res.json().markdown.text as string
}

t.test('an NPD condition with no Event: problem within 10 s, resolved with how long', async (t) => {
  const rig = await createRig(t, { config: { alerting: { groupWindow: '1s' } } })
  rig.kube.addNode(buildNode('node-1'))
  rig.kube.addNode(buildNode('node-2'))
  await startWithNodes(rig)
  t.equal(rig.dingtalk.messages.length, 0, 'healthy nodes: nothing')

  const turned = Date.now()
  rig.kube.updateNode('node-2', [{ ...KERNEL, lastTransitionTime: isoAgo(0) }])
  await eventually(() => rig.dingtalk.messages.length === 1, 'the node problem', 10_000)
  t.ok(Date.now() - turned < 10_000, `told in ${Date.now() - turned} ms`)
  const [first] = markdowns(rig)
  t.equal(first?.title, 'Warning Node node-2: KernelDeadlock')
  for (const part of [
    '**Node:** node-2',
    '**Condition:** KernelDeadlock = True (DockerHung)',
    '**Message:** task docker:7 blocked for more than 120 seconds.',
    '**Since:** ',
    '**Node state:** Ready, schedulable',
    'mute%20kind%3DNode%20name%3Dnode-2',
  ]) {
    t.ok(first?.text.includes(part), part)
  }

  rig.kube.updateNode('node-2', [{ ...KERNEL_OK, lastTransitionTime: isoAgo(0) }])
  await eventually(() => rig.dingtalk.messages.length === 2, 'the resolved message', 10_000)
  const resolved = markdowns(rig)[1]
  t.match(resolved?.title, /^Resolved \(恢复\) Node node-2: KernelDeadlock after \d+s$/)
  t.ok(resolved?.text.includes('**Lasted:** '), 'how long it lasted')
  t.ok(resolved?.text.includes('KernelDeadlock is False again (KernelHasNoDeadlock)'))
  await quiet(1_500)
  t.equal(rig.dingtalk.messages.length, 2, 'nothing more')
})

t.test('the kubelet pressure conditions and a cordoned node', async (t) => {
  const rig = await createRig(t)
  const node = buildNode('node-3')
  node.spec = { unschedulable: true }
  rig.kube.addNode(node)
  await startWithNodes(rig)
  rig.kube.updateNode('node-3', [
    { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure' },
  ])
  await eventually(() => rig.dingtalk.messages.length === 1, 'DiskPressure')
  t.equal(titles(rig)[0], 'Warning Node node-3: DiskPressure')
  t.ok(markdowns(rig)[0]?.text.includes('**Node state:** Ready, cordoned'))
})

t.test('Ready False is told once it lasted nodeNotReadyAfter, not before', async (t) => {
  const rig = await createRig(t, { config: { alerting: { nodeNotReadyAfter: '2s' } } })
  rig.kube.addNode(buildNode('node-4'))
  await startWithNodes(rig)
  const turned = Date.now()
  rig.kube.updateNode('node-4', [
    {
      type: 'Ready',
      status: 'False',
      reason: 'KubeletNotReady',
      message: 'PLEG is not healthy',
      lastTransitionTime: isoAgo(0),
    },
  ])
  await eventually(() => rig.dingtalk.messages.length === 1, 'NotReady', 10_000)
  t.ok(Date.now() - turned >= 1_000, `not before its time (${Date.now() - turned} ms)`)
  t.equal(titles(rig)[0], 'Warning Node node-4: Ready')
  t.ok(markdowns(rig)[0]?.text.includes('**Node state:** NotReady (False), schedulable'))
})

t.test('alerting.resolved false: the problem is told, its end is not', async (t) => {
  const rig = await createRig(t, { config: { alerting: { groupWindow: '1s', resolved: false } } })
  rig.kube.addNode(buildNode('node-5'))
  await startWithNodes(rig)
  rig.kube.updateNode('node-5', [KERNEL])
  await eventually(() => rig.dingtalk.messages.length === 1, 'the problem')
  rig.kube.updateNode('node-5', [KERNEL_OK])
  await quiet(2_000)
  t.same(titles(rig), ['Warning Node node-5: KernelDeadlock'])
})

t.test('a condition flapping 60 times: one problem and one resolved with the count', async (t) => {
  const rig = await createRig(t, { config: { alerting: { groupWindow: '2s' } } })
  rig.kube.addNode(buildNode('node-6'))
  await startWithNodes(rig)
  for (let i = 0; i < 60; i++) {
    rig.kube.updateNode('node-6', [{ ...KERNEL, lastTransitionTime: isoAgo(0) }])
    await quiet(50)
    rig.kube.updateNode('node-6', [{ ...KERNEL_OK, lastTransitionTime: isoAgo(0) }])
    await quiet(50)
  }
  await eventually(() => rig.dingtalk.messages.length === 2, 'problem and resolved', 10_000)
  await quiet(2_500)
  t.equal(rig.dingtalk.messages.length, 2, 'never one per flip')
  t.equal(titles(rig)[0], 'Warning Node node-6: KernelDeadlock')
  t.match(titles(rig)[1], /^Resolved \(恢复\) Node node-6/)
  t.ok(markdowns(rig)[1]?.text.includes('turned into a problem 60 times'))
})

t.test('routes: kinds [Node] and a namespace filter still get node problems', async (t) => {
  const rig = await createRig(t, {
    config: {
      routes: [
        { robot: 'ops', kinds: ['Pod'] },
        {
          robot: 'ops',
          kinds: ['Node'],
          namespaces: ['payments'],
          at: { mobiles: ['13800000000'] },
        },
      ],
    },
  })
  rig.kube.addNode(buildNode('node-7'))
  await startWithNodes(rig)
  rig.kube.updateNode('node-7', [{ type: 'ReadonlyFilesystem', status: 'True' }])
  await eventually(() => rig.dingtalk.messages.length === 1, 'the problem')
  const body = rig.dingtalk.messages[0]?.body
  t.same(body.at.atMobiles, ['13800000000'], 'the route mentions')
  t.ok(body.markdown.text.includes('@13800000000'))
})

t.test('no route for kind Node: nothing is sent', async (t) => {
  const rig = await createRig(t, { config: { routes: [{ robot: 'ops', kinds: ['Pod'] }] } })
  rig.kube.addNode(buildNode('node-8'))
  await startWithNodes(rig)
  rig.kube.updateNode('node-8', [KERNEL])
  await quiet(1_000)
  t.equal(rig.dingtalk.messages.length, 0)
})

t.test('mute kind=Node name=node-2 holds the node back, other nodes still go', async (t) => {
  const rig = await createRig(t, {
    outgoing: { token: OUTGOING_TOKEN },
    config: { alerting: { groupWindow: '1s' } },
  })
  rig.kube.addNode(buildNode('node-2'))
  rig.kube.addNode(buildNode('node-9'))
  const service = await startWithNodes(rig)
  t.match(await say(service, 'mute kind=Node name=node-2 for=2h'), /m1/)
  rig.kube.updateNode('node-2', [KERNEL])
  rig.kube.updateNode('node-9', [KERNEL])
  await eventually(() => rig.dingtalk.messages.length === 1, 'node-9 only')
  rig.kube.updateNode('node-2', [KERNEL_OK])
  await quiet(2_000)
  t.same(titles(rig), ['Warning Node node-9: KernelDeadlock'])
  t.match(
    await say(service, 'unmute m1'),
    /held back 1 alert\b/,
    'its problem; no end of one never told',
  )
})

t.test('restarts: nothing told twice; what began or ended while down is told once', async (t) => {
  const rig = await createRig(t, { config: { alerting: { groupWindow: '1s' } } })
  rig.kube.addNode(buildNode('a', [KERNEL]))
  rig.kube.addNode(buildNode('b', [KERNEL]))
  rig.kube.addNode(buildNode('c'))
  await startWithNodes(rig)
  await eventually(() => rig.dingtalk.messages.length === 2, 'first start: problems there now')
  t.same(titles(rig).sort(), ['Warning Node a: KernelDeadlock', 'Warning Node b: KernelDeadlock'])
  await rig.stop()

  await startWithNodes(rig)
  await quiet(1_500)
  t.equal(rig.dingtalk.messages.length, 2, 'a restart with no change tells nothing')
  await rig.stop()

  rig.kube.updateNode('a', [{ ...KERNEL_OK, lastTransitionTime: isoAgo(0) }])
  rig.kube.deleteNode('b')
  rig.kube.updateNode('c', [{ type: 'ReadonlyFilesystem', status: 'True' }])
  await startWithNodes(rig)
  await eventually(() => rig.dingtalk.messages.length === 5, 'what changed while down', 10_000)
  t.same(titles(rig).slice(2).sort(), [
    'Resolved (恢复) Node a: KernelDeadlock after 1h 10m',
    'Resolved (恢复) Node b: KernelDeadlock after 1h 10m',
    'Warning Node c: ReadonlyFilesystem',
  ])
  t.ok(
    markdowns(rig).some((m) => m.text.includes('NodeDeleted')),
    'b: deleted',
  )
  await rig.stop()

  await startWithNodes(rig)
  await quiet(1_500)
  t.equal(rig.dingtalk.messages.length, 5, 'and nothing twice after another restart')
})

t.test('a condition resolved after a restart is resolved to the robots told before', async (t) => {
  const rig = await createRig(t, { config: { alerting: { groupWindow: '1s' } } })
  rig.kube.addNode(buildNode('d', [{ ...KERNEL, lastTransitionTime: isoAgo(3_600_000) }]))
  await startWithNodes(rig)
  await eventually(() => rig.dingtalk.messages.length === 1, 'the problem')
  await rig.stop()
  await startWithNodes(rig)
  rig.kube.updateNode('d', [{ ...KERNEL_OK, lastTransitionTime: isoAgo(0) }])
  await eventually(() => rig.dingtalk.messages.length === 2, 'resolved')
  t.equal(titles(rig)[1], 'Resolved (恢复) Node d: KernelDeadlock after 1h')
})

t.test('40 nodes at once within the rate budget: digests account for every one', async (t) => {
  const rig = await createRig(t, { config: { alerting: { groupWindow: '1s' } } })
  for (let i = 0; i < 40; i++) rig.kube.addNode(buildNode(`n${i}`))
  const service = await startWithNodes(rig, { notifierTuning: fastDigests })
  for (let i = 0; i < 40; i++) rig.kube.updateNode(`n${i}`, [KERNEL])
  const delivered = () =>
    (
      service.store.db
        .prepare(
          "SELECT coalesce(sum(occurrences), 0) AS n FROM deliveries WHERE errcode = 0 AND kind != 'notice'",
        )
        .get() as { n: number }
    ).n
  await eventually(() => delivered() >= 40, '40 node problems delivered', 10_000)
  await quiet(300)
  t.equal(delivered(), 40, 'each once')
  t.ok(rig.dingtalk.messages.length <= 20, `${rig.dingtalk.messages.length} messages`)
  const digests = markdowns(rig).filter((m) => m.title.includes('digest'))
  t.ok(digests.length > 0, 'the rest merged into digests')
  const inDigests = digests.reduce(
    (n, m) => n + Number(/digest: \d+ alerts?, (\d+) occurrences/.exec(m.title)?.[1] ?? 0),
    0,
  )
  t.equal(inDigests + (rig.dingtalk.messages.length - digests.length), 40, 'none lost')
  const refused = rig.dingtalk.requests.filter(
    (r) => r.answer && 'errcode' in r.answer && r.answer.errcode !== 0,
  )
  t.same(refused, [], 'never over the rate')
})
