/**
 * What replicas with leader election share, in one process against the fakes: a mute set on one
 * pod holds on the other and is announced once, `status` lists the replicas, and a chat message
 * re-delivered to the other pod (HTTP body or sessionWebhook reply) runs and answers once.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import { createMuteStore } from '../../src/store/mutes.ts'
import {
  appRobotHeaders,
  aTextMessage,
  createFakeSessionWebhook,
} from '../helpers/dingtalk-callback.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { createHaRig } from '../helpers/ha-rig.ts'

// Several services start in each test: more than tap's 30 s per file on a busy machine.
t.setTimeout(120_000)

t.test('a mute set on one pod holds on the other; its end is announced once', async (t) => {
  const rig = await createHaRig(t)
  const [a, b] = await rig.startPair()

  // `status` on the follower names the leader and both replicas, with their watch.
  await eventually(() => a.service.pipeline.isBootstrapping() === false, 'listed')
  let status = ''
  for (let i = 0; i < 5 && !/pod-a: watching.*pod-b \(this one\): watching/.test(status); i++) {
    status = (await b.ask('status')).text
    await sleep(500)
  }
  t.match(
    status,
    /\*\*Replicas\*\* leader pod-a · pod-a: watching, seen .* · pod-b \(this one\): watching/,
  )

  const setAt = performance.now()
  t.equal((await b.ask('mute ns=quiet for=1m')).title, 'Muted m1', 'the follower accepts a mute')
  // Asked every 400 ms: chat allows a sender 10 commands a minute.
  while (!/m1/.test((await a.ask('mutes')).text) && performance.now() - setAt < 3_000)
    await sleep(400)
  const applied = performance.now() - setAt
  t.ok(applied <= 2_000, `on the leader ${Math.round(applied)} ms later (at most 2 s)`)

  rig.kube.addEvent(buildEvent({ namespace: 'quiet', name: 'hushed', reason: 'BackOff' }))
  rig.kube.addEvent(buildEvent({ namespace: 'loud', name: 'heard', reason: 'BackOff' }))
  await eventually(() => rig.dingtalk.messages.length >= 1, 'the unmuted alert')
  await sleep(500)
  const titles = () => rig.dingtalk.messages.map((m) => String(m.body.markdown?.title))
  t.same(
    titles().filter((x) => /hushed/.test(x)),
    [],
    'the muted event was held back',
  )
  t.equal(titles().filter((x) => /heard/.test(x)).length, 1)

  // A second mute on the other pod gets the next id: ids come from the shared state.
  t.equal((await a.ask('mute ns=other for=1m')).title, 'Muted m2')

  rig.advance(61_000)
  await eventually(() => titles().some((x) => /Mute m1 ended/.test(x)), 'm1 ran out')
  await sleep(1_500)
  t.equal(titles().filter((x) => /Mute m1 ended/.test(x)).length, 1, 'announced once')
  // Even after the follower takes over, its own copy of the notice is not sent.
  await rig.stop(a)
  await eventually(() => rig.holder() === 'pod-b', 'pod-b takes over')
  await sleep(1_000)
  t.equal(titles().filter((x) => /Mute m1 ended/.test(x)).length, 1, 'still once')
  t.equal(titles().filter((x) => /Mute m2 ended/.test(x)).length, 1, 'm2 once too')
})

t.test(
  'two pods asked to mute at the same moment answer with the ids the group knows',
  async (t) => {
    const rig = await createHaRig(t)
    const [a, b] = await rig.startPair()
    const [onA, onB] = await Promise.all([
      a.ask('mute ns=left for=1h'),
      b.ask('mute ns=right for=1h'),
    ])
    t.same(
      [onA.title, onB.title].sort(),
      ['Muted m1', 'Muted m2'],
      'one id each, as the group knows it',
    )
    const idOf = (title: string) => title.replace('Muted ', '')
    // Each reply's id is the mute it set, on both pods, once each has read the shared state.
    for (const [reply, ns] of [
      [onA, 'left'],
      [onB, 'right'],
    ] as const) {
      for (const pod of [a, b])
        await eventually(
          () =>
            createMuteStore(pod.service.store).get(idOf(reply.title))?.selector.namespace === ns,
          `${idOf(reply.title)} is ns=${ns} on ${pod.name}`,
        )
    }
  },
)

t.test('a chat message re-delivered to the other pod is not run twice', async (t) => {
  const rig = await createHaRig(t)
  const [a, b] = await rig.startPair()
  t.equal((await b.ask('mute ns=quiet for=1h', 'msg-twice')).title, 'Muted m1')
  // DingTalk did not get the answer in time and delivers the same message again, to pod-a.
  const again = await a.ask('mute ns=quiet for=1h', 'msg-twice')
  t.equal(again.title, 'Already answered')
  t.equal(
    (await b.ask('mute ns=quiet for=1h', 'msg-twice')).title,
    'Muted m1',
    'pod-b replays its reply',
  )
  await sleep(1_500)
  const listed = (await a.ask('mutes')).text
  t.match(listed, /m1/)
  t.notMatch(listed, /m2/, 'one mute, not two')
})

t.test(
  'app robot mode: a message re-delivered to the other pod is not run nor posted twice',
  async (t) => {
    const appSecret = 'app-secret-ha'
    const webhook = await createFakeSessionWebhook()
    t.teardown(() => webhook.close())
    const rig = await createHaRig(t, {
      outgoing: { appSecret },
      // Replies go only to sessionWebhooks on a configured robot's host.
      robots: [{ name: 'chat', webhook: `${webhook.origin}/robot/send?access_token=chat` }],
    })
    const [a, b] = await rig.startPair()
    const message = aTextMessage('mute ns=quiet for=1h', {
      msgId: 'msg-app-twice',
      sessionWebhook: webhook.newSession(),
      sessionWebhookExpiredTime: rig.now() + 90 * 60_000,
    })
    const deliver = (replica: typeof a) =>
      replica.service.app.inject({
        method: 'POST',
        url: '/dingtalk/outgoing',
        headers: appRobotHeaders(appSecret, rig.now()),
        payload: message,
      })
    t.equal((await deliver(a)).statusCode, 200)
    await webhook.waitForPosts(1)
    t.equal((await deliver(b)).statusCode, 200, 'DingTalk delivers it again, to the other pod')
    await sleep(1_500)
    t.equal(webhook.posts.length, 1, 'one reply in the group')
    t.match(webhook.posts[0]?.body.markdown.title, /Muted m1/)
    t.notMatch((await b.ask('mutes')).text, /m2/, 'and one mute')
  },
)
