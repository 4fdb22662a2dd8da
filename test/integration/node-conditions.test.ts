/**
 * Node conditions told from the node watch itself, end to end: the fake API server's node
 * conditions (no Event is ever created here) through the whole service to the fake DingTalk.
 */
import t from 'tap'
import { buildNode } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import {
  KERNEL,
  KERNEL_OK,
  markdowns,
  quiet,
  startWithNodes,
  titles,
} from '../helpers/node-conditions.ts'
import { createRig } from '../helpers/service-rig.ts'
import { isoAgo } from '../helpers/test-clock.ts'

t.test('an NPD condition with no Event: problem within 10 s, resolved with how long', async (t) => {
  const rig = await createRig(t, { config: { language: 'en', alerting: { groupWindow: '1s' } } })
  rig.kube.addNode(buildNode('node-1'))
  rig.kube.addNode(buildNode('node-2'))
  const service = await startWithNodes(rig)
  t.equal(rig.dingtalk.messages.length, 0, 'healthy nodes: nothing')

  const turned = Date.now()
  rig.kube.updateNode('node-2', [{ ...KERNEL, lastTransitionTime: isoAgo(0) }])
  await eventually(() => rig.dingtalk.messages.length === 1, 'the node problem', 10_000)
  t.ok(Date.now() - turned < 10_000, `told in ${Date.now() - turned} ms`)
  const [first] = markdowns(rig)
  t.equal(first?.title, 'Warning Node node-2: KernelDeadlock')
  for (const part of [
    '· Node node-2 · KernelDeadlock',
    'task docker:7 blocked for more than 120 seconds.',
    'KernelDeadlock=True since ',
    ' · DockerHung · node Ready, schedulable',
    'mute%20kind%3DNode%20name%3Dnode-2',
  ]) {
    t.ok(first?.text.includes(part), part)
  }

  rig.kube.updateNode('node-2', [{ ...KERNEL_OK, lastTransitionTime: isoAgo(0) }])
  await eventually(() => rig.dingtalk.messages.length === 2, 'the resolved message', 10_000)
  const resolved = markdowns(rig)[1]
  t.match(resolved?.title, /^Resolved Node node-2: KernelDeadlock after \d+s$/)
  t.match(resolved?.text, /KernelDeadlock is back to normal after \d+s \(/, 'how long it lasted')
  t.ok(resolved?.text.includes('node Ready, schedulable · KernelHasNoDeadlock'))
  await quiet(1_500)
  t.equal(rig.dingtalk.messages.length, 2, 'nothing more')
  const metrics = (await service.app.inject({ url: '/metrics' })).body
  t.match(metrics, /kubeding_node_messages_total\{kind="node-problem"\} 1\n/)
  t.match(metrics, /kubeding_node_messages_total\{kind="node-resolved"\} 1\n/)
  t.match(metrics, /kubeding_node_problems 0\n/, 'nothing tracked once resolved')
})

t.test('the kubelet pressure conditions and a cordoned node', async (t) => {
  const rig = await createRig(t, { config: { language: 'en' } })
  const node = buildNode('node-3')
  node.spec = { unschedulable: true }
  rig.kube.addNode(node)
  await startWithNodes(rig)
  rig.kube.updateNode('node-3', [
    { type: 'DiskPressure', status: 'True', reason: 'KubeletHasDiskPressure' },
  ])
  await eventually(() => rig.dingtalk.messages.length === 1, 'DiskPressure')
  t.equal(titles(rig)[0], 'Warning Node node-3: DiskPressure')
  t.ok(markdowns(rig)[0]?.text.includes('node Ready, cordoned'))
})

t.test('Ready False is told once it lasted nodeNotReadyAfter, not before', async (t) => {
  const rig = await createRig(t, {
    config: { language: 'en', alerting: { nodeNotReadyAfter: '2s' } },
  })
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
  t.ok(markdowns(rig)[0]?.text.includes('node NotReady (False), schedulable'))
})

t.test('alerting.resolved false: the problem is told, its end is not', async (t) => {
  const rig = await createRig(t, {
    config: { language: 'en', alerting: { groupWindow: '1s', resolved: false } },
  })
  rig.kube.addNode(buildNode('node-5'))
  await startWithNodes(rig)
  rig.kube.updateNode('node-5', [KERNEL])
  await eventually(() => rig.dingtalk.messages.length === 1, 'the problem')
  rig.kube.updateNode('node-5', [KERNEL_OK])
  await quiet(2_000)
  t.same(titles(rig), ['Warning Node node-5: KernelDeadlock'])
})

t.test('routes: kinds [Node] and a namespace filter still get node problems', async (t) => {
  const rig = await createRig(t, {
    config: {
      language: 'en',
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
  const rig = await createRig(t, {
    config: { language: 'en', routes: [{ robot: 'ops', kinds: ['Pod'] }] },
  })
  rig.kube.addNode(buildNode('node-8'))
  await startWithNodes(rig)
  rig.kube.updateNode('node-8', [KERNEL])
  await quiet(1_000)
  t.equal(rig.dingtalk.messages.length, 0)
})
