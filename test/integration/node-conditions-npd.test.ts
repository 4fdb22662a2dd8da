/**
 * node-problem-detector's own Event racing the condition it sets, end to end through the fake
 * API server: whichever the service sees first, the group gets one problem message.
 */
import t, { type Test } from 'tap'
import { buildEvent, buildNode } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { KERNEL, KERNEL_OK, quiet, startWithNodes, titles } from '../helpers/node-conditions.ts'
import { createRig } from '../helpers/service-rig.ts'
import { isoAgo } from '../helpers/test-clock.ts'

/** The Event NPD's kernel monitor writes when its permanent rule sets KernelDeadlock. */
const dockerHung = (node: string) =>
  buildEvent({
    kind: 'Node',
    name: node,
    reason: 'DockerHung',
    message:
      'Node condition KernelDeadlock is now: True, reason: DockerHung, message: "task docker:7 blocked for more than 120 seconds."',
    component: 'kernel-monitor',
    host: node,
    firstTimestamp: isoAgo(0),
  })

async function started(t: Test, nodes: string[]) {
  const rig = await createRig(t, { config: { language: 'en', alerting: { groupWindow: '1s' } } })
  for (const name of nodes) rig.kube.addNode(buildNode(name))
  await startWithNodes(rig)
  return rig
}

t.test('the Event first: one message, and the condition still resolves', async (t) => {
  const rig = await started(t, ['node-2'])
  rig.kube.addEvent(dockerHung('node-2'))
  await eventually(() => rig.dingtalk.messages.length === 1, 'the Event alert')
  rig.kube.updateNode('node-2', [{ ...KERNEL, lastTransitionTime: isoAgo(0) }])
  await quiet(1_500)
  t.same(titles(rig), ['Warning Node node-2: DockerHung'], 'the condition adds nothing')
  rig.kube.updateNode('node-2', [{ ...KERNEL_OK, lastTransitionTime: isoAgo(0) }])
  await eventually(() => rig.dingtalk.messages.length === 2, 'resolved')
  t.match(titles(rig)[1], /^Resolved Node node-2: KernelDeadlock/)
})

t.test('the condition first: one message; the Event and its repeats add none', async (t) => {
  const rig = await started(t, ['node-2'])
  rig.kube.updateNode('node-2', [{ ...KERNEL, lastTransitionTime: isoAgo(0) }])
  await eventually(() => rig.dingtalk.messages.length === 1, 'the node problem')
  const event = rig.kube.addEvent(dockerHung('node-2'))
  await quiet(300)
  rig.kube.updateEvent(String(event.metadata.namespace), event.metadata.name)
  await quiet(2_000)
  t.same(titles(rig), ['Warning Node node-2: KernelDeadlock'])
})

t.test('both at the same moment, on 5 nodes: one message per node', async (t) => {
  const nodes = ['r1', 'r2', 'r3', 'r4', 'r5']
  const rig = await started(t, nodes)
  for (const [i, node] of nodes.entries()) {
    // Alternate which write the API server sees first.
    if (i % 2 === 0) rig.kube.addEvent(dockerHung(node))
    rig.kube.updateNode(node, [{ ...KERNEL, lastTransitionTime: isoAgo(0) }])
    if (i % 2 === 1) rig.kube.addEvent(dockerHung(node))
  }
  await eventually(() => rig.dingtalk.messages.length >= 5, 'five messages')
  await quiet(1_500)
  t.equal(rig.dingtalk.messages.length, 5)
  const perNode = nodes.map((n) => titles(rig).filter((x) => x.includes(`Node ${n}:`)).length)
  t.same(perNode, [1, 1, 1, 1, 1])
})

t.test(
  'readonly-monitor: FilesystemIsReadOnly and ReadonlyFilesystem are one problem',
  async (t) => {
    const rig = await started(t, ['node-3'])
    rig.kube.addEvent(
      buildEvent({
        kind: 'Node',
        name: 'node-3',
        reason: 'FilesystemIsReadOnly',
        message: 'Remounting filesystem read-only',
        component: 'readonly-monitor',
        host: 'node-3',
      }),
    )
    await eventually(() => rig.dingtalk.messages.length === 1, 'the Event alert')
    rig.kube.updateNode('node-3', [
      { type: 'ReadonlyFilesystem', status: 'True', reason: 'FilesystemIsReadOnly' },
    ])
    await quiet(1_500)
    t.equal(rig.dingtalk.messages.length, 1)
  },
)

t.test('a burst of TaskHung, then KernelDeadlock with its Event rate-limited away', async (t) => {
  const rig = await started(t, ['node-4'])
  for (let i = 0; i < 30; i++) {
    rig.kube.addEvent(
      buildEvent({
        kind: 'Node',
        name: 'node-4',
        reason: 'TaskHung',
        message: `task jbd2/sda1-8:${i} blocked for more than 120 seconds.`,
        component: 'kernel-monitor',
        host: 'node-4',
      }),
    )
  }
  await eventually(() => titles(rig).some((x) => x.includes('TaskHung')), 'TaskHung told')
  rig.kube.updateNode('node-4', [{ ...KERNEL, lastTransitionTime: isoAgo(0) }])
  await eventually(
    () => titles(rig).includes('Warning Node node-4: KernelDeadlock'),
    'KernelDeadlock told: a hung task is not the deadlock',
  )
  t.pass('the group is told about the deadlock')
})
