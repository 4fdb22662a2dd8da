import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import t from 'tap'
import type { DingTalkMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { createSessionSender } from '../../../src/dingtalk/session-webhook.ts'
import {
  createFakeSessionWebhook,
  type FakeSessionWebhook,
} from '../../helpers/dingtalk-callback.ts'

const now = Date.UTC(2026, 10, 24, 12)
const message: DingTalkMessage = { msgtype: 'markdown', markdown: { title: 't', text: 'x' } }

function capture(webhook: FakeSessionWebhook, robotWebhooks = [`${webhook.origin}/robot/send`]) {
  const logs: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) })
  return { logs, sender: createSessionSender({ fetch, now: () => now, logger, robotWebhooks }) }
}

async function listen(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}

t.test('posts the message; DingTalk errcode 0 is success', async (t) => {
  const webhook = await createFakeSessionWebhook()
  t.teardown(() => webhook.close())
  const { sender } = capture(webhook)
  t.equal(await sender.send({ url: webhook.newSession(), expiresAt: now + 1 }, message), true)
  t.same(webhook.posts[0]?.body, message)
})

t.test('an expired or missing sessionWebhook sends nothing; the URL is never logged', async (t) => {
  const webhook = await createFakeSessionWebhook()
  t.teardown(() => webhook.close())
  const { sender, logs } = capture(webhook)
  const url = webhook.newSession()
  t.equal(await sender.send({ url, expiresAt: now }, message), false)
  t.equal(await sender.send({ url: undefined, expiresAt: undefined }, message), false)
  t.same(webhook.posts, [])
  t.match(logs[0], {
    level: 40,
    msg: 'the sessionWebhook expired before the reply was ready: reply dropped',
  })
  t.notMatch(JSON.stringify(logs), /session=/)
})

t.test(
  'a refusal (HTTP 200 with errcode) or a dead endpoint is logged and answered false',
  async (t) => {
    const webhook = await createFakeSessionWebhook()
    t.teardown(() => webhook.close())
    const { sender, logs } = capture(webhook)
    const unknown = webhook.newSession().replace(/session=s\d+/, 'session=unknown')
    t.equal(await sender.send({ url: unknown, expiresAt: undefined }, message), false)
    t.match(logs.at(-1), {
      errcode: 300001,
      msg: 'DingTalk refused the reply posted to the sessionWebhook',
    })

    const dead = await listen((req) => req.socket.destroy())
    t.teardown(() => new Promise<void>((resolve) => dead.server.close(() => resolve())))
    const { sender: toDead, logs: deadLogs } = capture(webhook, [`${dead.origin}/robot/send`])
    const url = `${dead.origin}/robot/sendBySession?session=z`
    t.equal(await toDead.send({ url, expiresAt: undefined }, message), false)
    t.match(deadLogs.at(-1), { msg: 'could not post the reply to the sessionWebhook' })
    t.notMatch(JSON.stringify([logs, deadLogs]), /session=/)
  },
)

t.test('only DingTalk’s hosts and the configured robots’ hosts are posted to', async (t) => {
  const webhook = await createFakeSessionWebhook()
  t.teardown(() => webhook.close())
  let foreignHits = 0
  const foreign = await listen((_req, res) => {
    foreignHits++
    res.end('{"errcode":0}')
  })
  t.teardown(() => new Promise<void>((resolve) => foreign.server.close(() => resolve())))
  const { sender, logs } = capture(webhook)
  const session = new URL(webhook.newSession())
  const refused = [
    `${foreign.origin}/robot/sendBySession?session=s1`,
    `http://localhost:${session.port}/robot/sendBySession?session=s1`,
    `https://oapi.dingtalk.com.evil.example/robot/sendBySession?session=s1`,
    `http://oapi.dingtalk.com/robot/sendBySession?session=s1`,
    `https://oapi.dingtalk.com:8443/robot/sendBySession?session=s1`,
    `http://user:pw@127.0.0.1:${session.port}/robot/sendBySession?session=s1`,
    'file:///etc/passwd',
    'not a url',
  ]
  for (const url of refused) {
    t.equal(await sender.send({ url, expiresAt: undefined }, message), false, url)
  }
  t.equal(foreignHits, 0, 'nothing reached the foreign host')
  t.same(webhook.posts, [], 'nor the robot host under another name')
  const refusals = logs.filter((l) => /not on a DingTalk host/.test(String(l.msg)))
  t.equal(refusals.length, refused.length)
  t.notMatch(JSON.stringify(logs), /session=|pw@/)
})

t.test('a redirect is never followed', async (t) => {
  const webhook = await createFakeSessionWebhook()
  t.teardown(() => webhook.close())
  const target = webhook.newSession()
  const redirecting = await listen((_req, res) => {
    res.writeHead(307, { location: target }).end()
  })
  t.teardown(() => new Promise<void>((resolve) => redirecting.server.close(() => resolve())))
  const { sender, logs } = capture(webhook, [`${redirecting.origin}/robot/send`])
  const url = `${redirecting.origin}/robot/sendBySession?session=r`
  t.equal(await sender.send({ url, expiresAt: undefined }, message), false)
  t.same(webhook.posts, [], 'the redirect target got nothing')
  t.match(logs.at(-1), {
    status: 307,
    msg: 'DingTalk refused the reply posted to the sessionWebhook',
  })
})
