import t from 'tap'
import { createChatHarness } from '../chatops/chat-harness.ts'

t.test('no mutes', async (t) => {
  const h = createChatHarness(t)
  t.match(await h.say('mutes'), /No active mutes: every matching event alerts\./)
})

t.test(
  'active mutes with id, keys, who, when it ends, held back; then the latest changes',
  async (t) => {
    const h = createChatHarness(t)
    await h.ask('mute ns=prod reason=BackOff for=2h')
    await h.ask('mute kind=Node', { senderNick: 'Bob', senderStaffId: 'staff-bob' })
    await h.ask('mute ns=dev')
    h.clock.now += 10 * 60_000
    await h.ask('unmute m3')
    h.mutes.recordHeldBack('m1', 3)
    const reply = await h.ask('静默列表')
    t.equal(reply.title, '2 active mutes')
    const out = await h.say('mutes')
    t.match(
      out,
      /\*\*m1\*\* ns=prod reason=BackOff · set by Alice 10m ago · ends in 1h 50m · held back 3 alerts so far/,
    )
    t.match(
      out,
      /\*\*m2\*\* kind=Node · set by Bob 10m ago · ends in 50m · held back no alerts so far/,
    )
    t.notMatch(out, /\*\*m3\*\*/)
    t.match(
      out,
      /\*\*Latest changes\*\*\n\njust now: Alice ran "unmute m3" → ok: Ended m3\n\n10m ago: Alice ran "mute ns=dev" → ok: Muted m3/,
    )
  },
)

t.test('refused write commands show in the latest changes too', async (t) => {
  const h = createChatHarness(t, { admins: ['staff-alice'] })
  await h.ask('mute ns=prod', { senderNick: 'Mallory', senderStaffId: 'staff-mallory' })
  t.match(await h.say('mutes'), /Mallory ran "mute ns=prod" → refused: not\\_admin/)
})

t.test('what was typed is shown inert', async (t) => {
  const h = createChatHarness(t)
  await h.ask('mute name=web-* for=1h @all')
  const out = await h.say('mutes')
  t.notMatch(out, /@all/)
  t.match(out, /ran "mute name=web-\\\* for=1h ＠all" → refused: unexpected\\_argument/)
})

t.test('in Chinese the latest changes say how each ended in Chinese', async (t) => {
  const h = createChatHarness(t, { language: 'zh-CN', admins: ['staff-alice'] })
  await h.ask('静默 ns=prod', { senderNick: 'Mallory', senderStaffId: 'staff-mallory' })
  await h.ask('静默 ns=dev', { senderNick: 'Alice', senderStaffId: 'staff-alice' })
  const out = await h.say('静默列表')
  t.match(out, /Mallory 执行了“静默 ns=prod” → 被拒绝：not\\_admin/)
  t.match(out, /Alice 执行了“静默 ns=dev” → 成功：/)
  t.notMatch(out, /→ (ok|refused|failed):/)
})
