import t from 'tap'
import type { RouteConfig } from '../../../src/config/schema.ts'
import { matchesRoute } from '../../../src/pipeline/match-route.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'

const route = (over: Partial<RouteConfig> = {}): RouteConfig => ({
  robot: 'ops',
  level: 'Warning',
  kinds: [],
  namespaces: [],
  reasons: [],
  excludeReasons: [],
  at: { mobiles: [], userIds: [], all: false },
  ...over,
})

t.test('level Warning passes only Warnings; Normal passes both', async (t) => {
  t.ok(matchesRoute(route(), aClusterEvent({ type: 'Warning' })))
  t.notOk(matchesRoute(route(), aClusterEvent({ type: 'Normal' })))
  t.ok(matchesRoute(route({ level: 'Normal' }), aClusterEvent({ type: 'Normal' })))
  t.ok(matchesRoute(route({ level: 'Normal' }), aClusterEvent({ type: 'Warning' })))
})

t.test('kinds compare case-insensitively', async (t) => {
  t.ok(matchesRoute(route({ kinds: ['pod'] }), aClusterEvent({ kind: 'Pod' })))
  t.notOk(matchesRoute(route({ kinds: ['Node'] }), aClusterEvent({ kind: 'Pod' })))
})

t.test('the namespace filter never drops cluster-scoped objects', async (t) => {
  const r = route({ namespaces: ['payments'] })
  t.ok(matchesRoute(r, aClusterEvent({ namespace: 'payments' })))
  t.notOk(matchesRoute(r, aClusterEvent({ namespace: 'default' })))
  t.ok(matchesRoute(r, aClusterEvent({ kind: 'Node', namespace: '', name: 'node-1' })))
  t.ok(matchesRoute(r, aClusterEvent({ kind: 'PersistentVolume', namespace: '' })))
})

t.test('reasons and excludeReasons', async (t) => {
  t.ok(matchesRoute(route({ reasons: ['BackOff'] }), aClusterEvent({ reason: 'BackOff' })))
  t.notOk(matchesRoute(route({ reasons: ['OOMKilling'] }), aClusterEvent({ reason: 'BackOff' })))
  t.notOk(
    matchesRoute(route({ excludeReasons: ['BackOff'] }), aClusterEvent({ reason: 'BackOff' })),
  )
  t.ok(matchesRoute(route({ excludeReasons: ['Unhealthy'] }), aClusterEvent({ reason: 'BackOff' })))
})
