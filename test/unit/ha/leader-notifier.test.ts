/**
 * The notifier of a replica that may lead: nothing is sent before it leads, each term gets its
 * own notifier, and the gate on the robot client refuses a send the moment leadership is gone
 * (the message stays queued for the next leader).
 */
import t from 'tap'
import type { DingTalkMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import type { RobotClient } from '../../../src/dingtalk/robot-client.ts'
import { createLeaderNotifier, gateClient } from '../../../src/ha/leader-notifier.ts'
import type { Notifier } from '../../../src/notify/notifier.ts'

const message: DingTalkMessage = { msgtype: 'text', text: { content: 'k8s hello' } }

function recordingClient(): RobotClient & { sent: number } {
  const c = {
    name: 'ops',
    sent: 0,
    send() {
      c.sent++
      return Promise.resolve({ kind: 'ok' as const, errcode: 0, errmsg: 'ok', explanation: 'ok' })
    },
  }
  return c
}

t.test('the gate sends only while this replica leads', async (t) => {
  let leading = true
  const inner = recordingClient()
  const gated = gateClient(inner, () => leading)
  t.match(await gated.send(message), { kind: 'ok' })
  leading = false
  const refused = await gated.send(message)
  t.match(refused, { kind: 'retry', errcode: null, errmsg: 'not the leader' })
  t.equal(inner.sent, 1, 'not attempted once leadership was gone')
  t.equal(gated.name, 'ops')
})

t.test('the gate waits for the previous answer to be in the checkpoint', async (t) => {
  const inner = recordingClient()
  let stored = false
  const gated = gateClient(
    inner,
    () => true,
    async () => stored,
  )
  t.match(await gated.send(message), { kind: 'retry', errmsg: 'checkpoint not written' })
  t.equal(inner.sent, 0, 'nothing sent while the last answer is not recorded')
  stored = true
  t.match(await gated.send(message), { kind: 'ok' })
  let leading = true
  const lost = gateClient(
    inner,
    () => leading,
    async () => {
      leading = false
      return true
    },
  )
  t.match(await lost.send(message), { kind: 'retry' }, 'leadership lost while waiting: not sent')
  t.equal(inner.sent, 1)
})

t.test('one notifier per term; none before the first', async (t) => {
  const events: string[] = []
  let made = 0
  let leading = false
  const fake = (): Notifier => {
    const n = ++made
    return {
      start: () => events.push(`start ${n}`),
      kick: () => events.push(`kick ${n}`),
      stop: (ms) => {
        events.push(`stop ${n} ${ms}`)
        return Promise.resolve()
      },
      stats: () => ({ robots: [] }),
      settled: () => Promise.resolve(),
    }
  }
  const notifier = createLeaderNotifier(fake, () => leading)
  notifier.start()
  notifier.kick()
  t.same(events, [], 'a follower sends nothing')
  leading = true
  await notifier.lead(async () => {
    events.push('prepare')
  })
  notifier.kick()
  leading = false
  await notifier.follow()
  leading = true
  await notifier.lead(() => Promise.resolve())
  await notifier.stop(500)
  t.same(events, ['prepare', 'start 2', 'kick 2', 'stop 2 0', 'start 3', 'stop 3 500'])
  t.same(notifier.stats(), { robots: [] }, 'stats come from a notifier even between terms')
})

t.test('leadership lost while preparing: the term does not start', async (t) => {
  let leading = true
  let started = 0
  const fake = (): Notifier => ({
    start: () => {
      started++
    },
    kick: () => {},
    stop: () => Promise.resolve(),
    stats: () => ({ robots: [] }),
    settled: () => Promise.resolve(),
  })
  const notifier = createLeaderNotifier(fake, () => leading)
  notifier.start()
  await notifier.lead(async () => {
    leading = false
  })
  t.equal(started, 0)
})
