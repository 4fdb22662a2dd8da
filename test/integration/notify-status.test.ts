/**
 * What `status` and the log say when the robot's webhook answers something that is not
 * DingTalk's JSON (a proxy's 502 page, a portal's HTML under 200): the HTTP status and that it
 * was not DingTalk, never "errcode 0". Through the whole service, the fake DingTalk and a chat
 * command.
 */
import t from 'tap'
import type { Service } from '../../src/service.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { askChat, createRig, TOKEN, untilReady } from '../helpers/service-rig.ts'

const OUTGOING_TOKEN = 'outgoing-token-for-status'

const say = (service: Service, text: string): Promise<string> =>
  askChat(service, OUTGOING_TOKEN, text)

t.test('HTML under 502 and under 200 read as HTTP answers, not as errcode 0', async (t) => {
  const rig = await createRig(t, { outgoing: { token: OUTGOING_TOKEN } })
  const service = await rig.start({ notifierTuning: { retryDelayMs: 50, maxRetryDelayMs: 200 } })
  await untilReady(service)
  rig.dingtalk.failNext(TOKEN, 2, { httpStatus: 502 })
  rig.dingtalk.failNext(TOKEN, 1, { httpStatus: 200 })
  rig.kube.addEvent(buildEvent({ reason: 'BackOff' }))
  await eventually(() => rig.dingtalk.messages.length === 1, 'delivered after the retries')
  t.same(service.notifier.stats().robots[0]?.refused, { 'HTTP 502': 2, 'HTTP 200': 1 })

  const status = await say(service, 'status')
  // The rig's group speaks Chinese (the default).
  t.match(status, '2× HTTP 502（不是钉钉的应答）')
  t.match(status, '1× HTTP 200（不是钉钉的应答）')
  t.notMatch(status, /errcode 0/)

  const log = rig.logText()
  t.match(log, 'will retry: HTTP 502 (not a DingTalk answer)')
  t.match(log, 'will retry: HTTP 200 (not a DingTalk answer: the body is not DingTalk JSON)')
  t.notMatch(log, /errcode 0|not DingTalk JSON"/)
})

t.test('a DingTalk errcode still reads as one, with its meaning', async (t) => {
  const rig = await createRig(t, { outgoing: { token: OUTGOING_TOKEN } })
  const service = await rig.start({ notifierTuning: { throttlePauseMs: 50 } })
  await untilReady(service)
  rig.dingtalk.failNext(TOKEN, 1, { errcode: 130101, errmsg: 'send too fast' })
  rig.kube.addEvent(buildEvent({ reason: 'BackOff' }))
  await eventually(() => rig.dingtalk.messages.length === 1, 'delivered after the pause')
  t.match(await say(service, 'status'), /1× errcode 130101 \(机器人一分钟内发送超过 20 条/)
})

t.test('a message given up is counted as dropped in status', async (t) => {
  const rig = await createRig(t, { outgoing: { token: OUTGOING_TOKEN } })
  const service = await rig.start()
  await untilReady(service)
  // Not in DingTalk's errcode table: a bug on either side, so the message is given up (logged).
  rig.dingtalk.failNext(TOKEN, 1, { errcode: 999_999, errmsg: 'something new' })
  rig.kube.addEvent(buildEvent({ reason: 'BackOff' }))
  await eventually(() => service.notifier.stats().robots[0]?.dropped === 1, 'given up')
  t.match(await say(service, 'status'), /被静默 0 · 已丢弃 1 · 被钉钉拒绝/)
})
