/**
 * Retention is about when kubeding last saw an event, not what the event says about itself:
 * through the whole service, with the clock moved past `state.retention` between restarts.
 */
import t, { type Test } from 'tap'
import type { Service } from '../../src/service.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { askChat, createRig, untilReady } from '../helpers/service-rig.ts'
import { isoAgo, testNow } from '../helpers/test-clock.ts'

const DAY = 86_400_000
const OUTGOING_TOKEN = 'outgoing-token-for-retention'

const say = (service: Service, text: string) => askChat(service, OUTGOING_TOKEN, text)

const archived = (s: Service) =>
  (s.store.db.prepare('SELECT uid FROM events ORDER BY uid').all() as { uid: string }[]).map(
    (r) => r.uid,
  )
const goneAt = (s: Service, uid: string | undefined) =>
  (
    s.store.db.prepare('SELECT gone_at FROM events WHERE uid = ?').get(uid ?? '') as
      | { gone_at: number | null }
      | undefined
  )?.gone_at

/** A rig (state.retention 7 days, the default) whose service runs `clock.skew` ahead of the tests' clock. */
async function skewedRig(t: Test) {
  const rig = await createRig(t, { outgoing: { token: OUTGOING_TOKEN } })
  const clock = { skew: 0 }
  const start = async () => {
    const service = await rig.start({ now: () => testNow() + clock.skew })
    await untilReady(service)
    return service
  }
  return { rig, clock, start }
}

t.test(
  'an event 30 days old that the API server still lists is alerted exactly once over three restarts past the retention',
  async (t) => {
    const { rig, clock, start } = await skewedRig(t)
    await start()
    const old = rig.kube.addEvent(
      buildEvent({
        name: 'clock-behind',
        reason: 'FailedMount',
        firstTimestamp: isoAgo(30 * DAY),
      }),
    )
    await eventually(() => rig.dingtalk.messages.length === 1, 'the alert')
    for (let restart = 1; restart <= 3; restart++) {
      await rig.stop()
      clock.skew += 8 * DAY
      const again = await start()
      // Housekeeping purges at start; the list then diffs against what the purge left.
      await eventually(() => {
        const { unchanged, eventsTaken } = again.pipeline.stats()
        return unchanged + eventsTaken.Warning >= 1
      }, 'the event listed again')
      await new Promise((r) => setTimeout(r, 300))
      t.same(archived(again), [old.metadata.uid], `restart ${restart}: still archived`)
    }
    t.equal(rig.dingtalk.messages.length, 1, 'alerted once, never again')
    t.match(
      await say(rig.service(), 'events name=clock-behind since=120d'),
      /clock-behind/,
      'the events query still answers',
    )
  },
)

t.test(
  'events the API server deleted (watched, or missing from a list) are purged once unseen for the retention',
  async (t) => {
    const { rig, clock, start } = await skewedRig(t)
    const first = await start()
    const stays = rig.kube.addEvent(buildEvent({ name: 'stays' }))
    const watched = rig.kube.addEvent(buildEvent({ name: 'deleted-while-watched' }))
    const listed = rig.kube.addEvent(buildEvent({ name: 'deleted-while-down' }))
    await eventually(() => archived(first).length === 3, 'three archived')
    rig.kube.deleteEvent('default', watched.metadata.name)
    await eventually(() => goneAt(first, watched.metadata.uid) != null, 'DELETED recorded')
    t.equal(goneAt(first, stays.metadata.uid), null, 'the others are present')
    await rig.stop()

    rig.kube.deleteEvent('default', listed.metadata.name)
    clock.skew += DAY
    const second = await start()
    await eventually(
      () => goneAt(second, listed.metadata.uid) != null,
      'the list marks the absent event gone',
    )
    t.equal(goneAt(second, stays.metadata.uid), null)
    t.equal(archived(second).length, 3, 'a day later, all are kept')
    t.match(await say(second, 'events since=2d'), /deleted-while-down/, 'and still answered')
    await rig.stop()

    clock.skew += 7 * DAY
    const third = await start()
    t.same(archived(third), [stays.metadata.uid], 'the deleted ones are purged after 7 days')
    await new Promise((r) => setTimeout(r, 300))
    t.equal(rig.dingtalk.messages.length, 3, 'nothing alerted twice')
  },
)
