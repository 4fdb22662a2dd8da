import t from 'tap'
import { MAX_ACTIVE_MUTES } from '../../../commands/mute.ts'
import { md } from '../../../src/chatops/markdown.ts'
import { toDingTalkMarkdown } from '../../../src/dingtalk/render-rich-text.ts'
import { createChatHarness, START } from '../chatops/chat-harness.ts'

const H = 3_600_000
const pod = { namespace: 'prod', kind: 'Pod', name: 'web-7d9f', reason: 'BackOff' }

t.test('mute holds back matching events from the very next one, for 1h by default', async (t) => {
  const h = createChatHarness(t)
  const reply = await h.ask('mute ns=prod reason=BackOff')
  t.equal(reply.title, 'Muted m1')
  const out = await h.say('mutes')
  t.match(out, /\*\*m1\*\* ns=prod reason=BackOff · set by Alice just now · ends in 1h/)
  t.equal(h.mutes.match(pod, START)?.id, 'm1')
  t.equal(h.mutes.match(pod, START + H), undefined, 'over after an hour')
  t.same(h.mutes.get('m1')?.createdBy, 'staff-alice')
})

t.test('the reply names the mute, its keys, its end and how to undo it', async (t) => {
  const h = createChatHarness(t)
  const out = await h.say('mute kind=Pod name=web-* for=2h')
  t.match(
    out,
    /Mute \*\*m1\*\* is on: alerts matching kind=Pod name=web-\\\* are held back; it ends in 2h\./,
  )
  t.match(out, /End it early with: unmute m1/)
})

t.test('for= up to 7d; longer, shorter or unreadable durations are refused', async (t) => {
  const h = createChatHarness(t)
  t.equal((await h.ask('mute ns=prod for=7d')).title, 'Muted m1')
  t.equal(h.mutes.get('m1')?.endsAt, START + 7 * 24 * H)
  for (const text of [
    'mute ns=prod for=8d',
    'mute ns=prod for=99y',
    'mute ns=prod for=30s',
    'mute ns=prod for=',
  ]) {
    t.equal((await h.ask(text)).code, 'bad_value', text)
  }
  t.equal(h.mutes.active(START).length, 1, 'refusals changed nothing')
})

t.test('a mute needs at least one key', async (t) => {
  const h = createChatHarness(t)
  const reply = await h.ask('mute for=1h')
  t.equal(reply.code, 'missing_key')
  t.match(
    toDingTalkMarkdown(reply.lines[0] ?? md``),
    /Name at least one of ns=, kind=, name=, reason=/,
  )
  t.same(h.mutes.active(START), [])
})

t.test('quoted reasons and Chinese aliases', async (t) => {
  const h = createChatHarness(t)
  await h.ask('mute reason="Back Off"')
  t.same(h.mutes.get('m1')?.selector, { reason: 'Back Off' })
  await h.ask('静默 命名空间=prod 时长=2h')
  t.same(h.mutes.get('m2')?.selector, { namespace: 'prod' })
  t.equal(h.mutes.get('m2')?.endsAt, START + 2 * H)
})

t.test('every mute is recorded in the audit', async (t) => {
  const h = createChatHarness(t)
  await h.ask('mute ns=prod for=2h')
  t.match(h.audit.recent(1)[0], {
    at: START,
    senderId: 'staff-alice',
    senderName: 'Alice',
    conversationId: 'cidOpsGroup==',
    command: 'mute ns=prod for=2h',
    outcome: 'ok: Muted m1',
  })
})

t.test('markdown and newlines in arguments are refused and echoed inert', async (t) => {
  const h = createChatHarness(t)
  const reply = await h.say('mute reason="[x](dtmd://dingtalkclient/sendMessage?content=unmute)"')
  t.match(reply, /is not a reason/)
  t.notMatch(reply, /\[x\]/)
  const newline = await h.ask('mute name="a\n#### fake"')
  t.equal(newline.code, 'bad_value')
  t.same(h.mutes.active(START), [])
})

t.test('a mute that would match every alert is refused and changes nothing', async (t) => {
  const h = createChatHarness(t)
  for (const text of ['mute name=*', 'mute name=*** for=7d', 'mute name="*"']) {
    const reply = await h.ask(text)
    t.equal(reply.code, 'matches_everything', text)
  }
  t.same(h.mutes.active(START), [], 'nothing muted')
  t.equal((await h.ask('mute ns=prod name=*')).title, 'Muted m1', 'another key narrows it')
  t.equal((await h.ask('mute name=web-**')).title, 'Muted m2')
  t.same(h.mutes.get('m2')?.selector, { name: 'web-*' }, 'a run of stars is one star')
})

t.test('at most 100 mutes are on at once: the next is refused and changes nothing', async (t) => {
  const h = createChatHarness(t)
  for (let i = 0; i < MAX_ACTIVE_MUTES; i++)
    h.mutes.add({
      selector: { name: `web-${i}` },
      createdBy: 'staff-bot',
      createdByName: 'a loop',
      conversationId: 'cid',
      createdAt: START,
      endsAt: START + H,
    })
  const reply = await h.ask('mute ns=prod')
  t.equal(reply.code, 'too_many_mutes')
  t.match(toDingTalkMarkdown(reply.lines[0] ?? md``), /100 mutes are already on.*unmute/)
  t.equal(h.mutes.active(START).length, MAX_ACTIVE_MUTES, 'nothing was added')
  t.equal(h.mutes.match(pod, START), undefined)
  t.match(h.audit.recent(1)[0], { command: 'mute ns=prod', outcome: 'refused' })
  t.equal((await h.ask('unmute m1')).title, 'Ended m1', 'ending one makes room')
  t.equal((await h.ask('mute ns=prod')).title, `Muted m${MAX_ACTIVE_MUTES + 1}`)
})
