/**
 * Every link the renderer can put in a message is a command the bot reads: hostile names and
 * reasons (spaces, emoji, zero-width characters, quotes, punctuation, huge) still give a mute
 * command that parses, is accepted, and mutes the very object it was clicked on.
 */
import t from 'tap'
import { toMuteCommand } from '../../../src/chatops/mute-command.ts'
import { parseCommandLine } from '../../../src/chatops/parse-command-line.ts'
import type { MarkdownMessage, TextMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import type { OutboxMessage } from '../../../src/notify/outbox-message.ts'
import { renderBatch, renderMessage } from '../../../src/notify/render-message.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'
import { createChatHarness, START } from './chat-harness.ts'

let asked = 0
/** Each click comes from its own member and group, so no per-sender or per-group limit applies. */
const clicker = () => {
  asked++
  return { senderStaffId: `staff-${asked}`, conversationId: `cid-${asked}` }
}

const NAMES = [
  'web-1',
  'web 1',
  'web😀1',
  'web\u200b1',
  'web"1',
  "web'1",
  'web.',
  'web=1',
  'web,1;2',
  '-web',
  '@all',
  '😀',
  '\u200b',
  'ｗｅｂ１',
  'n'.repeat(300),
  'a b '.repeat(100),
]
const REASONS = [
  'BackOff',
  'Back Off',
  'Back😀Off',
  'Back\u200bOff',
  'Reason.',
  '"Quoted"',
  "it's",
  'a=b',
  '中文原因',
  '１２３',
  ' lead',
  'x'.repeat(200),
  'A)(b',
  '',
]
const NAMESPACES = ['payments', '', 'Bad NS']
const noOne = { mobiles: [], userIds: [], all: false }

/** Every click-to-send command in a markdown message. */
const linksOf = (text: string): string[] =>
  [...text.matchAll(/\(dtmd:\/\/dingtalkclient\/sendMessage\?content=([^)\s]*)\)/g)].map((m) =>
    decodeURIComponent(m[1] ?? ''),
  )

t.test('every mute link parses, is accepted, and mutes the object it names', async (t) => {
  // Thousands of commands from one sender: above the rate limits, which are not what this tests.
  const h = createChatHarness(t, { perSenderPerMinute: 600_000 })
  let checked = 0
  for (const namespace of NAMESPACES) {
    for (const name of NAMES) {
      for (const reason of REASONS) {
        const event = aClusterEvent({ namespace, name, reason, lastSeen: START, firstSeen: START })
        const messages: OutboxMessage[] = [
          { kind: 'alert', event, occurrences: 1, at: noOne },
          {
            kind: 'node-problem',
            node: name,
            condition: reason || 'KernelDeadlock',
            status: 'True',
            reason: 'DockerHung',
            message: 'm',
            since: START,
            ready: 'True',
            schedulable: true,
            flips: 1,
            at: noOne,
          },
        ]
        for (const message of messages) {
          for (const language of ['en', 'zh-CN'] as const) {
            const rendered = renderMessage(message, {
              robot: { name: 'ops', keywords: [], msgType: 'markdown' },
              cluster: 'prod',
              muteLinks: true,
              language,
              now: () => START,
            }) as MarkdownMessage
            for (const command of linksOf(rendered.markdown.text)) {
              const label = JSON.stringify({ namespace, name, reason, command })
              t.doesNotThrow(() => parseCommandLine(command), label)
              const reply = await h.ask(command, clicker())
              if (reply.code !== undefined) {
                t.fail(`${label}: ${reply.code} ${reply.title}`)
                continue
              }
              if (!command.startsWith('mute ')) continue
              const muted =
                message.kind === 'alert' ? event : { namespace: '', kind: 'Node', name, reason }
              if (!h.mutes.match(muted, START)) t.fail(`${label}: does not mute the object`)
              await h.ask('unmute all', clicker())
              checked++
            }
          }
        }
      }
    }
  }
  t.ok(checked >= NAMESPACES.length * NAMES.length * REASONS.length * 4, `${checked} mute links`)
})

t.test('plain values stay bare and exact; odd ones are quoted or wildcarded', async (t) => {
  const base = { namespace: 'payments', kind: 'Pod' }
  t.equal(
    toMuteCommand({ ...base, name: 'api-7d9f', reason: 'BackOff' }),
    'mute ns=payments kind=Pod name=api-7d9f reason=BackOff for=1h',
  )
  t.equal(
    toMuteCommand({ ...base, name: 'web.', reason: 'Back Off' }),
    'mute ns=payments kind=Pod name="web." reason="Back Off" for=1h',
  )
  t.equal(
    toMuteCommand({ ...base, name: 'web 😀\u200b1', reason: 'Back\u200bOff' }),
    'mute ns=payments kind=Pod name=web*1 for=1h',
    'a reason the parser would change is left out rather than mute another',
  )
  t.equal(toMuteCommand({ ...base, name: '😀', reason: '' }), 'mute ns=payments kind=Pod for=1h')
})

t.test('the digest and text-robot links are commands the bot reads too', async (t) => {
  const h = createChatHarness(t, { perSenderPerMinute: 600_000 })
  const messages: OutboxMessage[] = NAMES.slice(0, 6).map((name, i) => ({
    kind: 'alert',
    event: aClusterEvent({ name, namespace: i % 2 ? 'web' : '', lastSeen: START - i * 60_000 }),
    occurrences: i + 1,
    at: noOne,
  }))
  for (const language of ['en', 'zh-CN'] as const) {
    const options = {
      robot: { name: 'ops', keywords: [], msgType: 'markdown' as const },
      cluster: 'prod',
      muteLinks: true,
      language,
      now: () => START,
    }
    const digest = renderBatch(messages, options) as MarkdownMessage
    const links = linksOf(digest.markdown.text)
    t.equal(links.length, 1)
    for (const command of links) t.equal((await h.ask(command, clicker())).code, undefined, command)
    const text = renderMessage(messages[1] as OutboxMessage, {
      ...options,
      robot: { ...options.robot, msgType: 'text' },
    }) as TextMessage
    const line = text.text.content.split('\n').find((l) => /: mute /.test(l)) ?? ''
    const command = line.slice(line.indexOf('mute '))
    t.equal((await h.ask(command, clicker())).code, undefined, command)
  }
})
