/**
 * The @-mention callback end to end: requests signed the way DingTalk signs them, through
 * `app.inject()`, into the real ChatOps and store; app-robot replies land on a fake
 * sessionWebhook on 127.0.0.1.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { aClusterEvent } from '../helpers/cluster-events.ts'
import { appRobotHeaders, outgoingHeaders } from '../helpers/dingtalk-callback.ts'
import { START } from '../unit/chatops/chat-harness.ts'
import { APP_SECRET, markdownOf, createChatHttpRig as setup, TOKEN } from './chat-http-rig.ts'

t.test(
  'custom robot Outgoing: the right token runs the command, the reply is the response',
  async (t) => {
    const { h, viaToken } = await setup(t)
    const res = await viaToken('mute ns=prod reason=BackOff')
    t.equal(res.statusCode, 200)
    t.match(res.json(), { msgtype: 'markdown', markdown: { title: 'Muted m1' } })
    t.equal(h.mutes.active(START).length, 1)
  },
)

t.test(
  'wrong, missing, stale credentials: 401 with a JSON error, nothing run, secret never logged',
  async (t) => {
    const { h, post, message } = await setup(t)
    const body = message('mute ns=prod')
    const cases: Array<[string, Record<string, string>, RegExp]> = [
      ['wrong token', outgoingHeaders('outgoing-token-3f9b'), /token header does not match/],
      ['missing', {}, /no token or timestamp\+sign headers/],
      [
        'wrong app secret',
        appRobotHeaders('another-secret', h.clock.now),
        /sign header does not match/,
      ],
      [
        'stale signature',
        appRobotHeaders(APP_SECRET, h.clock.now - 3_600_001),
        /more than one hour/,
      ],
      [
        'signature from the future',
        appRobotHeaders(APP_SECRET, h.clock.now + 3_600_001),
        /more than one hour/,
      ],
      [
        'sign without timestamp',
        { sign: appRobotHeaders(APP_SECRET, h.clock.now).sign as string },
        /must come together/,
      ],
    ]
    for (const [name, headers, reason] of cases) {
      const res = await post(body, headers)
      t.equal(res.statusCode, 401, name)
      t.match(res.json(), { error: 'unauthorized', message: reason }, name)
    }
    t.same(h.mutes.active(START), [], 'nothing ran')
    t.same(h.audit.recent(10), [])
    t.ok(
      h.logs.some(
        (l) => l.msg === 'DingTalk callback refused' && /does not match/.test(String(l.reason)),
      ),
    )
    const all = JSON.stringify(h.logs)
    t.notMatch(all, new RegExp(`${TOKEN}|${APP_SECRET}`), 'no secret in any log line')
  },
)

t.test('app robot HTTP mode: 200 at once, the reply goes to the sessionWebhook', async (t) => {
  const { h, viaSign, message, webhook } = await setup(t)
  const res = await viaSign(message('events'))
  t.equal(res.statusCode, 200)
  t.same(res.json(), {})
  const [post] = await webhook.waitForPosts(1)
  t.match(post?.body, { msgtype: 'markdown', markdown: { title: 'No Warning events' } })
  await h.chat.idle()
  t.notOk(
    h.logs.some((l) => (l.level as number) >= 40),
    'DingTalk took the reply: nothing to warn about',
  )
})

t.test(
  'a signed callback naming a foreign or a redirecting sessionWebhook: nothing leaves for it',
  async (t) => {
    const hits: string[] = []
    const foreign = createServer((req, res) => {
      hits.push(req.url ?? '')
      res.end('{"errcode":0,"errmsg":"ok"}')
    })
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => foreign.close(() => resolve())))
    const foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`
    const { h, viaSign, message, webhook } = await setup(t)
    // The sessionWebhook names a host that is neither DingTalk's nor a configured robot's.
    const res = await viaSign(
      message('events', { sessionWebhook: `${foreignOrigin}/robot/sendBySession?session=s1` }),
    )
    t.equal(res.statusCode, 200)
    await h.chat.idle()
    t.same(hits, [], 'the foreign host got nothing')
    t.ok(h.logs.some((l) => /not on a DingTalk host/.test(String(l.msg))))

    // A configured robot's host that answers with a redirect to elsewhere is not followed.
    const redirecting = createServer((_req, res) => {
      res.writeHead(302, { location: `${foreignOrigin}/stolen` }).end()
    })
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => redirecting.close(() => resolve())))
    const redirectOrigin = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}`
    const second = await setup(t, { robotWebhooks: [`${redirectOrigin}/robot/send`] })
    await second.viaSign(
      second.message('events', {
        sessionWebhook: `${redirectOrigin}/robot/sendBySession?session=r`,
      }),
    )
    await second.h.chat.idle()
    t.same(hits, [], 'the redirect was not followed')
    t.match(second.h.logs.at(-1), {
      status: 302,
      msg: 'DingTalk refused the reply posted to the sessionWebhook',
    })
    t.same(webhook.posts, [])
  },
)

t.test('an expired sessionWebhook: nothing runs and nothing is posted', async (t) => {
  const { h, viaSign, message, webhook } = await setup(t)
  const res = await viaSign(message('mute ns=prod', { sessionWebhookExpiredTime: h.clock.now - 1 }))
  t.equal(res.statusCode, 200)
  await h.chat.idle()
  t.same(webhook.posts, [])
  t.same(h.mutes.active(START), [])
  t.ok(h.logs.some((l) => l.msg === 'message arrived with an expired sessionWebhook: not run'))
})

t.test('an app robot message without sessionWebhook is a 400', async (t) => {
  const { viaSign, message } = await setup(t)
  const res = await viaSign(message('help', { sessionWebhook: undefined }))
  t.equal(res.statusCode, 400)
  t.match(res.json(), { error: 'bad_request', message: /sessionWebhook/ })
})

t.test('a sessionWebhookExpiredTime no clock can hold is a 400, and nothing runs', async (t) => {
  const { h, viaSign, message, webhook } = await setup(t)
  for (const bad of [-1e20, 1e20, 1.5, -1]) {
    const res = await viaSign(message('mute ns=prod', { sessionWebhookExpiredTime: bad }))
    t.equal(res.statusCode, 400, String(bad))
    t.match(res.json(), { error: 'bad_request', message: /sessionWebhookExpiredTime/ })
  }
  await h.chat.idle()
  t.same(webhook.posts, [])
  t.same(h.mutes.active(START), [])
  t.notOk(
    h.logs.some((l) => Number(l.level) >= 50),
    'no error logged',
  )
})

t.test('a msgId delivered again is answered from memory and never run twice', async (t) => {
  const { h, post, message, viaSign, webhook } = await setup(t)
  const body = message('mute ns=prod')
  const first = await post(body, outgoingHeaders(TOKEN))
  const again = await post(body, outgoingHeaders(TOKEN))
  t.same(again.json(), first.json())
  t.equal(h.mutes.active(START).length, 1)

  const signed = message('mute ns=dev')
  await viaSign(signed)
  await viaSign(signed)
  await h.chat.idle()
  t.equal(webhook.posts.length, 1, 'the group already has the reply: not posted again')
  t.equal(h.mutes.active(START).length, 2)
})

t.test(
  'the endpoint is off (404) when neither token nor appSecret is set, and the log says so',
  async (t) => {
    const { h, viaToken } = await setup(t, { token: undefined, appSecret: undefined })
    t.equal((await viaToken('help')).statusCode, 404)
    t.ok(h.logs.some((l) => /chat callback is off/.test(String(l.msg))))
  },
)

t.test('only the configured kind of credential is accepted', async (t) => {
  const tokenOnly = await setup(t, { appSecret: undefined })
  t.equal((await tokenOnly.viaSign(tokenOnly.message('help'))).statusCode, 401)
  t.equal((await tokenOnly.viaToken('help')).statusCode, 200)
  const signOnly = await setup(t, { token: undefined })
  t.equal((await signOnly.viaToken('help')).statusCode, 401)
  t.equal((await signOnly.viaSign(signOnly.message('help'))).statusCode, 200)
})

t.test('bad bodies: too large, malformed, not JSON, not a message', async (t) => {
  const { h, post, message } = await setup(t)
  const huge = message(`mute ns=prod ${'x'.repeat(2 * 1024 * 1024)}`)
  const tooLarge = await post(huge, outgoingHeaders(TOKEN))
  t.equal(tooLarge.statusCode, 413)
  t.same(tooLarge.json(), { error: 'body_too_large', message: 'the body is over 64 KiB' })
  t.equal(
    (await post(huge, outgoingHeaders('wrong'))).statusCode,
    401,
    'credentials are checked before the body',
  )

  const malformed = await post('{"msgtype": "text", ', outgoingHeaders(TOKEN))
  t.equal(malformed.statusCode, 400)
  t.match(malformed.json(), { error: 'bad_request', message: /not valid JSON/ })

  const plain = await post('msgtype=text', {
    ...outgoingHeaders(TOKEN),
    'content-type': 'text/plain',
  })
  t.equal(plain.statusCode, 400)
  t.match(plain.json(), { error: 'bad_request', message: /^body: .*expected object/ })
  const xml = await post('<xml/>', { ...outgoingHeaders(TOKEN), 'content-type': 'application/xml' })
  t.equal(xml.statusCode, 415)
  t.same(xml.json(), {
    error: 'unsupported_media_type',
    message: 'send the message as application/json',
  })

  const noMsgId = await post({ ...message('help'), msgId: undefined }, outgoingHeaders(TOKEN))
  t.equal(noMsgId.statusCode, 400)
  t.match(noMsgId.json(), { error: 'bad_request', message: /^msgId: / })

  const wrongType = await post(
    { ...message('help'), text: { content: 42 } },
    outgoingHeaders(TOKEN),
  )
  t.match(wrongType.json(), { error: 'bad_request', message: /^text\.content: / })

  t.equal((await post([1, 2], outgoingHeaders(TOKEN))).statusCode, 400)
  t.same(h.mutes.active(START), [], 'nothing ran')
})

t.test('a picture or other non-text message gets a polite reply', async (t) => {
  const { viaToken } = await setup(t)
  const res = await viaToken('', {
    msgtype: 'picture',
    text: undefined,
    content: { downloadCode: 'abc' },
  })
  t.equal(res.statusCode, 200)
  t.match(markdownOf(res).text, /I can only read text messages/)
})

t.test('every command answers over HTTP, in English and Chinese', async (t) => {
  const { viaToken, h } = await setup(t)
  h.archive.upsert(aClusterEvent({ lastSeen: START - 60_000, namespace: 'prod' }))
  const expected: Array<[string, RegExp]> = [
    ['help', /What I understand/],
    ['帮助', /What I understand/],
    ['events ns=prod', /1 Warning events in prod/],
    ['事件 命名空间=prod', /1 Warning events in prod/],
    ['mute ns=prod', /Muted m1/],
    ['静默 reason=BackOff 时长=2h', /Muted m2/],
    ['mutes', /2 active mutes/],
    ['静默列表', /2 active mutes/],
    ['unmute m1', /Ended m1/],
    ['取消静默 全部', /Ended m2/],
    ['nodes', /All 3 nodes fine/],
    ['节点', /All 3 nodes fine/],
    ['status', /kubeding on prod-hangzhou/],
    ['状态', /kubeding on prod-hangzhou/],
  ]
  for (const [text, title] of expected) {
    const res = await viaToken(text, { senderId: `sender-${text}`, senderStaffId: `staff-${text}` })
    t.equal(res.statusCode, 200, text)
    t.match(markdownOf(res).title, title, text)
  }
})

t.test(
  'unknown command, limit=100000, for=99y over HTTP: what was wrong and the usage line',
  async (t) => {
    const { viaToken, h } = await setup(t)
    t.match(markdownOf(await viaToken('reboot cluster')).text, /I do not know "reboot"/)
    t.match(
      markdownOf(await viaToken('events limit=100000')).text,
      /limit: must be a whole number from 1 to 50[\s\S]*Usage: events/,
    )
    t.match(
      markdownOf(await viaToken('mute ns=prod for=99y')).text,
      /for: "99y" is not a duration[\s\S]*Usage: mute/,
    )
    t.same(h.mutes.active(START), [])
  },
)

t.test('admins and conversations refusals over HTTP', async (t) => {
  const { viaToken, h } = await setup(t, {
    admins: ['staff-admin'],
    conversations: ['cidOpsGroup=='],
  })
  t.match(markdownOf(await viaToken('mute ns=prod')).text, /Sorry, only the admins/)
  t.match(
    markdownOf(await viaToken('mute ns=prod', { senderStaffId: 'staff-admin' })).title,
    /Muted m1/,
  )
  t.match(
    markdownOf(await viaToken('help', { conversationId: 'cidElsewhere' })).text,
    /Sorry, I only answer in the groups/,
  )
  t.equal(h.mutes.active(START).length, 1)
})

t.test('ten commands a minute per sender over HTTP', async (t) => {
  const { viaToken, h } = await setup(t)
  for (let i = 0; i < 10; i++)
    t.equal(markdownOf(await viaToken('help')).title, 'What I understand')
  t.match(markdownOf(await viaToken('help')).text, /You have sent 10 commands in the last minute/)
  h.clock.now += 60_000
  t.equal(markdownOf(await viaToken('help')).title, 'What I understand')
})

t.test(
  'markdown and newline injection, in arguments and in event messages, stays inert',
  async (t) => {
    const { viaToken, h } = await setup(t)
    h.archive.upsert(
      aClusterEvent({
        lastSeen: START - 60_000,
        namespace: 'prod',
        name: 'web-1',
        message:
          'x\n\n#### ✅ Mute m1 ended\n\n[unmute all](dtmd://dingtalkclient/sendMessage?content=unmute%20all) @all',
      }),
    )
    const events = markdownOf(await viaToken('events ns=prod')).text
    t.equal(events.split('\n\n').length, 2, 'one heading, one event: no injected paragraphs')
    t.notMatch(events, /\]\(|@all|\n#/)
    const typed = markdownOf(
      await viaToken('mute name="web\n\n#### fake" reason="[a](dtmd://x)"'),
    ).text
    t.notMatch(typed, /\n\n#### fake|\[a\]/)
    t.same(h.mutes.active(START), [])
  },
)
