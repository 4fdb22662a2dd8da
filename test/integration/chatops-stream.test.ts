/**
 * Stream mode end to end: our Stream client (pointed at a fake gateway that speaks DingTalk's
 * Stream protocol over HTTP and WebSocket on 127.0.0.1), the Stream receiver, ChatOps, and
 * replies on a fake sessionWebhook.
 */
import t from 'tap'
import { createStreamClient } from '../../src/dingtalk/stream-client.ts'
import { createStreamReceiver, ROBOT_TOPIC } from '../../src/dingtalk/stream-receiver.ts'
import { aTextMessage, createFakeSessionWebhook } from '../helpers/dingtalk-callback.ts'
import { createFakeStreamGateway } from '../helpers/fake-stream-gateway.ts'
import { createChatHarness, START } from '../unit/chatops/chat-harness.ts'

const credentials = { clientId: 'ding-client-id', clientSecret: 'stream-secret-never-logged' }

async function setup(
  t: { teardown(fn: () => unknown): void },
  clientSecret = credentials.clientSecret,
) {
  const webhook = await createFakeSessionWebhook()
  t.teardown(() => webhook.close())
  const h = createChatHarness(t, { robotWebhooks: [`${webhook.origin}/robot/send`] })
  const gateway = await createFakeStreamGateway(credentials)
  t.teardown(() => gateway.close())
  const client = createStreamClient({
    clientId: credentials.clientId,
    clientSecret,
    gatewayUrl: gateway.gatewayUrl,
    fetch,
    logger: h.logger,
  })
  const receiver = createStreamReceiver({
    client,
    chat: h.chat,
    logger: h.logger,
    backoff: { initialMs: 40, maxMs: 160 },
    checkEveryMs: 5,
  })
  t.teardown(() => receiver.stop())
  // Everything the Stream client says goes through our logger: nothing on the console.
  const printed: unknown[][] = []
  for (const level of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const original = console[level]
    console[level] = (...args: unknown[]) => printed.push(args)
    t.teardown(() => {
      console[level] = original
    })
  }
  const message = (content: string, overrides: Record<string, unknown> = {}) =>
    aTextMessage(content, {
      sessionWebhook: webhook.newSession(),
      sessionWebhookExpiredTime: h.clock.now + 90 * 60_000,
      ...overrides,
    })
  return { h, webhook, gateway, client, receiver, message, printed }
}

t.test(
  'connects outbound, acknowledges every push, replies through the sessionWebhook',
  async (t) => {
    const { h, webhook, gateway, receiver, message, printed } = await setup(t)
    receiver.start()
    await gateway.waitFor(() => gateway.connections() === 1)
    t.match(gateway.opens[0]?.body, {
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
    })
    t.same(
      gateway.opens[0]?.body.subscriptions,
      [{ type: 'CALLBACK', topic: ROBOT_TOPIC }],
      'robot messages only',
    )

    const pushId = gateway.push(message('mute ns=prod'))
    await gateway.waitFor(() => gateway.acks.length === 1)
    t.match(gateway.acks[0], { code: 200, headers: { messageId: pushId }, message: 'OK' })
    const [post] = await webhook.waitForPosts(1)
    t.match(post?.body, { msgtype: 'markdown', markdown: { title: 'Muted m1' } })
    t.equal(h.mutes.active(START).length, 1)
    t.ok(h.logs.some((l) => l.msg === 'connected to DingTalk Stream'))
    t.same(printed, [], 'nothing printed to the console')
  },
)

t.test('a re-delivered msgId is acknowledged again but never run or answered twice', async (t) => {
  const { h, webhook, gateway, receiver, message } = await setup(t)
  receiver.start()
  await gateway.waitFor(() => gateway.connections() === 1)
  const body = message('mute ns=prod')
  gateway.push(body)
  gateway.push(body)
  await gateway.waitFor(() => gateway.acks.length === 2)
  await webhook.waitForPosts(1)
  await h.chat.idle()
  t.equal(webhook.posts.length, 1)
  t.equal(h.mutes.active(START).length, 1)
})

t.test('pushes that are not robot messages are acknowledged and ignored', async (t) => {
  const { h, webhook, gateway, receiver, message } = await setup(t)
  receiver.start()
  await gateway.waitFor(() => gateway.connections() === 1)
  gateway.push(undefined, 'not json')
  gateway.push({ hello: 'world' })
  gateway.push(undefined, JSON.stringify(message(`help ${'x'.repeat(70 * 1024)}`)))
  await gateway.waitFor(() => gateway.acks.length === 3)
  await h.chat.idle()
  t.same(webhook.posts, [])
  const ignored = h.logs.filter((l) => l.msg === 'Stream push is not a robot message: ignored')
  t.same(
    ignored.map((l) => l.reason),
    [
      'data is not JSON',
      'msgtype: Invalid input: expected string, received undefined',
      'over 64 KiB',
    ],
  )
})

t.test('a dropped connection is re-opened, and pushes flow again', async (t) => {
  const { webhook, gateway, receiver, message, h, printed } = await setup(t)
  receiver.start()
  await gateway.waitFor(() => gateway.connections() === 1)
  gateway.drop()
  await gateway.waitFor(() => gateway.connections() === 2)
  t.ok(h.logs.some((l) => l.msg === 'the DingTalk Stream connection dropped: reconnecting'))
  gateway.push(message('help'))
  await webhook.waitForPosts(1)
  t.equal(gateway.opens.length, 2, 'a new ticket for the new connection')
  t.same(printed, [], 'nothing printed to the console')
})

t.test('reconnects back off: each wait at least doubles up to the cap', async (t) => {
  const { gateway, receiver, h } = await setup(t)
  gateway.failOpens(4, 503)
  receiver.start()
  await gateway.waitFor(() => gateway.connections() === 1)
  const gaps = gateway.opens.slice(1).map((o, i) => o.at - (gateway.opens[i]?.at ?? 0))
  t.equal(gateway.opens.length, 5)
  // 40, 80, 160, 160 ms: timers never fire early (a few ms of rounding allowed).
  for (const [i, min] of [40, 80, 160, 160].entries())
    t.ok((gaps[i] ?? 0) >= min - 3, `gap ${i}: ${gaps[i]} >= ${min}`)
  t.match(
    h.logs
      .filter((l) => l.msg === 'could not connect to DingTalk Stream: retrying')
      .map((l) => l.retryInMs),
    [40, 80, 160, 160],
  )
})

t.test(
  'wrong credentials: logged with what to check, retried, the secret never logged',
  async (t) => {
    const { gateway, receiver, h } = await setup(t, 'wrong-secret-value')
    receiver.start()
    await gateway.waitFor(() => gateway.opens.length >= 2)
    const failure = h.logs.find((l) => l.msg === 'could not connect to DingTalk Stream: retrying')
    t.match(failure?.err, /HTTP 401: check dingtalk\.outgoing\.stream\.clientId and clientSecret/)
    t.notMatch(JSON.stringify(h.logs), /wrong-secret-value|stream-secret-never-logged/)
    t.equal(gateway.connections(), 0)
  },
)

t.test('stop disconnects and does not reconnect', async (t) => {
  const { gateway, receiver } = await setup(t)
  receiver.start()
  await gateway.waitFor(() => gateway.connections() === 1)
  receiver.stop()
  await new Promise((resolve) => setTimeout(resolve, 150))
  t.equal(gateway.opens.length, 1)
  t.equal(gateway.connections(), 1)
})

t.test(
  'the gateway’s pings are answered; a disconnect notice reconnects; junk is dropped',
  async (t) => {
    const { gateway, receiver, h, printed, message, webhook } = await setup(t)
    receiver.start()
    await gateway.waitFor(() => gateway.connections() === 1)
    gateway.sendRaw(
      JSON.stringify({
        specVersion: '1.0',
        type: 'SYSTEM',
        headers: { topic: 'ping', messageId: 'ping-1', contentType: 'application/json' },
        data: '{"opaque":"abc"}',
      }),
    )
    await gateway.waitFor(() => gateway.acks.length === 1)
    t.match(gateway.acks[0], {
      code: 200,
      headers: { messageId: 'ping-1' },
      message: 'OK',
      data: '{"opaque":"abc"}',
    })
    gateway.sendRaw('not json')
    gateway.sendRaw(JSON.stringify({ type: 'EVENT', headers: { topic: '*', messageId: 'e1' } }))
    gateway.sendRaw(`{"type":"CALLBACK","data":"${'x'.repeat(300 * 1024)}"}`)
    gateway.sendRaw(JSON.stringify({ type: 'SYSTEM', headers: { topic: 'disconnect' } }))
    await gateway.waitFor(() => gateway.connections() === 2)
    t.ok(h.logs.some((l) => l.msg === 'Stream frame is not JSON: dropped'))
    t.ok(h.logs.some((l) => l.msg === 'Stream frame too large: dropped'))
    t.ok(h.logs.some((l) => l.msg === 'the DingTalk Stream connection dropped: reconnecting'))
    gateway.push(message('help'))
    await webhook.waitForPosts(1)
    t.equal(gateway.acks.length, 2, 'the ping and the push: nothing else was acknowledged')
    t.same(printed, [], 'nothing printed to the console')
  },
)
