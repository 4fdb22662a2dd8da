import t from 'tap'
import { createChatHarness } from '../chatops/chat-harness.ts'

t.test('help lists every command with its aliases, usage and an example', async (t) => {
  const h = createChatHarness(t)
  const reply = await h.ask('help')
  t.equal(reply.title, 'What I understand')
  const out = await h.say('帮助')
  const expected: Array<[string, string, string]> = [
    ['help', '帮助', 'help'],
    ['events', '事件', 'events ns=prod reason=BackOff since=6h'],
    ['mute', '静默', 'mute ns=prod name=web-\\* reason=BackOff for=2h'],
    ['unmute', '取消静默', 'unmute m3'],
    ['mutes', '静默列表', 'mutes'],
    ['nodes', '节点', 'nodes'],
    ['status', '状态', 'status'],
  ]
  for (const [name, alias, example] of expected) {
    t.match(out, `**${name}** (${alias}): `, name)
    t.match(out, `e.g. ${example}`, name)
  }
  t.match(out, /quote values with spaces: reason="Back Off"/)
  t.match(out, /Commands work in Chinese too: 事件 ns=prod/, 'help shows both languages')
})

t.test('help in Chinese: summaries in Chinese, command names in both', async (t) => {
  const h = createChatHarness(t, { language: 'zh-CN' })
  t.equal((await h.ask('帮助')).title, '我能听懂的命令')
  const out = await h.say('help')
  t.match(out, '**events** (事件): 最新的匹配事件')
  t.match(out, '**mute** (静默): 静默匹配所有给定键的告警')
  t.match(out, '例如 mute ns=prod name=web-\\* reason=BackOff for=2h')
  t.match(out, /Commands work in English too: events ns=prod/)
  t.equal(
    (await h.ask('静默 ns=prod for=1h')).title,
    '已静默 m1',
    'a Chinese command, a Chinese reply',
  )
})

t.test('help takes no arguments', async (t) => {
  const h = createChatHarness(t)
  t.equal((await h.ask('help me=now')).code, 'unknown_key')
})
