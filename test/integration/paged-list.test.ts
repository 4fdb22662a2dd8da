/**
 * A list of more Events than one page (500) through the whole service: taken in page by page (at
 * most one page held), what the list lacks marked gone only once its last page is in, and a list
 * that fails midway leaving the archive right and alerting nothing twice.
 */
import t, { type Test } from 'tap'
import type { Service } from '../../src/service.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { createRig, type Rig, untilReady } from '../helpers/service-rig.ts'
import { testNow } from '../helpers/test-clock.ts'

/** With the few named events around them, three pages of 500. */
const FILLERS = 1_100

interface Row {
  seen_at: number
  gone_at: number | null
}

const row = (s: Service, name: string) =>
  s.store.db.prepare('SELECT seen_at, gone_at FROM events WHERE name = ?').get(name) as
    | Row
    | undefined
const archived = (s: Service) =>
  (s.store.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n
/** Alerts the service's pipeline put in the outbox (only the Warnings are routed). */
const queued = (s: Service) => s.pipeline.stats().messagesQueued
/** Messages DingTalk accepted that tell of the object `name`. */
const told = (rig: Rig, name: string) =>
  rig.dingtalk.messages.filter((m) => String(m.body.markdown?.text).includes(name)).length
const ready = async (s: Service) =>
  (await s.app.inject({ method: 'GET', url: '/readyz' })).statusCode === 200
const eventLists = (rig: Rig, continued: boolean) =>
  rig.kube.requests.filter(
    (r) => r.verb === 'list' && r.resource === 'events' && Boolean(r.continue) === continued,
  )

/** Normal events (not routed) named `m-0000`…, between `b-…` and `z-…` in the list's order. */
function addFillers(rig: Rig) {
  for (let i = 0; i < FILLERS; i++)
    rig.kube.addEvent(
      buildEvent({ name: `m-${String(i).padStart(4, '0')}`, type: 'Normal', reason: 'Pulled' }),
    )
}

/**
 * A service that took in a first list holding `a-doomed`, then stopped; while it was down
 * `a-doomed` was deleted and `b-new` (first page), the fillers and `z-new` (last page) appeared.
 */
async function afterDowntime(t: Test) {
  const rig = await createRig(t)
  const clock = { skew: 0 }
  const now = () => testNow() + clock.skew
  const doomed = rig.kube.addEvent(buildEvent({ name: 'a-doomed' }))
  const first = await rig.start({ now })
  await untilReady(first)
  await eventually(() => !first.pipeline.isBootstrapping(), 'bootstrapped')
  await rig.stop()
  rig.kube.deleteEvent(doomed.metadata.namespace ?? '', doomed.metadata.name)
  rig.kube.addEvent(buildEvent({ name: 'b-new' }))
  addFillers(rig)
  rig.kube.addEvent(buildEvent({ name: 'z-new' }))
  return { rig, clock, start: () => rig.start({ now }) }
}

t.test(
  'a list of three pages is taken in page by page, all seen at its first page’s time; what it lacks is gone only after the last',
  async (t) => {
    const { rig, clock, start } = await afterDowntime(t)
    const release = rig.kube.holdNextPage()
    const service = await start()
    await eventually(() => rig.kube.heldPageCount === 1, 'the second page asked for')
    t.equal(archived(service), 1 + 500, 'the first page is in the archive before the second')
    t.equal(queued(service), 1, 'its new Warning (b-new) already alerted')
    t.notOk(row(service, 'z-new'), 'the last page is not in yet')
    t.equal(row(service, 'a-doomed')?.gone_at, null, 'nothing marked gone before the last page')
    t.notOk(await ready(service), 'not listed before the last page')
    const listedAt = row(service, 'b-new')?.seen_at
    t.ok(listedAt, 'the first page’s new event is archived')
    // The clock moves while the rest is served: every page still counts as the same list.
    clock.skew += 60_000
    release()
    await untilReady(service)
    t.equal(archived(service), 1 + FILLERS + 2, 'every page is in')
    t.equal(row(service, 'a-doomed')?.gone_at, listedAt, 'gone once the last page is in')
    for (const name of ['b-new', 'm-0000', 'm-0750', 'z-new'])
      t.same(row(service, name), { seen_at: listedAt, gone_at: null }, `${name}: seen at the list`)
    t.equal(queued(service), 2, 'the last page’s new Warning (z-new) alerted')
    await eventually(() => told(rig, 'z-new') === 1, 'z-new told')
    t.equal(told(rig, 'b-new'), 1, 'b-new told once')
    t.same(
      rig.kube.requests
        .filter((r) => r.verb === 'list' && r.resource === 'events')
        .slice(-3)
        .map((r) => [r.limit, Boolean(r.continue)]),
      [
        [500, false],
        [500, true],
        [500, true],
      ],
      'three pages of 500',
    )
  },
)

for (const status of [410, 500]) {
  t.test(
    `a list whose continue request gets ${status} marks nothing gone and alerts nothing twice; the next complete one puts the archive right`,
    async (t) => {
      const { rig, start } = await afterDowntime(t)
      const failing = rig.kube.holdNextPage()
      const service = await start()
      await eventually(() => rig.kube.heldPageCount === 1, 'the second page asked for')
      rig.kube.failNext(1, status, { message: 'continue token expired' })
      const relisting = rig.kube.holdNextPage()
      failing()
      await eventually(
        () => eventLists(rig, false).length === 3 && rig.kube.heldPageCount === 1,
        'listed again, up to its second page',
      )
      t.same(
        eventLists(rig, true).map((r) => r.status),
        [status, 0],
        'the failed one, then the relist’s, held',
      )
      t.equal(row(service, 'a-doomed')?.gone_at, null, 'the failed list marked nothing gone')
      t.notOk(await ready(service), 'not listed')
      t.equal(queued(service), 1, 'b-new taken in twice, alerted once')
      relisting()
      await untilReady(service)
      t.ok(row(service, 'a-doomed')?.gone_at, 'the complete list marks what it lacks')
      t.equal(archived(service), 1 + FILLERS + 2, 'every event once')
      t.equal(queued(service), 2, 'b-new still once, and the last page’s z-new once')
      await eventually(() => told(rig, 'z-new') === 1, 'z-new told')
      t.equal(told(rig, 'b-new'), 1, 'b-new told once')
    },
  )
}

t.test(
  'the first list ever failing midway does not finish the bootstrap; the complete one does, and alerts nothing it archived',
  async (t) => {
    const rig = await createRig(t)
    rig.kube.addEvent(buildEvent({ name: 'b-old' }))
    addFillers(rig)
    rig.kube.addEvent(buildEvent({ name: 'z-old' }))
    const failing = rig.kube.holdNextPage()
    const service = await rig.start()
    await eventually(() => rig.kube.heldPageCount === 1, 'the second page asked for')
    rig.kube.failNext(1, 410, { message: 'continue token expired' })
    const relisting = rig.kube.holdNextPage()
    failing()
    await eventually(
      () => eventLists(rig, false).length === 2 && rig.kube.heldPageCount === 1,
      'listed again, up to its second page',
    )
    t.ok(service.pipeline.isBootstrapping(), 'a list that failed midway does not finish it')
    t.notOk(await ready(service), 'not listed')
    relisting()
    await untilReady(service)
    await eventually(() => !service.pipeline.isBootstrapping(), 'bootstrapped')
    t.equal(archived(service), FILLERS + 2, 'every event once')
    t.equal(queued(service), 0, 'b-old and z-old archived, not alerted')
    rig.kube.addEvent(buildEvent({ name: 'after' }))
    await eventually(() => rig.dingtalk.messages.length === 1, 'the next new Warning alerts')
    t.match(rig.dingtalk.messages[0]?.body.markdown.text, /after/)
  },
)
