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
})

t.test('help takes no arguments', async (t) => {
  const h = createChatHarness(t)
  t.equal((await h.ask('help me=now')).code, 'unknown_key')
})
