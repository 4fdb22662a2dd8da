/**
 * Mutes shared between replicas through the shared document, on real stores: a mute set on one
 * replica is applied on the other (and matched there), ended ones stay ended, two mutes given
 * the same id at once are told apart, and mutes from before sharing are published.
 */
import t, { type Test } from 'tap'
import { createEmptyDoc } from '../../../src/ha/shared-doc.ts'
import { createSharedMutes } from '../../../src/ha/shared-mutes.ts'
import { createMuteStore } from '../../../src/store/mutes.ts'
import { openStore } from '../../../src/store/open-store.ts'
import { testNow } from '../../helpers/test-clock.ts'

const now = testNow()
const newMute = (namespace: string, by = 'u1') => ({
  selector: { namespace },
  createdBy: by,
  createdByName: by,
  conversationId: 'c1',
  createdAt: now,
  endsAt: now + 3_600_000,
})
const event = (namespace: string) => ({ namespace, kind: 'Pod', name: 'web-1', reason: 'BackOff' })

function replicas(t: Test) {
  const doc = createEmptyDoc()
  const warnings: string[] = []
  const make = () => {
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    return createSharedMutes(store, async (change) => change(doc), {
      warn: (_o, msg) => warnings.push(msg),
    })
  }
  return { doc, warnings, a: make(), b: make() }
}

t.test('a mute set on one replica holds on the other, and its end too', async (t) => {
  const { doc, a, b } = replicas(t)
  const m1 = a.add(newMute('prod'))
  t.equal(m1.id, 'm1')
  t.notOk(b.match(event('prod'), now + 1), 'not before the shared state is applied')
  t.ok(b.apply(doc), 'applied')
  t.equal(b.match(event('prod'), now + 1)?.id, 'm1')
  t.notOk(b.apply(doc), 'nothing new the second time')
  t.equal(b.add(newMute('dev', 'u2')).id, 'm2', 'the next id follows the shared ones')
  t.ok(b.end('m1', 'Bob', now + 10))
  t.ok(a.apply(doc))
  t.notOk(a.match(event('prod'), now + 20), 'ended on the other replica: ended here')
  t.equal(a.get('m1')?.endedBy, 'Bob')
  t.equal(a.endAll('Alice', now + 30).length, 1, 'm2 ended through a')
  t.ok(b.apply(doc))
  t.same(b.active(now + 40), [])
})

t.test('two replicas give out the same id at once: the later one is renamed', async (t) => {
  const { doc, warnings, a, b } = replicas(t)
  const alices = a.add(newMute('prod', 'alice'))
  const bobs = b.add(newMute('dev', 'bob'))
  t.equal(alices.id, 'm1')
  t.equal(bobs.id, 'm1', 'b had not seen a’s mute yet')
  t.equal((await a.shared(alices)).id, 'm1', 'alice is told m1')
  t.same(await b.shared(bobs), { ...bobs, id: 'm2' }, 'bob is told the id the group knows it by')
  t.same(
    doc.mutes.map((m) => [m.id, m.selector.namespace]),
    [
      ['m1', 'prod'],
      ['m2', 'dev'],
    ],
  )
  t.match(warnings.join('\n'), /same id/)
  a.apply(doc)
  b.apply(doc)
  t.equal(b.match(event('dev'), now + 1)?.id, 'm2', 'bob’s mute holds, under its new id')
  t.equal(b.match(event('prod'), now + 1)?.id, 'm1')
})

t.test(
  'a shared state that does not store it in time, or fails: the id given out here',
  async (t) => {
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    const slow = createSharedMutes(store, () => new Promise<void>(() => {}), { warn() {} }, 20)
    const added = slow.add(newMute('prod'))
    t.equal(await slow.shared(added), added, 'after the bounded wait')
    const failing = createSharedMutes(store, () => Promise.reject(new Error('down')), { warn() {} })
    const second = failing.add(newMute('dev'))
    t.equal(await failing.shared(second), second)
    t.same(await slow.shared({ ...added }), added, 'a record add did not give out is as it is')
  },
)

t.test('mutes set before sharing began are published', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  createMuteStore(store).add(newMute('legacy'))
  const doc = createEmptyDoc()
  const shared = createSharedMutes(store, async (change) => change(doc), { warn() {} })
  shared.publishLocal(doc, now + 1)
  t.same(
    doc.mutes.map((m) => m.id),
    ['m1'],
  )
  shared.publishLocal(doc, now + 1)
  t.equal(doc.mutes.length, 1, 'once')
})
