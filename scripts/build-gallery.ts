/**
 * The message gallery: every kind of message kubeding sends to a group (alert, repeat, digest,
 * node problem, resolved, mute ended, test message, and each chat reply), in each language, as
 * the markdown DingTalk receives. Built through the real renderer and the real ChatOps, on a
 * fixed clock so the files only change when a message changes. `npm run gallery` writes them to
 * docs/gallery/; test/unit/gallery.test.ts fails when they are out of date.
 */
import { commands } from '../commands/index.ts'
import { createChatOps } from '../src/chatops/chat-ops.ts'
import type { NodeInfo, StatusSnapshot } from '../src/chatops/context.ts'
import { parseInboundMessage } from '../src/chatops/inbound-message.ts'
import type { DingTalkMessage } from '../src/dingtalk/dingtalk-message.ts'
import { LANGUAGES, type Language } from '../src/i18n/language.ts'
import type { ClusterEvent } from '../src/kube/cluster-event.ts'
import type { AlertMessage, OutboxMessage } from '../src/notify/outbox-message.ts'
import { type RenderOptions, renderBatch, renderMessage } from '../src/notify/render-message.ts'
import { createAuditLog } from '../src/store/audit.ts'
import { createEventArchive } from '../src/store/events.ts'
import { createEventsQuery } from '../src/store/events-query.ts'
import { createMuteStore } from '../src/store/mutes.ts'
import { openStore } from '../src/store/open-store.ts'

/** The gallery's clock: fixed, so the files are stable. */
const NOW = Date.UTC(2026, 10, 24, 3, 6, 5)
const M = 60_000
const H = 60 * M
const ZONE = 'Asia/Shanghai'
const noOne = { mobiles: [], userIds: [], all: false }
const oncall = { mobiles: ['13800000000'], userIds: [], all: false }

const anEvent = (over: Partial<ClusterEvent>): ClusterEvent => ({
  uid: 'uid-1',
  created: NOW - 14 * M,
  kind: 'Pod',
  namespace: 'payments',
  name: 'api-7d9f8c6b5-x2kqp',
  reason: 'BackOff',
  message: 'Back-off restarting failed container api in pod api-7d9f8c6b5-x2kqp_payments(3f1c0d2e)',
  type: 'Warning',
  count: 6,
  firstSeen: NOW - 14 * M,
  lastSeen: NOW - 2 * M,
  component: 'kubelet',
  host: 'cn-hangzhou.10.0.3.17',
  eventNamespace: 'payments',
  eventName: 'api-7d9f8c6b5-x2kqp.17a8f3c2',
  resourceVersion: '1001',
  ...over,
})

const alert: AlertMessage = { kind: 'alert', event: anEvent({}), occurrences: 1, at: oncall }
const repeat: AlertMessage = {
  kind: 'repeat',
  event: anEvent({ count: 15 }),
  occurrences: 9,
  since: NOW - 12 * M,
  at: oncall,
}
const digest: AlertMessage[] = [
  alert,
  {
    ...alert,
    occurrences: 4,
    event: anEvent({ reason: 'Unhealthy', message: 'Readiness probe failed' }),
  },
  {
    ...alert,
    occurrences: 7,
    event: anEvent({ name: 'web-5c9d-7kq2m', namespace: 'shop', lastSeen: NOW - 9 * M }),
  },
  {
    ...alert,
    occurrences: 3,
    event: anEvent({
      kind: 'Node',
      namespace: '',
      name: 'cn-hangzhou.10.0.3.17',
      reason: 'NodeNotReady',
    }),
  },
  {
    ...alert,
    occurrences: 2,
    event: anEvent({ name: 'worker-0', namespace: 'batch', reason: 'OOMKilling' }),
  },
]
const nodeProblem: OutboxMessage = {
  kind: 'node-problem',
  node: 'cn-hangzhou.10.0.3.17',
  condition: 'KernelDeadlock',
  status: 'True',
  reason: 'DockerHung',
  message: 'kernel: INFO: task docker:20744 blocked for more than 120 seconds.',
  since: NOW - 3 * M,
  ready: 'True',
  schedulable: true,
  flips: 1,
  at: oncall,
}
const nodeResolved: OutboxMessage = {
  ...nodeProblem,
  kind: 'node-resolved',
  status: 'False',
  reason: 'KernelHasNoDeadlock',
  since: NOW - 47 * M,
  endedAt: NOW - M,
  at: noOne,
}
const muteEnded: OutboxMessage = {
  kind: 'notice',
  topic: 'mute-ended',
  mute: {
    id: 'm3',
    selector: { namespace: 'payments', reason: 'BackOff' },
    createdAt: NOW - 2 * H,
    endsAt: NOW,
    endedBy: 'expired',
    heldBack: 12,
  },
}

/** The chat replies, as a group member sees them; the names are what the file is called. */
const CHAT: ReadonlyArray<[string, string]> = [
  ['reply-help', 'help'],
  ['reply-events', 'events ns=payments since=6h'],
  ['reply-mute', 'mute ns=payments reason=BackOff for=2h'],
  ['reply-mutes', 'mutes'],
  ['reply-unmute', 'unmute m1'],
  ['reply-nodes', 'nodes'],
  ['reply-status', 'status'],
  ['reply-unknown-command', 'deploy everything'],
  ['reply-unknown-key', 'events colour=red'],
  ['reply-bad-value', 'events since=forever'],
]

const troubled: NodeInfo[] = [
  {
    name: 'cn-hangzhou.10.0.3.17',
    ready: 'True',
    problems: [
      {
        type: 'KernelDeadlock',
        status: 'True',
        reason: 'DockerHung',
        message: 'kernel: INFO: task docker:20744 blocked for more than 120 seconds.',
        since: NOW - 3 * M,
      },
    ],
  },
]

const status: StatusSnapshot = {
  cluster: 'prod-hangzhou',
  version: '0.1.0',
  startedAt: NOW - 26 * H,
  watch: { state: 'watching', since: NOW - 26 * H, lastResync: NOW - 4 * M },
  eventsTakenIn: 48_213,
  alerts: { sent: 311, queued: 0, muted: 12, dropped: 0, refused: [] },
  throttledRobots: [],
  storeBytes: 42 * 1024 * 1024,
}

async function chatReplies(language: Language): Promise<Map<string, DingTalkMessage>> {
  const store = openStore(':memory:')
  const archive = createEventArchive(store)
  archive.upsert(anEvent({}))
  archive.upsert(
    anEvent({
      uid: 'uid-2',
      reason: 'Unhealthy',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
      count: 40,
      lastSeen: NOW - 20 * M,
    }),
  )
  const chat = createChatOps({
    commands,
    services: {
      events: createEventsQuery(store),
      mutes: createMuteStore(store),
      audit: createAuditLog(store),
      nodes: { problemNodes: () => troubled, size: () => 12 },
      status: () => status,
    },
    admins: [],
    conversations: [],
    language,
    fetch,
    now: () => NOW,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
  })
  const out = new Map<string, DingTalkMessage>()
  let n = 0
  for (const [name, text] of CHAT) {
    n++
    const parsed = parseInboundMessage({
      msgtype: 'text',
      text: { content: text },
      msgId: `gallery-${n}`,
      conversationId: 'cidOpsGroup==',
      senderId: '$:LWCP_v1:$alice',
      senderStaffId: 'staff-alice',
      senderNick: 'Alice',
    })
    if (!parsed.ok) throw new Error(parsed.reason)
    out.set(name, chat.toMessage((await chat.dispatch(parsed.message)).reply))
  }

  store.close()
  return out
}

/** `alert.zh-CN.md` → the file's text: what the group reads, then the JSON DingTalk receives. */
export async function buildGallery(): Promise<Map<string, string>> {
  // Times in messages follow the process's zone: the gallery's is fixed, whatever the machine's.
  const machineZone = process.env.TZ
  process.env.TZ = ZONE
  try {
    return await renderGallery()
  } finally {
    if (machineZone === undefined) delete process.env.TZ
    else process.env.TZ = machineZone
  }
}

async function renderGallery(): Promise<Map<string, string>> {
  const files = new Map<string, string>()
  for (const language of LANGUAGES) {
    const options: RenderOptions = {
      robot: { name: 'ops', keywords: [], msgType: 'markdown' },
      cluster: 'prod-hangzhou',
      muteLinks: true,
      language,
      now: () => NOW,
    }
    const messages = new Map<string, DingTalkMessage>([
      ['alert', renderMessage(alert, options)],
      ['alert-repeat', renderMessage(repeat, options)],
      ['digest', renderBatch(digest, options)],
      ['node-problem', renderMessage(nodeProblem, options)],
      ['node-resolved', renderMessage(nodeResolved, options)],
      ['mute-ended', renderMessage(muteEnded, options)],
      ['test-message', renderMessage({ kind: 'notice', topic: 'test', robot: 'ops' }, options)],
      [
        'watch-down',
        renderMessage(
          {
            kind: 'notice',
            topic: 'watch-down',
            since: NOW - 6 * M,
            error: 'connect ECONNREFUSED',
          },
          options,
        ),
      ],
      [
        'watch-back',
        renderMessage(
          {
            kind: 'notice',
            topic: 'watch-back',
            since: NOW - 48 * M,
            backAt: NOW - M,
            caught: 214,
          },
          options,
        ),
      ],
      [
        'alert-text-robot',
        renderMessage(alert, { ...options, robot: { ...options.robot, msgType: 'text' } }),
      ],
      ...(await chatReplies(language)),
    ])
    for (const [name, message] of messages) files.set(`${name}.${language}.md`, toFile(message))
  }
  return files
}

function toFile(message: DingTalkMessage): string {
  const text = message.msgtype === 'markdown' ? message.markdown.text : message.text.content
  const title =
    message.msgtype === 'markdown' ? `<!-- title: ${message.markdown.title} -->\n\n` : ''
  return `${title}${text}\n`
}
