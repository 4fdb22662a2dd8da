/**
 * Node conditions and what outlives a moment, end to end with no Event: mutes set from chat, and
 * restarts (nothing told twice; what began or ended while kubeding was down told once).
 */
import t from 'tap'
import { buildNode } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import {
  KERNEL,
  KERNEL_OK,
  markdowns,
  OUTGOING_TOKEN,
  quiet,
  say,
  startWithNodes,
  titles,
} from '../helpers/node-conditions.ts'
import { createRig } from '../helpers/service-rig.ts'
import { isoAgo } from '../helpers/test-clock.ts'

t.test('mute kind=Node name=node-2 holds the node back, other nodes still go', async (t) => {
  const rig = await createRig(t, {
    outgoing: { token: OUTGOING_TOKEN },
    config: { language: 'en', alerting: { groupWindow: '1s' } },
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
  const rig = await createRig(t, { config: { language: 'en', alerting: { groupWindow: '1s' } } })
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
    'Resolved Node a: KernelDeadlock after 1h 10m',
    'Resolved Node b: KernelDeadlock after 1h 10m',
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
  const rig = await createRig(t, { config: { language: 'en', alerting: { groupWindow: '1s' } } })
  rig.kube.addNode(buildNode('d', [{ ...KERNEL, lastTransitionTime: isoAgo(3_600_000) }]))
  await startWithNodes(rig)
  await eventually(() => rig.dingtalk.messages.length === 1, 'the problem')
  await rig.stop()
  await startWithNodes(rig)
  rig.kube.updateNode('d', [{ ...KERNEL_OK, lastTransitionTime: isoAgo(0) }])
  await eventually(() => rig.dingtalk.messages.length === 2, 'resolved')
  t.equal(titles(rig)[1], 'Resolved Node d: KernelDeadlock after 1h')
})
