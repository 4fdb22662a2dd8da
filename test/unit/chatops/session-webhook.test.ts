import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import t from 'tap'
import { postToSessionWebhook } from '../../../src/chatops/session-webhook.ts'
import type { DingTalkMarkdown } from '../../../src/chatops/to-dingtalk-message.ts'
import { createFakeSessionWebhook } from '../../helpers/dingtalk-callback.ts'

const now = Date.UTC(2026, 10, 24, 12)
const message: DingTalkMarkdown = { msgtype: 'markdown', markdown: { title: 't', text: 'x' } }

function capture() {
  const logs: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) })
  return { logs, deps: { fetch, now: () => now, logger } }
}

t.test('posts the message; DingTalk errcode 0 is success', async (t) => {
  const webhook = await createFakeSessionWebhook()
  t.teardown(() => webhook.close())
  const { deps } = capture()
  const ok = await postToSessionWebhook(
    deps,
    { url: webhook.newSession(), expiresAt: now + 1 },
    message,
  )
  t.equal(ok, true)
  t.same(webhook.posts[0]?.body, message)
})

t.test('an expired or missing sessionWebhook sends nothing; the URL is never logged', async (t) => {
  const webhook = await createFakeSessionWebhook()
  t.teardown(() => webhook.close())
  const { deps, logs } = capture()
  const url = webhook.newSession()
  t.equal(await postToSessionWebhook(deps, { url, expiresAt: now }, message), false)
  t.equal(
    await postToSessionWebhook(deps, { url: undefined, expiresAt: undefined }, message),
    false,
  )
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
    const { deps, logs } = capture()
    const unknown = webhook.newSession().replace(/session=s\d+/, 'session=unknown')
    t.equal(
      await postToSessionWebhook(deps, { url: unknown, expiresAt: undefined }, message),
      false,
    )
    t.match(logs.at(-1), {
      errcode: 300001,
      msg: 'DingTalk refused the reply posted to the sessionWebhook',
    })

    const dead = createServer((req) => req.socket.destroy())
    await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
    t.teardown(() => new Promise<void>((resolve) => dead.close(() => resolve())))
    const url = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/robot/sendBySession?session=z`
    t.equal(await postToSessionWebhook(deps, { url, expiresAt: undefined }, message), false)
    t.match(logs.at(-1), { msg: 'could not post the reply to the sessionWebhook' })
    t.notMatch(JSON.stringify(logs), /session=/)
  },
)
