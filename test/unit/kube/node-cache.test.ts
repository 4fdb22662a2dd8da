import t from 'tap'
import {
  MAX_CONDITIONS,
  MAX_MESSAGE_CHARS,
  MAX_REASON_CHARS,
  MAX_TYPE_CHARS,
  toNodeInfo,
} from '../../../src/kube/node-cache.ts'
import { buildNode, TRANSITION_TIME } from '../../helpers/event-builders.ts'
import { testNow } from '../../helpers/test-clock.ts'

const NOW = testNow()

t.test('a healthy node has no problems', async (t) => {
  const info = toNodeInfo(buildNode('n1'), NOW)
  t.match(info, { name: 'n1', ready: 'True', schedulable: true })
  t.same(info?.problems, [])
  t.same(
    info?.conditions.map((c) => `${c.type}=${c.status}`),
    ['MemoryPressure=False', 'DiskPressure=False', 'PIDPressure=False', 'Ready=True'],
    'every condition is kept, problems or not',
  )
})

t.test('Ready False or Unknown is a problem, with its reason and transition time', async (t) => {
  for (const status of ['False', 'Unknown'] as const) {
    const info = toNodeInfo(
      buildNode('n1', [
        {
          type: 'Ready',
          status,
          reason: 'KubeletNotReady',
          message: 'PLEG is not healthy',
          lastTransitionTime: '2026-11-30T10:00:00Z',
        },
      ]),
      NOW,
    )
    t.same(info?.problems.length, 1)
    t.match(info, {
      name: 'n1',
      ready: status,
      problems: [
        {
          type: 'Ready',
          status,
          reason: 'KubeletNotReady',
          message: 'PLEG is not healthy',
          since: Date.parse('2026-11-30T10:00:00Z'),
        },
      ],
    })
  }
})

t.test('no Ready condition at all: Unknown, since creation', async (t) => {
  const node = buildNode('n1')
  node.status = { conditions: [] }
  t.same(toNodeInfo(node, NOW)?.problems, [
    {
      type: 'Ready',
      status: 'Unknown',
      reason: 'NoReadyCondition',
      message: 'the node reports no Ready condition',
      since: Date.parse(String(node.metadata.creationTimestamp)),
    },
  ])
  delete node.status
  delete node.metadata.creationTimestamp
  t.match(toNodeInfo(node, NOW), { ready: 'Unknown', problems: [{ since: NOW }] })
})

t.test(
  'pressure and node-problem-detector conditions count when True, not when False or Unknown',
  async (t) => {
    const info = toNodeInfo(
      buildNode('n1', [
        { type: 'MemoryPressure', status: 'True', reason: 'KubeletHasInsufficientMemory' },
        { type: 'DiskPressure', status: 'Unknown' },
        { type: 'NetworkUnavailable', status: 'False' },
        {
          type: 'KernelDeadlock',
          status: 'True',
          reason: 'DockerHung',
          message: 'task docker:7 blocked for more than 120 seconds.',
        },
        { type: 'ReadonlyFilesystem', status: 'True', reason: 'FilesystemIsReadOnly' },
        { type: 'FDPressure', status: 'True', reason: 'NodeHasFDPressure' },
        { type: 'FrequentKubeletRestart', status: 'False' },
      ]),
      NOW,
    )
    t.equal(info?.ready, 'True')
    t.same(
      info?.problems.map((p) => [p.type, p.reason]),
      [
        ['MemoryPressure', 'KubeletHasInsufficientMemory'],
        ['KernelDeadlock', 'DockerHung'],
        ['ReadonlyFilesystem', 'FilesystemIsReadOnly'],
        ['FDPressure', 'NodeHasFDPressure'],
      ],
    )
    t.equal(info?.problems[1]?.since, Date.parse(TRANSITION_TIME))
  },
)

t.test(
  'malformed input: no name is rejected, odd conditions are skipped or defaulted',
  async (t) => {
    t.equal(toNodeInfo(null, NOW), undefined)
    t.equal(toNodeInfo({ metadata: {} }, NOW), undefined)
    t.equal(toNodeInfo({ kind: 'Node' }, NOW), undefined)
    const info = toNodeInfo(
      {
        metadata: { name: 'n1' },
        status: {
          conditions: [
            'junk',
            { status: 'True' },
            { type: 'Ready', status: 'True' },
            { type: 'X', status: 'True', lastTransitionTime: 'bad' },
          ],
        },
      },
      NOW,
    )
    t.same(info?.problems, [{ type: 'X', status: 'True', reason: '', message: '', since: NOW }])
    t.match(info, { name: 'n1', ready: 'True', schedulable: true })
  },
)

/** A condition as the kubelet or node-problem-detector writes it. */
const cond = (type: string, status: string, reason = '') => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: TRANSITION_TIME,
})
/** node-problem-detector's custom conditions, all healthy. */
const npdHealthy = (n: number) =>
  Array.from({ length: n }, (_, i) => cond(`CustomCheck${i}`, 'False', 'NoProblem'))
const KUBELET_HEALTHY = ['NetworkUnavailable', 'MemoryPressure', 'DiskPressure', 'PIDPressure'].map(
  (type) => cond(type, 'False'),
)

t.test(
  'more conditions than the cap, Ready last as the kubelet writes it: Ready is still read',
  async (t) => {
    for (const status of ['True', 'False'] as const) {
      const node = buildNode('n1')
      node.status = {
        conditions: [...npdHealthy(28), ...KUBELET_HEALTHY, cond('Ready', status, 'KubeletReady')],
      }
      const info = toNodeInfo(node, NOW)
      t.equal(info?.ready, status, `Ready=${status} at position 33 is read`)
      t.same(
        info?.problems.map((p) => p.type),
        status === 'True' ? [] : ['Ready'],
        status === 'True' ? 'a healthy node is no problem' : 'NotReady with its own reason',
      )
      t.equal(info?.conditions.length, MAX_CONDITIONS)
      t.equal(info?.conditions.at(-1)?.type, 'Ready', "kept in the node's order")
      t.equal(info?.cut, 1, 'one healthy condition left out, and counted')
    }
  },
)

t.test(
  'a True problem past the cap is kept in place of a healthy condition; Ready too, however many problems',
  async (t) => {
    const node = buildNode('n1')
    node.status = {
      conditions: [
        ...npdHealthy(40),
        cond('KernelDeadlock', 'True', 'DockerHung'),
        ...KUBELET_HEALTHY,
        cond('Ready', 'True', 'KubeletReady'),
      ],
    }
    const info = toNodeInfo(node, NOW)
    t.equal(info?.ready, 'True')
    t.same(
      info?.problems.map((p) => [p.type, p.reason]),
      [['KernelDeadlock', 'DockerHung']],
    )
    t.equal(info?.conditions.length, MAX_CONDITIONS)
    t.same(
      info?.conditions.slice(-2).map((c) => c.type),
      ['KernelDeadlock', 'Ready'],
      'healthy ones make room, the order stays',
    )
    t.equal(info?.cut, 40 + 1 + 4 + 1 - MAX_CONDITIONS)

    const many = buildNode('n2')
    many.status = {
      conditions: [
        ...Array.from({ length: 100 }, (_, i) => cond(`Broken${i}`, 'True')),
        cond('Ready', 'True'),
      ],
    }
    const crowded = toNodeInfo(many, NOW)
    t.equal(crowded?.ready, 'True', 'Ready is read before any problem')
    t.equal(crowded?.problems.length, MAX_CONDITIONS - 1, 'the first problems, up to the cap')
    t.equal(crowded?.problems[0]?.type, 'Broken0')
    t.equal(crowded?.cut, 101 - MAX_CONDITIONS)

    t.notOk('cut' in (toNodeInfo(buildNode('n3'), NOW) ?? {}), 'nothing cut: no count')
  },
)

t.test('a cordoned node is not schedulable', async (t) => {
  const node = buildNode('n1')
  node.spec = { unschedulable: true }
  t.equal(toNodeInfo(node, NOW)?.schedulable, false)
})

t.test(
  'hostile nodes are bounded: megabyte messages are cut, thousands of conditions capped',
  async (t) => {
    const node = buildNode('n1')
    const huge = 'x'.repeat(2_000_000)
    node.status = {
      conditions: [
        { type: 'Ready', status: 'True', reason: huge, message: huge },
        ...Array.from({ length: 5_000 }, (_, i) => ({
          type: `Custom${i}${'y'.repeat(i === 1 ? 10_000 : 0)}`,
          status: 'True',
          message: huge,
        })),
      ],
    }
    const info = toNodeInfo(node, NOW)
    t.equal(info?.conditions.length, MAX_CONDITIONS)
    t.equal(info?.problems.length, MAX_CONDITIONS - 1)
    t.equal(info?.cut, 5_001 - MAX_CONDITIONS)
    for (const c of info?.conditions ?? []) {
      t.ok(c.message.length <= MAX_MESSAGE_CHARS + 1, 'message cut')
      t.ok(c.reason.length <= MAX_REASON_CHARS + 1, 'reason cut')
      t.ok(c.type.length <= MAX_TYPE_CHARS + 1, 'type cut')
    }
    t.match(info?.conditions[0]?.message, /…$/)
    const emoji = toNodeInfo(
      {
        metadata: { name: 'n2' },
        status: {
          conditions: [
            { type: 'X', status: 'True', message: `${'a'.repeat(MAX_MESSAGE_CHARS - 1)}😀😀` },
          ],
        },
      },
      NOW,
    )
    t.equal(
      emoji?.conditions[0]?.message,
      `${'a'.repeat(MAX_MESSAGE_CHARS - 1)}…`,
      'never half an emoji',
    )
  },
)
