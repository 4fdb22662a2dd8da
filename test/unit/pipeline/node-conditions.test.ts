/**
 * The node condition source's rules, with an injected clock over an in-memory store: what is
 * told, when, to whom, and what a restart remembers. The fake API server's end-to-end side is in
 * test/integration/node-conditions*.test.ts.
 */
import t, { type Test } from 'tap'
import type { RouteConfig } from '../../../src/config/schema.ts'
import { type NodeInfo, toNodeInfo } from '../../../src/kube/node-cache.ts'
import type { NodeConditionMessage, OutboxMessage } from '../../../src/notify/outbox-message.ts'
import {
  createNodeConditions,
  type NodeConditionsDeps,
} from '../../../src/pipeline/node-conditions.ts'
import { createMuteStore } from '../../../src/store/mutes.ts'
import { openStore, type Store } from '../../../src/store/open-store.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'
import { buildNode, type ConditionSpec } from '../../helpers/event-builders.ts'
import { aRoute } from '../../helpers/routes.ts'
import { testNow } from '../../helpers/test-clock.ts'

const S = 1_000
const M = 60 * S

interface Sent {
  robot: string
  message: NodeConditionMessage
}

function setup(
  t: Test,
  over: Partial<NodeConditionsDeps> & { store?: Store; routes?: RouteConfig[] } = {},
) {
  const store = over.store ?? openStore(':memory:')
  if (!over.store) t.teardown(() => store.close())
  const clock = { t: testNow() }
  const sent: Sent[] = []
  const warnings: string[] = []
  const mutes = createMuteStore(store)
  const make = () =>
    createNodeConditions({
      store,
      routes: [aRoute('ops')],
      mutes,
      enqueue: (robot, message: OutboxMessage) =>
        sent.push({ robot, message: message as NodeConditionMessage }),
      notReadyAfterMs: M,
      settleMs: 30 * S,
      resolved: true,
      now: () => clock.t,
      logger: { warn: (_obj, msg) => warnings.push(msg) },
      ...over,
    })
  const source = make()
  /** The node as the watch would hand it over, its transitions `ago` before the clock. */
  const node = (name: string, conditions: ConditionSpec[] = [], ago = 0): NodeInfo => {
    const iso = new Date(clock.t - ago).toISOString()
    const info = toNodeInfo(
      buildNode(
        name,
        conditions.map((c) => ({ lastTransitionTime: iso, ...c })),
      ),
      clock.t,
    )
    if (!info) throw new Error('no node')
    return info
  }
  const kinds = () => sent.map((s) => `${s.robot}:${s.message.kind}:${s.message.condition}`)
  return { store, clock, sent, source, make, node, kinds, mutes, warnings }
}

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

t.test('an NPD problem is told at once, with everything the engineer needs', async (t) => {
  const { source, sent, node, clock } = setup(t)
  source.onList([node('node-1'), node('node-2', [KERNEL], 5 * S)])
  t.equal(sent.length, 1)
  const since = Math.floor((clock.t - 5 * S) / S) * S
  t.match(sent[0], {
    robot: 'ops',
    message: {
      kind: 'node-problem',
      node: 'node-2',
      condition: 'KernelDeadlock',
      status: 'True',
      reason: 'DockerHung',
      message: 'task docker:7 blocked for more than 120 seconds.',
      ready: 'True',
      schedulable: true,
      flips: 1,
    },
  })
  t.ok(Math.abs((sent[0]?.message.since ?? 0) - since) < S, 'since is the lastTransitionTime')
  source.onChange(node('node-2', [{ ...KERNEL, message: 'another line' }], 5 * S))
  t.equal(sent.length, 1, 'the same problem with another message is not told again')
})

t.test('the kubelet pressure conditions and any other True condition are problems', async (t) => {
  const { source, kinds, node } = setup(t)
  source.onList([
    node('n1', [
      { type: 'MemoryPressure', status: 'True' },
      { type: 'DiskPressure', status: 'True' },
      { type: 'PIDPressure', status: 'True' },
      { type: 'NetworkUnavailable', status: 'True' },
      { type: 'ReadonlyFilesystem', status: 'True', reason: 'FilesystemIsReadOnly' },
      { type: 'SomeVendorProblem', status: 'True' },
      { type: 'FrequentKubeletRestart', status: 'False' },
    ]),
  ])
  t.same(kinds(), [
    'ops:node-problem:MemoryPressure',
    'ops:node-problem:DiskPressure',
    'ops:node-problem:PIDPressure',
    'ops:node-problem:NetworkUnavailable',
    'ops:node-problem:ReadonlyFilesystem',
    'ops:node-problem:SomeVendorProblem',
  ])
})

t.test('Ready False or Unknown is told only once it lasted nodeNotReadyAfter', async (t) => {
  const { source, sent, node, clock } = setup(t)
  source.onList([node('n1')])
  source.onChange(node('n1', [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }]))
  source.tick()
  t.equal(sent.length, 0, 'not yet')
  clock.t += 30 * S
  source.onChange(node('n1', [{ type: 'Ready', status: 'True' }]))
  clock.t += 2 * M
  source.tick()
  t.equal(sent.length, 0, 'back before the minute: never told, nothing resolved')

  source.onChange(node('n1', [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }]))
  clock.t += M - S
  source.tick()
  t.equal(sent.length, 0)
  clock.t += S
  source.tick()
  t.match(sent, [
    { message: { kind: 'node-problem', condition: 'Ready', status: 'Unknown', ready: 'Unknown' } },
  ])
  source.tick()
  t.equal(sent.length, 1, 'once')
})

t.test('a node NotReady since long before kubeding saw it is told at once', async (t) => {
  const { source, sent, node } = setup(t)
  source.onList([node('n1', [{ type: 'Ready', status: 'False' }], 10 * M)])
  t.equal(sent.length, 1)
})

t.test('a transition time in the future (clock skew) does not postpone Ready', async (t) => {
  const { source, sent, node, clock } = setup(t)
  source.onList([node('n1', [{ type: 'Ready', status: 'False' }], -30 * M)])
  clock.t += M
  source.tick()
  t.equal(sent.length, 1)
})

t.test('back to normal: one resolved message after the settle time, with how long', async (t) => {
  const { source, sent, node, clock } = setup(t)
  source.onList([node('n1', [KERNEL])])
  clock.t += 12 * M
  source.onChange(node('n1', [KERNEL_OK]))
  source.tick()
  t.equal(sent.length, 1, 'waits the settle time')
  clock.t += 30 * S
  source.tick()
  t.equal(sent.length, 2)
  const resolved = sent[1]?.message
  t.match(resolved, {
    kind: 'node-resolved',
    condition: 'KernelDeadlock',
    status: 'False',
    reason: 'KernelHasNoDeadlock',
    flips: 1,
  })
  t.ok(
    Math.abs((resolved?.endedAt ?? 0) - (resolved?.since ?? 0) - 12 * M) < 2 * S,
    'lasted 12 minutes, by the transition times',
  )
  source.tick()
  t.equal(sent.length, 2, 'once')
})

t.test('alerting.resolved false: no resolved message, and the problem is forgotten', async (t) => {
  const { source, sent, node, clock } = setup(t, { resolved: false })
  source.onList([node('n1', [KERNEL])])
  source.onChange(node('n1', [KERNEL_OK]))
  clock.t += M
  source.tick()
  t.same(
    sent.map((s) => s.message.kind),
    ['node-problem'],
  )
  source.onChange(node('n1', [KERNEL]))
  t.equal(sent.length, 2, 'a later return of the problem is a new one')
})

t.test(
  'flapping every second for a minute: one problem, one resolved with the count',
  async (t) => {
    const { source, sent, node, clock } = setup(t)
    source.onList([node('n1')])
    for (let i = 0; i < 60; i++) {
      source.onChange(node('n1', [KERNEL]))
      clock.t += 500
      source.tick()
      source.onChange(node('n1', [KERNEL_OK]))
      clock.t += 500
      source.tick()
    }
    t.equal(sent.length, 1, 'only the problem while it flaps')
    clock.t += 30 * S
    source.tick()
    t.same(
      sent.map((s) => [s.message.kind, s.message.flips]),
      [
        ['node-problem', 1],
        ['node-resolved', 60],
      ],
    )
  },
)

t.test(
  'routes: kinds [Node] takes them, other kinds do not, namespaces never drop them',
  async (t) => {
    const routes = [
      aRoute('pods', { kinds: ['Pod'] }),
      aRoute('nodes', { kinds: ['node'], at: { mobiles: ['138'], userIds: [], all: false } }),
      aRoute('payments', { namespaces: ['payments'] }),
      aRoute('no-kernel', { excludeReasons: ['KernelDeadlock'] }),
    ]
    const { source, sent, node } = setup(t, { routes })
    source.onList([node('n1', [KERNEL])])
    t.same(
      sent.map((s) => s.robot),
      ['nodes', 'payments'],
    )
    t.same(sent[0]?.message.at.mobiles, ['138'], "the route's mentions")
  },
)

t.test('a mute of the node holds problem and resolved back and counts them', async (t) => {
  const { source, sent, node, mutes, clock } = setup(t)
  const mute = mutes.add({
    selector: { kind: 'Node', name: 'node-2' },
    createdBy: 'u1',
    createdByName: 'Ann',
    conversationId: 'c1',
    createdAt: clock.t,
    endsAt: clock.t + 60 * M,
  })
  source.onList([node('node-2', [KERNEL]), node('node-3', [KERNEL])])
  t.same(
    sent.map((s) => s.message.node),
    ['node-3'],
  )
  t.equal(mutes.get(mute.id)?.heldBack, 1)
  clock.t += 61 * M
  source.onChange(node('node-2', [KERNEL_OK]))
  clock.t += M
  source.tick()
  t.equal(sent.length, 1, 'no resolved for a problem the group never heard of')
})

t.test('restarts keep the promises', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const first = setup(t, { store })
  first.source.onList([first.node('a', [KERNEL]), first.node('b', [KERNEL]), first.node('c')])
  t.equal(first.sent.length, 2)

  // Down: a ends, b is deleted, c gets a problem. Then a new process on the same store.
  const second = setup(t, { store })
  second.clock.t = first.clock.t + 10 * M
  second.source.onList([
    second.node('a', [KERNEL_OK], 4 * M),
    second.node('c', [{ type: 'ReadonlyFilesystem', status: 'True' }], 2 * M),
  ])
  t.same(second.kinds(), ['ops:node-problem:ReadonlyFilesystem'], 'c told once; a not again')
  second.clock.t += 30 * S
  second.source.tick()
  t.same(second.kinds().slice(1).sort(), [
    'ops:node-resolved:KernelDeadlock',
    'ops:node-resolved:KernelDeadlock',
  ])
  const byNode = new Map(second.sent.map((s) => [s.message.node, s.message]))
  t.match(byNode.get('a'), { status: 'False', reason: 'KernelHasNoDeadlock' })
  t.ok(
    Math.abs((byNode.get('a')?.endedAt ?? 0) - (second.clock.t - 30 * S - 4 * M)) < 2 * S,
    'ended when its condition turned, not when kubeding came back',
  )
  t.match(byNode.get('b'), { reason: 'NodeDeleted', ready: 'Unknown', schedulable: false })

  const third = setup(t, { store })
  third.clock.t = second.clock.t + M
  third.source.onList([
    third.node('a', [KERNEL_OK]),
    third.node('c', [{ type: 'ReadonlyFilesystem', status: 'True' }]),
  ])
  third.clock.t += M
  third.source.tick()
  t.same(third.sent, [], 'nothing twice')
})

t.test('an NPD Event and its condition reach each robot once, whichever comes first', async (t) => {
  const { source, sent, node, clock } = setup(t)
  source.onList([node('n1'), node('n2')])
  const dockerHung = aClusterEvent({
    kind: 'Node',
    namespace: '',
    name: 'n1',
    reason: 'DockerHung',
    message:
      'Node condition KernelDeadlock is now: True, reason: DockerHung, message: "task docker:7 blocked"',
    component: 'kernel-monitor',
  })
  t.notOk(source.absorbs('ops', dockerHung, clock.t), 'the Event came first: it is told')
  clock.t += 2 * S
  source.onChange(node('n1', [KERNEL]))
  t.equal(sent.length, 0, 'so the condition is not told again')
  t.ok(source.absorbs('ops', { ...dockerHung, count: 2 }, clock.t), 'its repeats add nothing')

  source.onChange(node('n2', [{ type: 'ReadonlyFilesystem', status: 'True' }]))
  t.equal(sent.length, 1, 'the condition came first: it is told')
  const readonly = aClusterEvent({
    kind: 'Node',
    namespace: '',
    name: 'n2',
    reason: 'FilesystemIsReadOnly',
    message: 'Remounting filesystem read-only',
  })
  t.ok(source.absorbs('ops', readonly, clock.t), 'and its Event adds nothing')
  t.notOk(source.absorbs('other', readonly, clock.t), 'a robot the condition did not reach')
  const taskHung = aClusterEvent({ kind: 'Node', namespace: '', name: 'n1', reason: 'TaskHung' })
  t.notOk(source.absorbs('ops', taskHung, clock.t), 'a hung task is its own problem')
  const pod = aClusterEvent({ name: 'n2', reason: 'FilesystemIsReadOnly' })
  t.notOk(source.absorbs('ops', pod, clock.t), 'only Events about Nodes')

  clock.t += 15 * M
  const stale = aClusterEvent({ kind: 'Node', namespace: '', name: 'n3', reason: 'DockerHung' })
  source.absorbs('ops', stale, clock.t - 12 * M)
  source.tick()
  source.onList([
    node('n1', [KERNEL]),
    node('n2', [{ type: 'ReadonlyFilesystem', status: 'True' }]),
    node('n3', [KERNEL]),
  ])
  t.equal(sent.length, 2, 'an Event older than the claim window does not silence a new problem')
})

t.test('bounded: past maxTracked, new problems are logged once, not told', async (t) => {
  const { source, sent, node, warnings } = setup(t, { maxTracked: 3 })
  source.onList(Array.from({ length: 10 }, (_, i) => node(`n${i}`, [KERNEL])))
  t.equal(sent.length, 3)
  t.equal(source.stats().tracked, 3)
  t.equal(warnings.length, 1)
})
