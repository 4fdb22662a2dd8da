/** Builders for normalised events (`ClusterEvent`), for tests below the watch. */
import type { ClusterEvent } from '../../src/kube/cluster-event.ts'

let seq = 0

/** When every built event was created (`ClusterEvent.created`), unless a test says otherwise. */
export const CREATED = Date.UTC(2026, 10, 24, 2, 0, 0)

/** A Warning BackOff on a Pod, with every field filled; override what the test is about. */
export function aClusterEvent(overrides: Partial<ClusterEvent> = {}): ClusterEvent {
  seq++
  const lastSeen = overrides.lastSeen ?? Date.UTC(2026, 10, 24, 3, 0, 0)
  return {
    uid: `uid-${seq}`,
    created: CREATED,
    kind: 'Pod',
    namespace: 'default',
    name: `web-${seq}`,
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    type: 'Warning',
    count: 1,
    firstSeen: lastSeen,
    lastSeen,
    component: 'kubelet',
    host: 'node-1',
    eventNamespace: overrides.namespace ?? 'default',
    eventName: `web-${seq}.17a8f3c2`,
    resourceVersion: String(1000 + seq),
    ...overrides,
  }
}
