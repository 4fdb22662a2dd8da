import t from 'tap'
import { matchesRoute } from '../../../src/pipeline/match-route.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'
import { aRoute } from '../../helpers/routes.ts'

t.test('level Warning passes only Warnings; Normal passes both', async (t) => {
  t.ok(matchesRoute(aRoute(), aClusterEvent({ type: 'Warning' })))
  t.notOk(matchesRoute(aRoute(), aClusterEvent({ type: 'Normal' })))
  t.ok(matchesRoute(aRoute('ops', { level: 'Normal' }), aClusterEvent({ type: 'Normal' })))
  t.ok(matchesRoute(aRoute('ops', { level: 'Normal' }), aClusterEvent({ type: 'Warning' })))
})

t.test('kinds compare case-insensitively', async (t) => {
  t.ok(matchesRoute(aRoute('ops', { kinds: ['pod'] }), aClusterEvent({ kind: 'Pod' })))
  t.notOk(matchesRoute(aRoute('ops', { kinds: ['Node'] }), aClusterEvent({ kind: 'Pod' })))
})

t.test('the namespace filter never drops cluster-scoped objects', async (t) => {
  const r = aRoute('ops', { namespaces: ['payments'] })
  t.ok(matchesRoute(r, aClusterEvent({ namespace: 'payments' })))
  t.notOk(matchesRoute(r, aClusterEvent({ namespace: 'default' })))
  t.ok(matchesRoute(r, aClusterEvent({ kind: 'Node', namespace: '', name: 'node-1' })))
  t.ok(matchesRoute(r, aClusterEvent({ kind: 'PersistentVolume', namespace: '' })))
})

t.test('reasons and excludeReasons', async (t) => {
  t.ok(matchesRoute(aRoute('ops', { reasons: ['BackOff'] }), aClusterEvent({ reason: 'BackOff' })))
  t.notOk(
    matchesRoute(aRoute('ops', { reasons: ['OOMKilling'] }), aClusterEvent({ reason: 'BackOff' })),
  )
  t.notOk(
    matchesRoute(
      aRoute('ops', { excludeReasons: ['BackOff'] }),
      aClusterEvent({ reason: 'BackOff' }),
    ),
  )
  t.ok(
    matchesRoute(
      aRoute('ops', { excludeReasons: ['Unhealthy'] }),
      aClusterEvent({ reason: 'BackOff' }),
    ),
  )
})
