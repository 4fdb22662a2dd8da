import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import type { RobotConfig } from '../../../src/config/schema.ts'
import type { DingTalkMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { createRobotClient } from '../../../src/dingtalk/robot-client.ts'
import { createFakeDingTalk, type FakeRobot } from '../../helpers/fake-dingtalk.ts'

const TOKEN = 'tok-5f2a/+9'
const SECRET = 'SEC0123456789abcdef+/='
const hello: DingTalkMessage = {
  msgtype: 'markdown',
  markdown: { title: 'hello', text: 'hello k8s' },
}

async function setup(
  t: Test,
  robot: FakeRobot = { token: TOKEN, secret: SECRET },
  fakeNow?: () => number,
) {
  const fake = await createFakeDingTalk({ robots: [robot], ...(fakeNow ? { now: fakeNow } : {}) })
  t.teardown(() => fake.close())
  const config: RobotConfig = {
    name: 'ops',
    webhook: fake.webhook(robot.token),
    secret: robot.secret,
    keywords: robot.keywords ?? [],
    ratePerMinute: 20,
    msgType: 'markdown',
  }
  return { fake, config }
}

/** Nothing the client says may hold the token or the secret. */
function assertClean(t: Test, outcome: unknown) {
  const text = JSON.stringify(outcome)
  t.notOk(
    text.includes(TOKEN) || text.includes(encodeURIComponent(TOKEN)),
    'no token in the outcome',
  )
  t.notOk(text.includes(SECRET), 'no secret in the outcome')
}

t.test('a signed message is accepted: the signature is encoded exactly once', async (t) => {
  const { fake, config } = await setup(t)
  const calls: string[] = []
  const fetch: typeof globalThis.fetch = (input, init) => {
    calls.push(String(input))
    return globalThis.fetch(input, init)
  }
  const client = createRobotClient({ robot: config, fetch })
  // Several sends: their signatures carry `+` and `/`, which double encoding would break.
  for (let i = 0; i < 8; i++) {
    const outcome = await client.send(hello)
    t.equal(outcome.kind, 'ok')
    t.equal(outcome.errcode, 0)
  }
  t.equal(fake.messages.length, 8)
  t.same(fake.messages[0]?.body, hello)
  t.equal(calls.length, 8, 'every request went through the injected fetch, not axios')
  t.match(calls[0], /&timestamp=\d+&sign=/)
})

t.test('a wrong secret is a config error naming robots[ops].secret, not retried', async (t) => {
  const { fake, config } = await setup(t)
  const client = createRobotClient({ robot: { ...config, secret: 'SECwrong' } })
  const outcome = await client.send(hello)
  t.equal(outcome.kind, 'config')
  t.equal(outcome.errcode, 310000)
  t.match(outcome.kind === 'config' ? outcome.fix : '', /dingtalk\.robots\[ops\]\.secret/)
  t.equal(fake.requests.length, 1)
  t.equal(fake.messages.length, 0)
  assertClean(t, outcome)
})

t.test('a missing secret on a signing robot is refused the same way', async (t) => {
  const { config } = await setup(t)
  const { secret: _unused, ...unsigned } = config
  const outcome = await createRobotClient({ robot: unsigned }).send(hello)
  t.equal(outcome.kind, 'config')
  t.match(outcome.explanation, /secret/)
})

t.test('invalid timestamp: signed afresh once, then a config error', async (t) => {
  const skewed = () => Date.now() + 2 * 60 * 60 * 1000
  const { fake, config } = await setup(t, undefined, skewed)
  const outcome = await createRobotClient({ robot: config }).send(hello)
  t.equal(outcome.kind, 'config')
  t.match(outcome.explanation, /clock/)
  t.equal(fake.requests.length, 2, 'one fresh signature, no more')
})

t.test('invalid timestamp once: the fresh signature gets through', async (t) => {
  const { fake, config } = await setup(t)
  fake.failNext(TOKEN, 1, { errcode: 310000, errmsg: 'invalid timestamp' })
  const outcome = await createRobotClient({ robot: config }).send(hello)
  t.equal(outcome.kind, 'ok')
  t.equal(fake.requests.length, 2)
  t.equal(fake.messages.length, 1)
})

t.test('an unknown token is a config error naming the webhook', async (t) => {
  const { fake, config } = await setup(t)
  const robot = { ...config, webhook: fake.webhook('nope') }
  const outcome = await createRobotClient({ robot }).send(hello)
  t.equal(outcome.kind, 'config')
  t.equal(outcome.errcode, 300001)
  t.match(outcome.explanation, /dingtalk\.robots\[ops\]\.webhook/)
})

t.test('a message without the robot keyword is refused as config', async (t) => {
  const { config } = await setup(t, { token: TOKEN, keywords: ['告警'] })
  const outcome = await createRobotClient({ robot: config }).send(hello)
  t.equal(outcome.kind, 'config')
  t.match(outcome.explanation, /keywords/)
  const ok = await createRobotClient({ robot: config }).send({
    msgtype: 'text',
    text: { content: '告警 test' },
  })
  t.equal(ok.kind, 'ok')
})

t.test('the 21st message in a minute is throttled, and stays throttled', async (t) => {
  let clock = Date.now()
  const { fake, config } = await setup(t, { token: TOKEN, secret: SECRET }, () => clock)
  const client = createRobotClient({ robot: config })
  for (let i = 0; i < 20; i++) t.equal((await client.send(hello)).kind, 'ok')
  const refused = await client.send(hello)
  t.equal(refused.kind, 'throttled')
  t.equal(refused.errcode, 130101)
  clock += 61_000
  t.equal((await client.send(hello)).kind, 'throttled', 'still throttled after the minute')
  clock += 10 * 60_000
  t.equal((await client.send(hello)).kind, 'ok', 'free again after the throttle')
  t.equal(fake.messages.length, 21)
})

t.test('each scripted answer maps to its outcome', async (t) => {
  const { fake, config } = await setup(t)
  const client = createRobotClient({ robot: config })
  const cases: Array<[Parameters<typeof fake.failNext>[2], string]> = [
    [{ errcode: 410100, errmsg: 'throttled' }, 'throttled'],
    [{ errcode: -1, errmsg: 'system busy' }, 'retry'],
    [{ httpStatus: 502 }, 'retry'],
    [{ httpStatus: 429 }, 'throttled'],
    [{ httpStatus: 404 }, 'config'],
    ['reset', 'retry'],
    [{ errcode: 400102, errmsg: 'robot disabled' }, 'config'],
    [{ errcode: 400013, errmsg: 'group disbanded' }, 'config'],
    [{ errcode: 430102, errmsg: 'content unsafe' }, 'content-rejected'],
    [{ errcode: 101002, errmsg: 'too long' }, 'too-long'],
    [{ errcode: 424242, errmsg: 'new' }, 'bug'],
  ]
  for (const [failure, kind] of cases) {
    fake.failNext(TOKEN, 1, failure)
    const outcome = await client.send(hello)
    t.equal(outcome.kind, kind, JSON.stringify(failure))
    assertClean(t, outcome)
  }
  t.equal(fake.messages.length, 0)
})

t.test('the real checks: too long and unsupported type', async (t) => {
  const { config } = await setup(t)
  const client = createRobotClient({ robot: config })
  const long = await client.send({ msgtype: 'text', text: { content: 'x'.repeat(100_000) } })
  t.equal(long.kind, 'too-long')
  t.equal(long.errcode, 460101)
  const bogus = { msgtype: 'bogus' } as unknown as DingTalkMessage
  const bad = await client.send(bogus)
  t.equal(bad.kind, 'bug')
  t.equal(bad.errcode, 400105)
})

t.test('a body that is not DingTalk JSON is retried, not trusted', async (t) => {
  const server = createServer((_req, res) => res.end('<html>portal</html>'))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise((r) => server.close(r)))
  const { port } = server.address() as AddressInfo
  const robot: RobotConfig = {
    name: 'ops',
    webhook: `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`,
    keywords: [],
    ratePerMinute: 20,
    msgType: 'markdown',
  }
  const outcome = await createRobotClient({ robot }).send(hello)
  t.equal(outcome.kind, 'retry')
  t.equal(outcome.errcode, null)
  t.equal(outcome.errmsg, 'HTTP 200', 'counted under its HTTP status')
  t.equal(outcome.explanation, 'HTTP 200 (not a DingTalk answer: the body is not DingTalk JSON)')
})

t.test('a hanging DingTalk times out as retry; an abort ends the request too', async (t) => {
  const server = createServer(() => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => {
    server.closeAllConnections()
    return new Promise((r) => server.close(r))
  })
  const { port } = server.address() as AddressInfo
  const robot: RobotConfig = {
    name: 'ops',
    webhook: `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`,
    secret: SECRET,
    keywords: [],
    ratePerMinute: 20,
    msgType: 'markdown',
  }
  const timedOut = await createRobotClient({ robot, timeoutMs: 50 }).send(hello)
  t.equal(timedOut.kind, 'retry')
  t.match(timedOut.errmsg, /50 ms/)
  assertClean(t, timedOut)
  const controller = new AbortController()
  const pending = createRobotClient({ robot }).send(hello, { signal: controller.signal })
  setTimeout(() => controller.abort(), 20)
  const aborted = await pending
  t.equal(aborted.kind, 'retry')
  t.match(aborted.errmsg, /aborted/)
})

t.test('an unreachable host is retry, and the error holds no token', async (t) => {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  await new Promise((r) => server.close(r))
  const robot: RobotConfig = {
    name: 'ops',
    webhook: `http://127.0.0.1:${port}/robot/send?access_token=${TOKEN}`,
    keywords: [],
    ratePerMinute: 20,
    msgType: 'markdown',
  }
  const outcome = await createRobotClient({ robot }).send(hello)
  t.equal(outcome.kind, 'retry')
  t.match(outcome.errmsg, /ECONNREFUSED/)
  assertClean(t, outcome)
})

t.test('a fetch failure without a socket code is still a clean retry', async (t) => {
  const { config } = await setup(t)
  const fetch: typeof globalThis.fetch = async () => {
    throw new Error(`boom at ${config.webhook}`)
  }
  const outcome = await createRobotClient({ robot: config, fetch }).send(hello)
  t.equal(outcome.kind, 'retry')
  t.equal(outcome.errmsg, 'network error (unknown)')
  assertClean(t, outcome)
})
