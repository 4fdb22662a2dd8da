/**
 * Chat commands acting on the push path, through the whole service: a mute stops matching alerts
 * at once and survives a restart; when it runs out the group is told what it held back.
 */
import t from 'tap'
import type { Service } from '../../src/service.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { askChat, createRig, untilReady } from '../helpers/service-rig.ts'
import { testNow } from '../helpers/test-clock.ts'

const OUTGOING_TOKEN = 'outgoing-token-for-tests'

const say = (service: Service, text: string): Promise<string> =>
  askChat(service, OUTGOING_TOKEN, text)

const titles = (rig: { dingtalk: { messages: { body: { markdown: { title: string } } }[] } }) =>
  rig.dingtalk.messages.map((m) => m.body.markdown.title)

t.test(
  'a mute stops Pod alerts while Node alerts still go out; unmute restores them',
  async (t) => {
    const rig = await createRig(t, {
      outgoing: { token: OUTGOING_TOKEN },
      config: { language: 'en' },
    })
    const service = await rig.start()
    await untilReady(service)
    t.match(await say(service, 'mute kind=Pod for=2h'), /m1/)
    rig.kube.addEvent(buildEvent({ kind: 'Pod', name: 'api-1', reason: 'BackOff' }))
    rig.kube.addEvent(buildEvent({ kind: 'Node', name: 'node-1', reason: 'KernelOops' }))
    await eventually(() => rig.dingtalk.messages.length === 1, 'the Node alert')
    await new Promise((r) => setTimeout(r, 300))
    t.equal(rig.dingtalk.messages.length, 1)
    t.match(titles(rig)[0], /Node node-1/)
    t.match(await say(service, 'mutes'), /kind=Pod/)
    t.match(await say(service, 'unmute m1'), /held back 1 alert/)
    rig.kube.addEvent(buildEvent({ kind: 'Pod', name: 'api-2', reason: 'BackOff' }))
    await eventually(() => rig.dingtalk.messages.length === 2, 'Pod alerts again')
    t.match(titles(rig)[1], /Pod default\/api-2/)
    t.match(await say(service, 'status'), /rig/)
    t.match(await say(service, 'events kind=Pod since=7d'), /api-2/)
  },
)

t.test(
  'mutes survive a restart; one that runs out is announced with what it held back',
  async (t) => {
    const rig = await createRig(t, {
      outgoing: { token: OUTGOING_TOKEN },
      config: { language: 'en' },
    })
    let skew = 0
    const now = () => testNow() + skew
    const first = await rig.start({ now })
    await untilReady(first)
    await say(first, 'mute ns=default reason=BackOff for=1h')
    await rig.stop()

    const second = await rig.start({ now })
    await untilReady(second)
    rig.kube.addEvent(buildEvent({ name: 'web-1', reason: 'BackOff' }))
    rig.kube.addEvent(buildEvent({ name: 'web-2', reason: 'BackOff' }))
    await eventually(() => second.pipeline.stats().muted === 2, 'both held back')
    t.equal(rig.dingtalk.messages.length, 0, 'the mute from before the restart held')
    skew += 3_600_000 + 1_000
    await eventually(() => rig.dingtalk.messages.length === 1, 'the mute-ended notice')
    t.match(rig.dingtalk.messages[0]?.body.markdown.text, /m1/)
    t.match(rig.dingtalk.messages[0]?.body.markdown.text, /held back 2 alerts/)
  },
)
