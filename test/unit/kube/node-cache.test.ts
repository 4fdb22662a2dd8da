import t from 'tap'
import { toNodeInfo } from '../../../src/kube/node-cache.ts'
import { buildNode, TRANSITION_TIME } from '../../helpers/event-builders.ts'

const NOW = Date.parse('2026-12-01T00:00:00Z')

t.test('a healthy node has no problems', async (t) => {
  t.same(toNodeInfo(buildNode('n1'), NOW), { name: 'n1', ready: 'True', problems: [] })
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
    t.same(info, {
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
      since: Date.parse(node.metadata.creationTimestamp as string),
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
    t.same(info, {
      name: 'n1',
      ready: 'True',
      problems: [{ type: 'X', status: 'True', reason: '', message: '', since: NOW }],
    })
  },
)
