import t from 'tap'
import type { MarkdownMessage, TextMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { DINGTALK_MAX_BYTES, toWireBytes } from '../../../src/dingtalk/dingtalk-message.ts'
import { toOccurrences } from '../../../src/notify/outbox.ts'
import type { AlertMessage, NodeConditionMessage } from '../../../src/notify/outbox-message.ts'
import {
  type RenderOptions,
  renderBatch,
  renderMessage,
} from '../../../src/notify/render-message.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'
import { testNow } from '../../helpers/test-clock.ts'

// Times in messages follow the process's zone.
process.env.TZ = 'UTC'
const options = (over: Partial<RenderOptions> = {}): RenderOptions => ({
  robot: { name: 'ops', keywords: [], msgType: 'markdown' },
  cluster: 'prod-hangzhou',
  muteLinks: true,
  language: 'en',
  now: () => now,
  ...over,
})
const now = testNow()
const problem = (over: Partial<NodeConditionMessage> = {}): NodeConditionMessage => ({
  kind: 'node-problem',
  node: 'node-2',
  condition: 'KernelDeadlock',
  status: 'True',
  reason: 'DockerHung',
  message: 'task docker:7 blocked for more than 120 seconds.',
  since: now - 5 * 60_000,
  ready: 'True',
  schedulable: true,
  flips: 1,
  at: { mobiles: ['13800000000'], userIds: [], all: false },
  ...over,
})
const resolved = (over: Partial<NodeConditionMessage> = {}) =>
  problem({
    kind: 'node-resolved',
    status: 'False',
    reason: 'KernelHasNoDeadlock',
    message: 'kernel has no deadlock',
    endedAt: now - 5 * 60_000 + 12 * 60_000 + 30_000,
    ...over,
  })
const md = (m: unknown) => (m as MarkdownMessage).markdown

t.test('a megabyte condition message still fits DingTalk, in markdown and text', async (t) => {
  const huge = 'x'.repeat(1_000_000)
  for (const msgType of ['markdown', 'text'] as const) {
    const m = renderMessage(
      problem({ message: huge }),
      options({ robot: { name: 'ops', keywords: ['k8s'], msgType } }),
    )
    t.ok(toWireBytes(m) < DINGTALK_MAX_BYTES, msgType)
    const text = msgType === 'text' ? (m as TextMessage).text.content : md(m).text
    t.ok(text.includes('k8s'), 'with the keyword')
  }
})

t.test('a digest accounts node messages beside alerts, never losing one', async (t) => {
  const alert: AlertMessage = {
    kind: 'alert',
    event: aClusterEvent({ namespace: 'payments', name: 'api', lastSeen: now }),
    occurrences: 3,
    at: { mobiles: [], userIds: [], all: false },
  }
  const messages = [alert, problem(), problem({ node: 'node-3', flips: 2 }), resolved()]
  const total = messages.reduce((n, m) => n + toOccurrences(m), 0)
  t.equal(total, 3 + 1 + 2 + 1)
  const m = md(renderBatch(messages, options()))
  t.equal(m.title, `Warning prod-hangzhou: ${total} occurrences in 4 alerts`)
  t.ok(
    m.text.includes('**By reason** KernelDeadlock 4 · BackOff 3'),
    'problems and the resolved one by reason',
  )
  t.ok(m.text.includes('Node node-3 · KernelDeadlock ×2'), 'top objects, with their flips')
  t.equal(md(renderBatch([problem()], options())).title, 'Warning Node node-2: KernelDeadlock')
})
