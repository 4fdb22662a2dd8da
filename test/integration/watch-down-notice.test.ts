/**
 * A lost API server is told to the group once after `alerting.watchDownAfter`, and once more when
 * it is back with how many events were caught up on; meanwhile /readyz stays 200. With leader
 * election, only the leader tells.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import t from 'tap'
import type { Service } from '../../src/service.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { createRig, untilReady } from '../helpers/service-rig.ts'
import { testNow } from '../helpers/test-clock.ts'

const titles = (rig: Awaited<ReturnType<typeof createRig>>) =>
  rig.dingtalk.messages.map((m) => String(m.body.markdown?.title))

/**
 * Waits until /metrics says the watch is up (1) or down (0): the sample's own line, as the HELP
 * line reads "kubeding_watch_up 1 while the event watch is connected".
 */
async function untilWatchUp(service: Service, up: 0 | 1): Promise<void> {
  const sample = new RegExp(`^kubeding_watch_up ${up}$`, 'm')
  for (let i = 0; i <= 300; i++) {
    const metrics = await service.app.inject({ url: '/metrics' })
    if (sample.test(metrics.body)) return
    await sleep(20)
  }
  throw new Error(`the watch never became ${up ? 'up' : 'down'}`)
}

t.test('the watch down for watchDownAfter: told once, and again when back', async (t) => {
  const rig = await createRig(t, { config: { language: 'en', alerting: { watchDownAfter: '5m' } } })
  let skew = 0
  const service = await rig.start({ now: () => testNow() + skew })
  await untilReady(service)
  // Cut a watch that is up: cut before its request is answered, it is down already, can still
  // connect once the clock below has moved, and is then down for too short to be told.
  await untilWatchUp(service, 1)
  await rig.kube.stop()
  await untilWatchUp(service, 0)
  skew += 4 * 60_000
  await sleep(300)
  t.same(titles(rig), [], 'not before watchDownAfter')
  skew += 61_000
  await eventually(
    () => titles(rig).includes('Lost contact with the Kubernetes API server'),
    'told',
  )
  await sleep(300)
  t.equal(titles(rig).length, 1, 'once')
  t.match(rig.dingtalk.messages[0]?.body.markdown.text, /No events since/)
  t.equal(
    (await service.app.inject({ url: '/readyz' })).statusCode,
    200,
    'the chat stays in the Service',
  )

  // Events happened meanwhile; the API server comes back and kubeding catches up.
  for (let i = 0; i < 3; i++)
    rig.kube.addEvent(buildEvent({ name: `missed-${i}`, reason: 'BackOff' }))
  await rig.kube.restart()
  await untilWatchUp(service, 1)
  await sleep(300)
  skew += 6_000
  await eventually(
    () => titles(rig).includes('Back in contact with the Kubernetes API server'),
    'back',
  )
  const back = rig.dingtalk.messages.find((m) => /Back in contact/.test(m.body.markdown.title))
  t.match(back?.body.markdown.text, /caught up on 3 events/)
  await sleep(300)
  t.equal(titles(rig).filter((x) => /contact/.test(x)).length, 2, 'told twice in all')
})
