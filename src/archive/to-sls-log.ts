/**
 * One ClusterEvent as one Log Service log, with the keys kube-eventer's `sls` sink writes
 * (AliyunContainerService/kube-eventer, sinks/sls/sls.go), so indexes, saved searches and
 * dashboards built on its logstore keep working.
 */
import type { ClusterEvent } from '../kube/cluster-event.ts'
import type { SlsLog } from './log-group.ts'

const MAX_UINT32 = 0xffffffff

/** RFC 3339 to the second, as Kubernetes writes `lastTimestamp`. */
const toK8sTime = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')

/**
 * The event as a core/v1 Event object. kube-eventer stores the API object itself under
 * `eventId`, and the ACK event dashboards query its paths (`eventId.reason`,
 * `eventId.involvedObject.name`, `eventId.metadata.namespace`), so the ClusterEvent goes back
 * into that layout rather than its own. Empty strings are left out, as Go's `omitempty` does.
 */
export function toEventObject(event: ClusterEvent): Record<string, unknown> {
  const some = (fields: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== ''))
  return {
    metadata: some({
      name: event.eventName,
      namespace: event.eventNamespace,
      uid: event.uid,
      resourceVersion: event.resourceVersion,
    }),
    involvedObject: some({ kind: event.kind, namespace: event.namespace, name: event.name }),
    reason: event.reason,
    message: event.message,
    source: some({ component: event.component, host: event.host }),
    firstTimestamp: toK8sTime(event.firstSeen),
    lastTimestamp: toK8sTime(event.lastSeen),
    count: event.count,
    type: event.type,
  }
}

/**
 * The log for one event. Keys, in kube-eventer's order first:
 * - `eventId`: the event as a core/v1 Event JSON (see `toEventObject`);
 * - `hostname`: `source.host`; `level`: the event type (`Normal` / `Warning`);
 * - `pod_name` for events about a Pod (kube-eventer also writes `pod_id`, the Pod's uid, which
 *   a ClusterEvent does not carry);
 * - `cluster`: the cluster label; then each of `archive.sls.labels` as its own key, as
 *   kube-eventer writes its `label=key,value` pairs (they never replace the keys above);
 * - then flat copies for simple queries: `kind`, `namespace`, `name`, `reason`, `message`, `count`.
 * Log time is `lastSeen`, to the second as kube-eventer has it, plus the milliseconds in TimeNs.
 */
export function toSlsLog(
  event: ClusterEvent,
  cluster: string,
  labels: Readonly<Record<string, string>> = {},
): SlsLog {
  const ms = Math.min(Math.max(Math.floor(event.lastSeen), 0), MAX_UINT32 * 1000)
  return {
    time: Math.floor(ms / 1000),
    timeNs: (ms % 1000) * 1_000_000,
    contents: withLabels(
      {
        eventId: JSON.stringify(toEventObject(event)),
        hostname: event.host,
        level: event.type,
        ...(event.kind === 'Pod' ? { pod_name: event.name } : {}),
        cluster,
        kind: event.kind,
        namespace: event.namespace,
        name: event.name,
        reason: event.reason,
        message: event.message,
        count: String(event.count),
      },
      labels,
    ),
  }
}

/** Adds the labels after the event's own keys; a label never replaces one of those. */
function withLabels(
  contents: Record<string, string>,
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  for (const [key, value] of Object.entries(labels)) {
    if (!(key in contents)) contents[key] = value
  }
  return contents
}
