/**
 * Node problems from the node watch, and their return to normal, as the group reads them, in
 * both languages; and the hint of every reason the issue names, with the object's names filled in.
 */
import t from 'tap'
import type { MarkdownMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { toWireBytes } from '../../../src/dingtalk/dingtalk-message.ts'
import { toDingTalkMarkdown } from '../../../src/dingtalk/render-rich-text.ts'
import { en } from '../../../src/i18n/en.ts'
import { zhCN } from '../../../src/i18n/zh-cn.ts'
import { toHint, toNodeHint } from '../../../src/notify/hints.ts'
import type { NodeConditionMessage } from '../../../src/notify/outbox-message.ts'
import {
  type RenderOptions,
  renderBatch,
  renderMessage,
} from '../../../src/notify/render-message.ts'

// Times in messages follow the process's zone.
process.env.TZ = 'UTC'
const M = 60_000
const now = Date.UTC(2026, 10, 24, 3, 6, 5)
const options = (over: Partial<RenderOptions> = {}): RenderOptions => ({
  robot: { name: 'ops', keywords: [], msgType: 'markdown' },
  cluster: 'prod-hangzhou',
  muteLinks: true,
  language: 'en',
  now: () => now,
  ...over,
})
const problem = (over: Partial<NodeConditionMessage> = {}): NodeConditionMessage => ({
  kind: 'node-problem',
  node: 'node-2',
  condition: 'KernelDeadlock',
  status: 'True',
  reason: 'DockerHung',
  message: 'kernel: INFO: task docker:20744 blocked for more than 120 seconds.',
  since: now - 5 * M,
  ready: 'True',
  schedulable: true,
  flips: 1,
  at: { mobiles: [], userIds: [], all: false },
  ...over,
})
const md = (m: unknown) => (m as MarkdownMessage).markdown
const lines = (text: string) => text.split('\n\n')

t.test(
  'a node problem, English: what, since when, the node state, a hint and two links',
  async (t) => {
    const m = renderMessage(problem(), options())
    t.equal(md(m).title, 'Warning Node node-2: KernelDeadlock')
    t.same(lines(md(m).text), [
      '#### 【Warning】prod-hangzhou · Node node-2 · KernelDeadlock',
      'kernel: INFO: task docker:20744 blocked for more than 120 seconds.',
      'KernelDeadlock=True since 03:01:05 UTC (5m ago) · DockerHung · node Ready, schedulable',
      '💡 Processes are stuck in the kernel (often the runtime): check the node, then drain it: kubectl describe node node-2',
      '[Mute 1h](dtmd://dingtalkclient/sendMessage?content=mute%20kind%3DNode%20name%3Dnode-2%20for%3D1h) · [Show nodes](dtmd://dingtalkclient/sendMessage?content=nodes)',
    ])
  },
)

t.test('a node problem, Chinese, on a NotReady cordoned node that flapped', async (t) => {
  const m = renderMessage(
    problem({
      condition: 'Ready',
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      ready: 'Unknown',
      schedulable: false,
      flips: 3,
    }),
    options({ language: 'zh-CN' }),
  )
  t.equal(md(m).title, '警告 Node node-2: Ready')
  t.same(lines(md(m).text), [
    '#### 【警告】prod-hangzhou · Node node-2 · Ready',
    'kernel: INFO: task docker:20744 blocked for more than 120 seconds.',
    'Ready=Unknown，自 03:01:05 UTC（5 分钟前）起 · NodeStatusUnknown · 节点 NotReady（Unknown），已禁止调度 · 期间反复出现 3 次',
    '💡 kubelet 停止上报：检查节点状况和 kubelet：kubectl describe node node-2',
    '[静默 1 小时](dtmd://dingtalkclient/sendMessage?content=mute%20kind%3DNode%20name%3Dnode-2%20for%3D1h) · [查看节点](dtmd://dingtalkclient/sendMessage?content=nodes)',
  ])
})

t.test('resolved: 恢复 / Resolved, the condition and how long it lasted', async (t) => {
  const resolved = problem({
    kind: 'node-resolved',
    status: 'False',
    since: now - 65 * M,
    endedAt: now - M,
  })
  const m = renderMessage(resolved, options())
  t.equal(md(m).title, 'Resolved Node node-2: KernelDeadlock after 1h 4m')
  t.same(lines(md(m).text), [
    '#### 【Resolved】prod-hangzhou · Node node-2 · KernelDeadlock',
    'KernelDeadlock is back to normal after 1h 4m (02:01:05 – 03:05:05 UTC).',
    'node Ready, schedulable · DockerHung',
    '[Show nodes](dtmd://dingtalkclient/sendMessage?content=nodes)',
  ])
  const zh = renderMessage(resolved, options({ language: 'zh-CN' }))
  t.equal(md(zh).title, '恢复 Node node-2: KernelDeadlock，持续 1 小时 4 分钟')
  t.match(
    md(zh).text,
    /^#### 【恢复】prod-hangzhou · Node node-2 · KernelDeadlock\n\nKernelDeadlock 已恢复正常，持续 1 小时 4 分钟（02:01:05 – 03:05:05 UTC）。/,
  )
})

t.test('node text is escaped and bounded like event text', async (t) => {
  const m = renderMessage(
    problem({
      condition: 'Custom[x](y)',
      reason: '@all',
      message: `# x\n@all ${'z'.repeat(100_000)}`,
    }),
    options({ robot: { name: 'ops', keywords: ['k8s'], msgType: 'markdown' } }),
  )
  t.ok(toWireBytes(m) <= 18_000)
  t.notMatch(md(m).text, /@all|\[x\]|\n# /)
  t.match(
    md(m).text,
    /💡 The node reports a problem: check its conditions: kubectl describe node node-2/,
  )
  t.match(md(m).text, /k8s$/)
})

t.test('a node message cannot open its paragraph with a list or a rule', async (t) => {
  const cases: [string, string][] = [
    ['- disk full', '\\- disk full'],
    ['  1. step one', '  \\1. step one'],
    ['---', '\\---'],
  ]
  for (const [message, shown] of cases) {
    t.equal(lines(md(renderMessage(problem({ message }), options())).text)[1], shown, message)
  }
})

t.test('node messages waiting together become a digest that counts them', async (t) => {
  const m = renderBatch(
    [
      problem(),
      problem({ node: 'node-3', flips: 4 }),
      problem({ kind: 'node-resolved', node: 'node-4', endedAt: now }),
    ],
    options(),
  )
  t.match(md(m).text, /6 occurrences in 3 alerts/)
  t.match(md(m).text, /- Node node-3 · KernelDeadlock ×4/)
})

t.test('a hint for every reason the on-call meets most, names filled in', async (t) => {
  const pod = { kind: 'Pod', namespace: 'shop', name: 'cart-1', message: '', host: 'node-7' }
  const cases: Array<[string, RegExp]> = [
    ['BackOff', /kubectl -n shop logs cart-1 --previous$/],
    ['CrashLoopBackOff', /kubectl -n shop logs cart-1 --previous$/],
    ['OOMKilling', /kubectl -n shop describe pod cart-1$/],
    ['FailedScheduling', /kubectl -n shop describe pod cart-1$/],
    ['FailedMount', /kubectl -n shop describe pod cart-1$/],
    ['FailedAttachVolume', /kubectl -n shop describe pod cart-1$/],
    ['Unhealthy', /kubectl -n shop logs cart-1$/],
    ['FailedCreatePodSandBox', /kubectl describe node node-7$/],
    ['ImagePullBackOff', /kubectl -n shop describe pod cart-1$/],
    ['ErrImagePull', /kubectl -n shop describe pod cart-1$/],
    ['Evicted', /kubectl describe node node-7$/],
  ]
  for (const strings of [en, zhCN]) {
    for (const [reason, command] of cases) {
      const hint = toHint({ ...pod, reason }, strings)
      t.ok(hint, `${strings.language} ${reason}`)
      if (hint) t.match(toDingTalkMarkdown(hint), command, `${strings.language} ${reason}`)
    }
  }
  const node = { kind: 'Node', namespace: '', name: 'node-9', message: '', host: 'node-9' }
  const npd = [
    'NodeNotReady',
    'OOMKilling',
    'TaskHung',
    'KernelOops',
    'DockerHung',
    'UnregisterNetDevice',
    'FilesystemIsReadOnly',
    'CorruptDockerOverlay2',
    'CorruptDockerImage',
    'Ext4Error',
    'IOError',
    'KubeletUnhealthy',
    'ContainerdUnhealthy',
    'DockerUnhealthy',
    'NTPIsDown',
    'ConntrackFull',
  ]
  for (const reason of npd) {
    const hint = toHint({ ...node, reason }, zhCN)
    t.match(hint && toDingTalkMarkdown(hint), /^💡 .+：kubectl describe node node-9$/, reason)
  }
  const conditions = [
    'KernelDeadlock',
    'ReadonlyFilesystem',
    'FrequentKubeletRestart',
    'FrequentDockerRestart',
    'FrequentContainerdRestart',
    'CorruptDockerOverlay2',
    'MemoryPressure',
    'DiskPressure',
    'PIDPressure',
    'NetworkUnavailable',
    'Ready',
    'XfsShutdown',
    'KernelHasNoDeadlock',
  ]
  const generic = toDingTalkMarkdown(toNodeHint('n', 'SomethingNew', en))
  for (const condition of conditions) {
    const hint = toDingTalkMarkdown(toNodeHint('node-9', condition, en))
    t.match(hint, /kubectl describe node node-9$/, condition)
    if (condition !== 'KernelHasNoDeadlock')
      t.not(hint.replace('node-9', 'n'), generic, `${condition} has its own hint`)
  }
  t.equal(
    toHint({ ...pod, reason: 'Scheduled' }, en),
    undefined,
    'no hint where there is nothing to do',
  )
  const pulling = toHint({ ...pod, reason: 'BackOff', message: 'Back-off pulling image "x"' }, en)
  t.match(pulling && toDingTalkMarkdown(pulling), /image cannot be pulled/)
})
