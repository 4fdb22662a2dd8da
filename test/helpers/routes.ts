/** A route as the config schema produces it, for tests below the config. */
import type { RouteConfig } from '../../src/config/schema.ts'

/** A Warning route to `robot` with no filters; override what the test is about. */
export function aRoute(robot = 'ops', over: Partial<RouteConfig> = {}): RouteConfig {
  return {
    robot,
    level: 'Warning',
    kinds: [],
    namespaces: [],
    reasons: [],
    excludeReasons: [],
    at: { mobiles: [], userIds: [], all: false },
    ...over,
  }
}
