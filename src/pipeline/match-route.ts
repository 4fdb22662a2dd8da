/**
 * Whether an event goes to a route, by the route's filters (kube-eventer's `level`, `kinds`,
 * `namespaces`, plus `reasons` and `excludeReasons`).
 */
import type { RouteConfig } from '../config/schema.ts'
import type { ClusterEvent } from '../kube/cluster-event.ts'
import type { Mentions } from '../notify/outbox-message.ts'

type RouteFilter = Pick<
  RouteConfig,
  'level' | 'kinds' | 'namespaces' | 'reasons' | 'excludeReasons'
>
type Routed = Pick<ClusterEvent, 'type' | 'kind' | 'namespace' | 'reason'>

/**
 * Rules: 1. level `Warning` passes only Warnings, `Normal` passes everything. 2. An empty list
 * passes everything. 3. Kinds compare case-insensitively (`pod` is `Pod`). 4. The namespace
 * filter never drops events about cluster-scoped objects (Node, PersistentVolume, ...), whose
 * namespace is '': kube-eventer's users lost node events that way; filter those by kind.
 */
export function matchesRoute(route: RouteFilter, event: Routed): boolean {
  if (route.level === 'Warning' && event.type !== 'Warning') return false
  if (route.kinds.length > 0) {
    const kind = event.kind.toLowerCase()
    if (!route.kinds.some((k) => k.toLowerCase() === kind)) return false
  }
  if (
    route.namespaces.length > 0 &&
    event.namespace !== '' &&
    !route.namespaces.includes(event.namespace)
  ) {
    return false
  }
  if (route.reasons.length > 0 && !route.reasons.includes(event.reason)) return false
  return !route.excludeReasons.includes(event.reason)
}

/** The robots an event goes to, each with the mentions of every route of it that matches. */
export function routeToRobots(
  routes: readonly (RouteFilter & Pick<RouteConfig, 'robot' | 'at'>)[],
  event: Routed,
): Map<string, Mentions> {
  const byRobot = new Map<string, Mentions>()
  for (const r of routes) {
    if (!matchesRoute(r, event)) continue
    const at = byRobot.get(r.robot)
    byRobot.set(r.robot, at ? mergeMentions(at, r.at) : r.at)
  }
  return byRobot
}

function mergeMentions(a: Mentions, b: Mentions): Mentions {
  return {
    mobiles: [...new Set([...a.mobiles, ...b.mobiles])],
    userIds: [...new Set([...a.userIds, ...b.userIds])],
    all: a.all || b.all,
  }
}
