/**
 * The callback as a hostile group member (or someone who captured one request) uses it: signed
 * callbacks replayed with new bodies, sender ids changed to dodge the per-sender limit, and
 * thousands of commands meant to grow the bot's memory.
 */
import t from 'tap'
import { ConfigSchema } from '../../src/config/schema.ts'
import { createSignatureMemory } from '../../src/http/signature-memory.ts'
import { en } from '../../src/i18n/en.ts'
import { appRobotHeaders, outgoingHeaders } from '../helpers/dingtalk-callback.ts'
import { START } from '../unit/chatops/chat-harness.ts'
import { APP_SECRET, createChatHttpRig, markdownOf, TOKEN } from './chat-http-rig.ts'

t.test('a captured timestamp+sign pair is refused with another msgId (401)', async (t) => {
  const { h, post, message, webhook } = await createChatHttpRig(t)
  const captured = appRobotHeaders(APP_SECRET, h.clock.now)
  const first = message('mute ns=prod')
  t.equal((await post(first, captured)).statusCode, 200)
  await h.chat.idle()
  t.equal(h.mutes.active(START).length, 1)

  h.clock.now += 30 * 60_000
  const forged = message('unmute all')
  const replay = await post(forged, captured)
  t.equal(replay.statusCode, 401)
  t.match(replay.json(), { error: 'unauthorized', message: /already used with another msgId/ })
  t.ok(h.logs.some((l) => l.msg === 'DingTalk callback refused' && l.reason === 'replayed'))

  const again = await post(first, captured)
  t.equal(again.statusCode, 200, 'the same msgId again is a re-delivery, not a replay')
  await h.chat.idle()
  t.equal(h.mutes.active(h.clock.now).length, 1, 'the forged unmute never ran')
  t.equal(webhook.posts.length, 1, 'the re-delivery was answered from memory, not posted again')

  const fresh = await post(message('unmute all'), appRobotHeaders(APP_SECRET, h.clock.now))
  t.equal(fresh.statusCode, 200, 'a new signature from DingTalk works as before')
  await h.chat.idle()
  t.same(h.mutes.active(h.clock.now), [])
})

t.test('used pairs are kept only while they verify, and never past the cap', async (t) => {
  const signatures = createSignatureMemory(3)
  const { h, post, message } = await createChatHttpRig(t, { signatures })
  const signed = async (offset: number) =>
    (await post(message('help'), appRobotHeaders(APP_SECRET, h.clock.now + offset))).statusCode
  t.same([await signed(-3), await signed(-2), await signed(-1)], [200, 200, 200])
  t.equal(await signed(0), 401, 'full: a new pair is refused rather than an old one forgotten')
  t.ok(h.logs.some((l) => l.msg === 'DingTalk callback refused' && l.reason === 'full'))
  h.clock.now += 3_600_000
  t.equal(await signed(0), 200, 'an hour on, the old pairs no longer verify and are dropped')
  t.equal(signatures.size(), 1)
  await h.chat.idle()
})

t.test(
  'a captured pair with its own msgId and another message is refused for as long as it verifies',
  async (t) => {
    const { h, post, message, webhook } = await createChatHttpRig(t, { admins: ['staff-alice'] })
    // DingTalk's clock 30 minutes ahead of ours: the pair verifies until START + 90 minutes,
    // while the reply memory forgets the msgId an hour after it arrived.
    const captured = appRobotHeaders(APP_SECRET, START + 30 * 60_000)
    const first = message('mute ns=prod for=7d', { msgId: 'admin-1' })
    t.equal((await post(first, captured)).statusCode, 200)
    await h.chat.idle()
    t.equal(h.mutes.active(h.clock.now).length, 1)

    for (const minutes of [5, 61, 80]) {
      h.clock.now = START + minutes * 60_000
      const forged = message('unmute all', { msgId: 'admin-1' })
      const replay = await post(forged, captured)
      t.equal(replay.statusCode, 401, `${minutes} minutes on: the same msgId with another body`)
      t.match(replay.json(), { error: 'unauthorized', message: /already used with another/ })
      await h.chat.idle()
      t.equal(h.mutes.active(h.clock.now).length, 1, 'the forged unmute never ran')
    }

    const again = await post(first, captured)
    t.equal(again.statusCode, 200, "DingTalk's identical re-delivery is still taken")
    t.same(again.json(), {})
    await h.chat.idle()
    t.equal(h.mutes.active(h.clock.now).length, 1, 'and not run a second time')
    t.equal(webhook.posts.length, 1, 'nor answered twice')
  },
)

t.test(
  'used pairs are kept in the store as hashes, purged once expired, never past the cap',
  async (t) => {
    const { h, post, message } = await createChatHttpRig(t, { maxSignatures: 3 })
    const rows = () =>
      h.store.db.prepare('SELECT pair, msg_id, body, expires_at FROM used_signatures').all()
    const signed = async (offset: number) =>
      (await post(message('help'), appRobotHeaders(APP_SECRET, h.clock.now + offset))).statusCode
    t.same([await signed(-3), await signed(-2), await signed(-1)], [200, 200, 200])
    for (let i = 0; i < 20; i++) t.equal(await signed(i), 401, 'a flood past the cap is refused')
    t.equal(rows().length, 3, 'the table holds no more than the cap')
    const stored = JSON.stringify(rows())
    const sign = appRobotHeaders(APP_SECRET, h.clock.now - 1).sign as string
    t.notOk(stored.includes(sign), 'no sign that verifies is at rest')
    t.notOk(stored.includes(String(h.clock.now - 1)), 'nor its timestamp')

    h.clock.now += 3_600_000
    t.equal(await signed(0), 200, 'an hour on, the old pairs no longer verify and are dropped')
    t.same(
      rows().map((r) => r.expires_at),
      [h.clock.now + 3_600_000],
      'the expired rows are purged from the store too',
    )
    await h.chat.idle()
  },
)

t.test('commandsPerMinute: the excess gets one "try again in Ns", then silence', async (t) => {
  const { h, viaSign, message, webhook } = await createChatHttpRig(t, { perSenderPerMinute: 3 })
  const send = async (text: string) => {
    h.clock.now += 1_000
    t.equal((await viaSign(message(text))).statusCode, 200)
  }
  for (let i = 0; i < 6; i++) await send('help')
  await h.chat.idle()
  t.equal(webhook.posts.length, 4, 'three answers and one slow-down reply, not three')
  const slowDown = webhook.posts[3]?.body.markdown.text as string
  t.match(slowDown, /You have sent 3 commands in the last minute; please wait 57s and try again/)
  t.match(webhook.posts[3]?.body.markdown.title, en.chat.errorTitle.rate_limited)
  h.clock.now = START + 61_000
  await send('help')
  await h.chat.idle()
  t.equal(webhook.posts.length, 5, 'room again a minute after the first')
})

t.test('changing senderStaffId does not get past the per-group limit', async (t) => {
  const { viaToken } = await createChatHttpRig(t)
  const codes: Array<string | undefined> = []
  for (let i = 0; i < 40; i++) {
    const res = await viaToken('help', { senderStaffId: `staff-${i}`, senderId: `id-${i}` })
    const { markdown } = res.json() as { markdown?: { title: string } }
    const title = markdown?.title
    codes.push(title === undefined ? 'quiet' : title === 'What I understand' ? 'ok' : title)
  }
  t.same(codes.slice(0, 30), Array(30).fill('ok'), '3 × commandsPerMinute per group')
  t.equal(codes[30], en.chat.errorTitle.group_rate_limited)
  t.same(codes.slice(31), Array(9).fill('quiet'), 'told once; the rest answer {} and post nothing')
  const other = await viaToken('help', { conversationId: 'cidOtherGroup==' })
  t.equal(markdownOf(other).title, 'What I understand', 'another group is not affected')
})

t.test('changing the group id too meets the overall limit: 10 × commandsPerMinute', async (t) => {
  const { viaToken } = await createChatHttpRig(t, { perSenderPerMinute: 2 })
  const titles: string[] = []
  for (let i = 0; i < 22; i++) {
    const res = await viaToken('help', { senderStaffId: `staff-${i}`, conversationId: `cid-${i}` })
    titles.push((res.json() as { markdown?: { title: string } }).markdown?.title ?? 'quiet')
  }
  t.same(titles.slice(0, 20), Array(20).fill('What I understand'))
  t.same(titles.slice(20), [en.chat.errorTitle.busy, 'quiet'])
})

t.test('thousands of commands with varying ids keep every structure at its cap', async (t) => {
  const caps = {
    replies: { ttlMs: 3_600_000, maxEntries: 200, maxBytes: 64 * 1024 },
    maxRateKeys: 50,
  }
  const { h, post, message } = await createChatHttpRig(t, {
    memoryLimits: caps,
    perSenderPerMinute: 600,
  })
  let most = { replies: 0, replyBytes: 0, senders: 0, conversations: 0 }
  for (let i = 0; i < 3_000; i++) {
    if (i % 100 === 0) h.clock.now += 60_000
    const body = message(i % 2 ? 'help' : 'status', {
      senderStaffId: `staff-${i}`,
      senderId: `id-${i}`,
      conversationId: `cid-${i % 500}`,
    })
    t.equal((await post(body, outgoingHeaders(TOKEN))).statusCode, 200)
    const now = h.chat.footprint()
    most = {
      replies: Math.max(most.replies, now.replies),
      replyBytes: Math.max(most.replyBytes, now.replyBytes),
      senders: Math.max(most.senders, now.senders),
      conversations: Math.max(most.conversations, now.conversations),
    }
  }
  t.ok(most.replies <= 200, `replies held at most ${most.replies}`)
  t.ok(most.replyBytes <= 64 * 1024, `reply bytes at most ${most.replyBytes}`)
  t.equal(most.senders, 50, 'senders capped')
  t.equal(most.conversations, 50, 'groups capped')
  h.clock.now += 3_600_000
  await post(message('help'), outgoingHeaders(TOKEN))
  t.equal(h.chat.footprint().replies, 1, 'an hour later only the newest reply is held')
})

t.test('dingtalk.outgoing.commandsPerMinute: default 10, a bad value names the key', async (t) => {
  t.equal(ConfigSchema.parse({}).dingtalk.outgoing.commandsPerMinute, 10)
  const bad = ConfigSchema.safeParse({ dingtalk: { outgoing: { commandsPerMinute: 0 } } })
  t.equal(bad.success, false)
  t.same(bad.error?.issues[0]?.path, ['dingtalk', 'outgoing', 'commandsPerMinute'])
})
