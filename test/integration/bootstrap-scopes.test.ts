/**
 * The first-start rule per watched namespace, through the whole service: `kubernetes.namespaces`
 * [a, b] with RBAC granted only in `a` (every request for `b` answered 403). `a`'s first list is
 * its own bootstrap, so `b` never listing must not keep `a` archive-only: what `a` relists after
 * an API server restart (410), or after kubeding's own restart, is alerted; `a`'s history is not.
 * `b` stays a visible problem (the watch is down, the log names the RBAC error).
 */
import t, { type Test } from 'tap'
import type { Service } from '../../src/service.ts'
import { buildEvent, type KubeObject } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { askChat, createRig, type Rig, untilReady } from '../helpers/service-rig.ts'

const OUTGOING_TOKEN = 'outgoing-token-for-bootstrap-scopes'

/** Alerts the service's pipeline put in the outbox. */
const queued = (s: Service) => s.pipeline.stats().messagesQueued
/** Messages DingTalk accepted that tell of the object `name`. */
const told = (rig: Rig, name: string) =>
  rig.dingtalk.messages.filter((m) => String(m.body.markdown?.text).includes(name)).length
const archived = (s: Service, e: KubeObject) =>
  s.store.db.prepare('SELECT 1 FROM events WHERE uid = ?').get(e.metadata.uid ?? '') !== undefined

async function forbiddenB(t: Test, status = 403) {
  const rig = await createRig(t, {
    config: { kubernetes: { namespaces: ['a', 'b'] } },
    outgoing: { token: OUTGOING_TOKEN },
  })
  rig.kube.failNext(1_000_000, status, {
    namespace: 'b',
    message:
      'events is forbidden: User "system:serviceaccount:kubeding:kubeding" cannot list resource "events" in the namespace "b"',
  })
  const history = rig.kube.addEvent(buildEvent({ namespace: 'a', name: 'history' }))
  const service = await rig.start()
  await eventually(
    () =>
      rig.kube.requests.some(
        (r) => r.verb === 'watch' && r.resource === 'events' && r.namespace === 'a',
      ),
    'a listed and watching',
  )
  return { rig, service, history }
}

t.test(
  'a forbidden namespace does not keep the others bootstrapping: a relist after 410 alerts the gap',
  async (t) => {
    const { rig, service, history } = await forbiddenB(t)
    t.notOk(service.pipeline.isBootstrapping('a'), "a's first list bootstrapped a")
    t.ok(service.pipeline.isBootstrapping('b'), 'b never listed')
    t.ok(archived(service, history), "a's history is archived")
    t.equal(queued(service), 0, '... and not alerted')

    // The API server restarts with its watch cache compacted; an event happens while it is away.
    await rig.kube.stop()
    rig.kube.addEvent(buildEvent({ namespace: 'a', name: 'during-gap' }))
    rig.kube.compact({ expireOpenWatches: false })
    await rig.kube.restart()
    await eventually(() => told(rig, 'during-gap') === 1, 'the event from the gap told', 5_000)
    t.equal(queued(service), 1, 'history still not alerted')
    t.equal(told(rig, 'history'), 0)

    // b stays visible as a problem: down, and the log says what RBAC refused.
    t.ok(service.pipeline.isBootstrapping(), 'not every watched namespace is in')
    const metrics = await service.app.inject({ url: '/metrics' })
    t.match(metrics.body, /^kubeding_watch_up 0$/m, 'the watch counts as down while b is')
    t.match(rig.logText(), /cannot list resource \\"events\\" in the namespace \\"b\\"/)
  },
)

t.test(
  'a forbidden namespace does not keep the pod from being ready: the chat reaches only ready pods',
  async (t) => {
    const { service } = await forbiddenB(t)
    await untilReady(service)
    t.match(
      await askChat(service, OUTGOING_TOKEN, 'status'),
      /监听中断/,
      'status tells the watch is down while b is',
    )
  },
)

t.test('a namespace whose list fails in a way that may pass keeps the pod not ready', async (t) => {
  const { rig, service } = await forbiddenB(t, 500)
  await eventually(
    () => rig.kube.requests.filter((r) => r.namespace === 'b').length >= 2,
    'b tried again',
  )
  const res = await service.app.inject({ url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.match(res.body, /first list of events is not in yet/)
})

t.test(
  "kubeding's own restart after a's first list is not a first start: what happened meanwhile alerts once",
  async (t) => {
    const { rig, service } = await forbiddenB(t)
    t.notOk(service.pipeline.isBootstrapping('a'))
    await rig.stop()
    rig.kube.addEvent(buildEvent({ namespace: 'a', name: 'while-down' }))
    const again = await rig.start()
    t.notOk(again.pipeline.isBootstrapping('a'), 'a is bootstrapped from the store')
    await eventually(() => told(rig, 'while-down') === 1, 'the event from the downtime told')
    t.equal(queued(again), 1, 'history is not alerted on the restart either')
    t.equal(told(rig, 'history'), 0)
  },
)
