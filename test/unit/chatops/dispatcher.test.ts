import t from 'tap'
import type { Reply } from '../../../src/chatops/context.ts'
import { parseInboundMessage } from '../../../src/chatops/inbound-message.ts'
import { toReplyDraft } from '../../../src/chatops/to-reply-draft.ts'
import { USER_ERROR_CODES } from '../../../src/chatops/user-error.ts'
import type { MarkdownMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { renderDraft } from '../../../src/dingtalk/render-draft.ts'
import { en } from '../../../src/i18n/en.ts'
import { zhCN } from '../../../src/i18n/zh-cn.ts'
import { aTextMessage } from '../../helpers/dingtalk-callback.ts'
import { createChatHarness, START } from './chat-harness.ts'

const text = (reply: Reply) =>
  (renderDraft(toReplyDraft(reply, en), { msgType: 'markdown', keywords: [] }) as MarkdownMessage)
    .markdown.text
const bob = { senderId: '$:LWCP_v1:$bob', senderStaffId: 'staff-bob', senderNick: 'Bob' }

t.test('an unknown command says so in a sentence and lists the commands', async (t) => {
  const h = createChatHarness(t)
  const reply = await h.ask('deploy everything')
  t.equal(reply.code, 'unknown_command')
  t.equal(reply.title, 'I do not know that command')
  t.match(text(reply), /I do not know "deploy"\. Type help/)
  t.notMatch(text(reply), /unknown\\?_command/, 'no code in the text')
  for (const name of ['help', 'events', 'mute', 'unmute', 'mutes', 'nodes', 'status']) {
    t.match(text(reply), new RegExp(`\\n${name} \\(`), name)
  }
  t.match(text(reply), /events \(事件\): events ［ns=］/)
})

t.test('in Chinese too: a sentence, the command list, never a code as the title', async (t) => {
  const h = createChatHarness(t, { language: 'zh-CN' })
  const reply = await h.ask('部署 全部')
  t.equal(reply.code, 'unknown_command')
  t.equal(reply.title, '我不认识这个命令')
  const out = await h.say('部署 全部')
  t.match(out, /我不认识“部署”这个命令/)
  t.match(out, /我认识这些命令/)
  t.match(out, /mute \(静默\): mute/)
  t.equal((await h.ask('事件 ns=prod')).code, undefined, 'command names work in Chinese')
  const badKey = await h.ask('事件 颜色=红')
  t.equal(badKey.code, 'unknown_key')
  t.equal(badKey.title, '这个命令不接受这个键')
  t.match(await h.say('事件 颜色=红'), /不认识的键“颜色”：这个命令接受 ns= kind=/)
  t.match(await h.say('事件 ns=prod ns=dev'), /ns 写了两次/)
  t.match(await h.say('事件 since=永远'), /since: "永远" 不是时长（请写 30m、2h 或 7d）/)
  t.match(await h.say('事件 limit=100000'), /limit: 必须是 1 到 50 的整数/)
  t.match(await h.say('取消静默 x1'), /id: 请写静默编号，例如 m3/)
  t.equal((await h.ask('events ns=prod')).code, undefined, 'and in English')
})

t.test('bad syntax says what to fix, in the chat language', async (t) => {
  const zh = createChatHarness(t, { language: 'zh-CN' })
  const badSyntax = await zh.ask('ns=prod 事件')
  t.equal(badSyntax.code, 'bad_syntax')
  t.equal(badSyntax.title, '这条命令我没看懂')
  t.match(await zh.say('ns=prod 事件'), /请先写命令词，例如：事件 ns=prod/)
  const equals = await zh.say('事件 ns=prod =x')
  t.match(equals, /“=”前面缺少键/)
  t.notMatch(equals, /[A-Za-z]{3,}/, 'no English word in the Chinese refusal')
  const h = createChatHarness(t)
  t.match(await h.say('ns=prod events'), /Start with a command word, for example: events ns=prod/)
  t.match(await h.say('events ns=prod =x'), /Found "=" with no key in front of it/)
})

t.test('no refusal has a code as its title, in either language', async (t) => {
  for (const code of USER_ERROR_CODES) {
    for (const strings of [en, zhCN]) {
      const title = strings.chat.errorTitle[code]
      t.ok(title, `${code} has a ${strings.language} title`)
      t.notMatch(title ?? code, /_/, `${code}: a sentence, not the code`)
    }
  }
})

t.test('each answer is logged with who asked, where, and how it ended', async (t) => {
  const h = createChatHarness(t)
  await h.ask('mute ns=prod', { msgId: 'log-1' })
  await h.ask(`x${'y'.repeat(500)}`, { msgId: 'log-2' })
  const answered = h.logs.filter((l) => l.msg === 'chat command answered')
  t.match(answered, [
    {
      level: 30,
      msgId: 'log-1',
      sender: 'staff-alice',
      conversationId: 'cidOpsGroup==',
      reply: 'Muted m1',
    },
    { msgId: 'log-2', code: 'unknown_command' },
  ])
  t.equal(answered[0]?.code, undefined)
})

t.test('an unknown command word is quoted short', async (t) => {
  const h = createChatHarness(t)
  const reply = await h.ask(`x${'y'.repeat(500)}`)
  const sentence = text(reply).split('\n\n')[1] ?? ''
  t.match(sentence, /^I do not know "xy+…"/)
  t.ok(sentence.length < 120, `${sentence.length} characters`)
})

t.test('an empty mention answers with help', async (t) => {
  const h = createChatHarness(t)
  const reply = await h.ask('   ')
  t.equal(reply.title, 'What I understand')
})

t.test('a message that is not text gets a polite refusal', async (t) => {
  const h = createChatHarness(t)
  const reply = await h.ask('', {
    msgtype: 'picture',
    text: undefined,
    content: { downloadCode: 'x' },
  })
  t.equal(reply.code, 'not_text')
  t.match(text(reply), /only read text messages/)
})

t.test('a msgId seen before is answered from memory and never run twice', async (t) => {
  const h = createChatHarness(t)
  const parsed = parseInboundMessage(aTextMessage('mute ns=prod', { msgId: 'dup-1' }))
  if (!parsed.ok) throw new Error(parsed.reason)
  const first = await h.chat.dispatch(parsed.message)
  const again = await h.chat.dispatch(parsed.message)
  t.equal(first.replayed, false)
  t.equal(again.replayed, true)
  t.same(again.reply, first.reply)
  t.same(
    h.mutes.active(START).map((m) => m.id),
    ['m1'],
  )
  t.equal(h.audit.recent(10).length, 1, 'audited once')
})

t.test(
  'a duplicate arriving while the first is still running waits for the same reply',
  async (t) => {
    const h = createChatHarness(t)
    const parsed = parseInboundMessage(aTextMessage('mute ns=prod', { msgId: 'dup-2' }))
    if (!parsed.ok) throw new Error(parsed.reason)
    const [a, b] = await Promise.all([
      h.chat.dispatch(parsed.message),
      h.chat.dispatch(parsed.message),
    ])
    t.same([a.replayed, b.replayed], [false, true])
    t.equal(h.mutes.active(START).length, 1)
  },
)

t.test('each sender gets 10 commands a minute, then a polite refusal', async (t) => {
  const h = createChatHarness(t)
  for (let i = 0; i < 10; i++) t.equal((await h.ask('status')).code, undefined, `command ${i + 1}`)
  const refused = await h.ask('status')
  t.equal(refused.code, 'rate_limited')
  t.match(text(refused), /sent 10 commands in the last minute; please wait 60s/)
  t.equal((await h.ask('status', bob)).code, undefined, 'another sender is not affected')
  h.clock.now += 30_000
  t.equal((await h.ask('status')).code, 'rate_limited', 'refusals do not reset the window')
  h.clock.now = START + 60_001
  t.equal((await h.ask('status')).code, undefined, 'a minute after the first, room again')
})

t.test('admins gate write commands; reading stays open', async (t) => {
  const h = createChatHarness(t, { admins: ['staff-alice', '$:LWCP_v1:$outsider'] })
  const refused = await h.ask('mute ns=prod', bob)
  t.equal(refused.code, 'not_admin')
  t.match(text(refused), /Sorry, only the admins listed in dingtalk\.outgoing\.admins may run mute/)
  t.same(h.mutes.active(START), [], 'nothing changed')
  t.match(h.audit.recent(1)[0], {
    senderId: 'staff-bob',
    command: 'mute ns=prod',
    outcome: 'refused: not_admin',
  })
  t.equal((await h.ask('unmute all', bob)).code, 'not_admin')
  t.equal((await h.ask('events', bob)).code, undefined, 'events is open')
  t.equal((await h.ask('mutes', bob)).code, undefined, 'mutes is open')
  t.equal((await h.ask('mute ns=prod')).code, undefined, 'admin by senderStaffId')
  const outsider = { senderId: '$:LWCP_v1:$outsider', senderStaffId: '', senderNick: 'Guest' }
  t.equal((await h.ask('mute ns=dev', outsider)).code, undefined, 'admin by senderId')
  t.equal(h.mutes.active(START).length, 2)
})

t.test('conversations restrict which groups are answered at all', async (t) => {
  const h = createChatHarness(t, { conversations: ['cidOpsGroup=='] })
  t.equal((await h.ask('help')).code, undefined)
  const refused = await h.ask('help', { conversationId: 'cidOther' })
  t.equal(refused.code, 'conversation_not_allowed')
  t.match(
    text(refused),
    /Sorry, I only answer in the groups listed in dingtalk\.outgoing\.conversations/,
  )
  t.equal(
    (await h.ask('mute ns=prod', { conversationId: 'cidOther' })).code,
    'conversation_not_allowed',
  )
  t.same(h.mutes.active(START), [])
})

t.test(
  'a bad argument answers what was wrong plus the usage line, and changes nothing',
  async (t) => {
    const h = createChatHarness(t)
    const reply = await h.ask('mute ns=prod for=99y')
    t.equal(reply.code, 'bad_value')
    t.match(text(reply), /for: "99y" is not a duration/)
    t.match(text(reply), /Usage: mute ［ns=］ ［kind=］/)
    t.same(h.mutes.active(START), [])
    t.match(h.audit.recent(1)[0], { outcome: 'refused: bad_value' })
  },
)

t.test(
  'an unexpected failure is logged and the chat sees an apology with a reference',
  async (t) => {
    const h = createChatHarness(t)
    h.store.close()
    const reply = await h.ask('events')
    t.equal(reply.code, 'internal_error')
    t.match(text(reply), /Sorry, something went wrong on my side\. Reference: [0-9a-f]{8}/)
    t.notMatch(text(reply), /database|sqlite/i, 'no internals in the chat')
    const ref = /Reference: ([0-9a-f]{8})/.exec(text(reply))?.[1]
    const logged = h.logs.find((l) => l.msg === 'chat command failed')
    t.match(logged, {
      level: 50,
      ref,
      command: 'events',
      conversationId: 'cidOpsGroup==',
      sender: 'staff-alice',
    })
    t.match(logged?.err, { message: /database is not open/ })
  },
)

t.test('commands are counted by name and result; replays are not', async (t) => {
  const h = createChatHarness(t)
  await h.ask('status', { msgId: 'c-1' })
  await h.ask('status', { msgId: 'c-1' })
  await h.ask('events limit=100000', { msgId: 'c-2' })
  await h.ask('deploy', { msgId: 'c-3' })
  const byKey = Object.fromEntries(h.chat.stats().map((c) => [`${c.command}/${c.result}`, c.count]))
  t.same(byKey, { 'status/ok': 1, 'events/bad_value': 1, 'unknown/unknown_command': 1 })
})
