import t from 'tap'
import { md } from '../../../src/chatops/markdown.ts'
import { toDingTalkMarkdown } from '../../../src/dingtalk/render-rich-text.ts'
import { createChatHarness, START } from '../chatops/chat-harness.ts'

t.test('unmute ID ends that mute, and says what it held back', async (t) => {
  const h = createChatHarness(t)
  await h.ask('mute ns=prod')
  await h.ask('mute ns=dev')
  h.mutes.recordHeldBack('m1', 12)
  h.clock.now += 60_000
  const out = await h.say('unmute m1')
  t.match(out, /^#### Ended m1/)
  t.match(
    out,
    /Mute \*\*m1\*\* \(ns=prod\) ended; it held back 12 alerts\. Matching events alert again from now\./,
  )
  const m1 = h.mutes.get('m1')
  t.same([m1?.heldBack, m1?.endedBy, m1?.endedAt], [12, 'Alice', START + 60_000])
  t.same(
    h.mutes.active(h.clock.now).map((m) => m.id),
    ['m2'],
  )
})

t.test('unmute all ends every active mute; ids ignore case', async (t) => {
  const h = createChatHarness(t)
  await h.ask('mute ns=prod')
  await h.ask('mute ns=dev')
  t.equal((await h.ask('UNMUTE ALL')).title, 'Ended m1, m2')
  t.same(h.mutes.active(h.clock.now), [])
  t.equal((await h.ask('unmute all')).title, 'No active mutes')
  await h.ask('mute ns=qa')
  t.equal((await h.ask('取消静默 M3')).title, 'Ended m3')
  await h.ask('mute ns=qa')
  t.equal((await h.ask('取消静默 全部')).title, 'Ended m4')
})

t.test('unknown, ended or malformed ids are refused and change nothing', async (t) => {
  const h = createChatHarness(t)
  await h.ask('mute ns=prod')
  const missing = await h.ask('unmute m9')
  t.equal(missing.code, 'not_found')
  t.match(
    toDingTalkMarkdown(missing.lines[0] ?? md``),
    /m9 is not an active mute; type mutes to see the active ones/,
  )
  t.equal((await h.ask('unmute')).code, 'missing_key')
  t.equal((await h.ask('unmute drop-table')).code, 'bad_value')
  t.equal((await h.ask('unmute m1 m2')).code, 'unexpected_argument')
  t.equal(h.mutes.active(START).length, 1)
  await h.ask('unmute m1')
  t.equal((await h.ask('unmute m1')).code, 'not_found', 'already ended')
})
