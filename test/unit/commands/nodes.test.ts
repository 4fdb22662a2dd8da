import t from 'tap'
import type { NodeInfo } from '../../../src/chatops/context.ts'
import { createChatHarness, START } from '../chatops/chat-harness.ts'

const M = 60_000

const aNode = (name: string, overrides: Partial<NodeInfo> = {}): NodeInfo => ({
  name,
  ready: 'True',
  problems: [],
  ...overrides,
})

t.test('all fine', async (t) => {
  const h = createChatHarness(t)
  h.nodes.total = 5
  t.equal((await h.ask('nodes')).title, 'All 5 nodes fine')
})

t.test(
  'NotReady nodes first, then problem conditions, with since-when and the message',
  async (t) => {
    const h = createChatHarness(t)
    h.nodes.total = 40
    h.nodes.problems = [
      aNode('node-b', {
        problems: [
          {
            type: 'KernelDeadlock',
            status: 'True',
            reason: 'DockerHung',
            message: 'kernel: INFO: task docker:20744 blocked for more than 120 seconds.',
            since: START - 3 * 60 * M,
          },
          {
            type: 'ReadonlyFilesystem',
            status: 'True',
            reason: 'FilesystemIsReadOnly',
            message: '',
            since: START - 5 * M,
          },
        ],
      }),
      aNode('node-a', {
        ready: 'Unknown',
        problems: [
          {
            type: 'Ready',
            status: 'Unknown',
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting node status.',
            since: START - 12 * M,
          },
        ],
      }),
    ]
    const reply = await h.ask('节点')
    t.equal(reply.title, '2 of 40 nodes need attention')
    const out = await h.say('nodes')
    t.ok(out.indexOf('node-a') < out.indexOf('node-b'), 'NotReady first')
    t.match(
      out,
      /\*\*node-a\*\* NotReady \(Unknown: the kubelet stopped reporting\) {2}\nReady=Unknown since 12m ago: NodeStatusUnknown, Kubelet stopped posting node status\./,
    )
    t.match(
      out,
      /\*\*node-b\*\* Ready {2}\nKernelDeadlock=True since 3h ago: DockerHung, kernel: INFO: task docker:20744/,
    )
    t.match(out, /ReadonlyFilesystem=True since 5m ago: FilesystemIsReadOnly$/)
  },
)

t.test('the list is capped and the rest counted; the cache is not reordered', async (t) => {
  const h = createChatHarness(t)
  const many = Array.from({ length: 45 }, (_, i) =>
    aNode(`node-${String(i).padStart(2, '0')}`, { ready: 'False' }),
  )
  const original = [...many].reverse()
  h.nodes.problems = [...original]
  const out = await h.say('nodes')
  t.match(out, /… and 15 more nodes with problems\./)
  t.match(out, /node-00/)
  t.notMatch(out, /node-44/)
  t.same(h.nodes.problems, original, "the cache's array is left as it was")
})

t.test('condition messages cannot inject markdown or lines', async (t) => {
  const h = createChatHarness(t)
  h.nodes.problems = [
    aNode('node-x', {
      problems: [
        {
          type: 'FDPressure',
          status: 'True',
          reason: 'x',
          message: 'a\n\n- [fake](http://evil) @all',
          since: START,
        },
      ],
    }),
  ]
  const out = await h.say('nodes')
  t.notMatch(out, /\[fake\]|@all|\n\n- /)
})
