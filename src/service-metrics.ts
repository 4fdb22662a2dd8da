/**
 * Where each Prometheus figure comes from: the owners' own stats, read at scrape time.
 */
import type { SlsArchive } from './archive/create-sls-archive.ts'
import type { MetricsSources, Sample } from './http/metrics.ts'
import type { WatchState } from './kube/watch-events.ts'
import type { Notifier } from './notify/notifier.ts'
import type { InvalidEvents } from './pipeline/invalid-events.ts'
import type { NodeConditions } from './pipeline/node-conditions.ts'
import type { Pipeline } from './pipeline/pipeline.ts'
import type { Store } from './store/open-store.ts'
import type { StoreHealth } from './store/store-health.ts'

export interface MetricsOwners {
  version: string
  pipeline: Pipeline
  nodeConditions: Pick<NodeConditions, 'stats'>
  notifier: Notifier
  sls: SlsArchive | undefined
  watch: () => WatchState | undefined
  chat: { stats(): ReadonlyArray<{ command: string; result: string; count: number }> }
  store: Store
  storeHealth: Pick<StoreHealth, 'problem'>
  invalidEvents: Pick<InvalidEvents, 'counts'>
  now: () => number
}

/** Adapts the owners' stats to the metric families of `/metrics`. */
export function toMetricsSources(o: MetricsOwners): MetricsSources {
  const robots = () => o.notifier.stats().robots
  return {
    version: o.version,
    events: () => {
      const { eventsTaken } = o.pipeline.stats()
      return [
        { labels: { type: 'Normal' }, value: eventsTaken.Normal },
        { labels: { type: 'Warning' }, value: eventsTaken.Warning },
      ]
    },
    occurrences: () => o.pipeline.stats().occurrences,
    alertsSent: () => robots().map((r) => ({ labels: { robot: r.robot }, value: r.sent })),
    alertsRefused: () =>
      robots().flatMap((r) =>
        Object.entries(r.refused).map(([errcode, value]) => ({
          labels: { robot: r.robot, errcode },
          value,
        })),
      ),
    alertsMuted: () => o.pipeline.stats().muted,
    outboxDepth: () => robots().map((r) => ({ labels: { robot: r.robot }, value: r.queued })),
    robotsThrottled: (): Sample[] => {
      const now = o.now()
      return robots().map((r) => ({
        labels: { robot: r.robot },
        value: (r.throttledUntil !== null && r.throttledUntil > now) || r.halted !== null ? 1 : 0,
      }))
    },
    watchRestarts: () => o.watch()?.restarts ?? 0,
    watchUp: () => (o.watch()?.connected ? 1 : 0),
    commands: () =>
      o.chat
        .stats()
        .map((c) => ({ labels: { command: c.command, result: c.result }, value: c.count })),
    slsBatches: () => {
      const s = o.sls?.stats()
      return s
        ? [
            { labels: { result: 'sent' }, value: s.sentBatches },
            { labels: { result: 'failed' }, value: s.failedBatches },
          ]
        : []
    },
    slsQueue: () => o.sls?.stats().queued ?? 0,
    storeBytes: () => o.store.sizeBytes(),
    nodeProblems: () => o.nodeConditions.stats().tracked,
    nodeMessages: () => {
      const s = o.nodeConditions.stats()
      return [
        { labels: { kind: 'node-problem' }, value: s.problemsQueued },
        { labels: { kind: 'node-resolved' }, value: s.resolvedQueued },
      ]
    },
    eventsInvalid: () =>
      [...o.invalidEvents.counts()].map(([reason, value]) => ({ labels: { reason }, value })),
    storeUp: () => (o.storeHealth.problem() === undefined ? 1 : 0),
  }
}
