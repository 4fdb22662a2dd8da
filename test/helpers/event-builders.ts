import { isoAgo } from './test-clock.ts'

/**
 * Builders for raw Kubernetes objects as the API server sends them (core/v1 Event, Node), for
 * the fake API server and for tests of the normalisation. Resource versions are left to the
 * server; everything else looks like what a real cluster returns.
 */

/** A raw object in wire shape. */
export type KubeObject = Record<string, unknown> & {
  metadata: Record<string, unknown> & { name: string; namespace?: string; uid?: string }
}

/** What a test cares about in an Event; the rest gets realistic defaults. */
export interface EventSpec {
  /** The involved object. Default Pod `web-<n>`. */
  kind?: string
  name?: string
  /** The involved object's namespace; default `default`, '' for cluster-scoped kinds. */
  namespace?: string
  /** The Event object's own namespace; default the involved object's, or `default`. */
  eventNamespace?: string
  /** The Event object's own name; default `<name>.<hex>` as the kubelet makes them. */
  eventName?: string
  uid?: string
  reason?: string
  message?: string
  type?: 'Normal' | 'Warning'
  count?: number
  /** ISO times. */
  firstTimestamp?: string
  lastTimestamp?: string
  component?: string
  host?: string
  /**
   * `core` (default): what the kubelet writes through core/v1 (count, first/lastTimestamp).
   * `events.k8s.io`: written through events.k8s.io/v1 and read through core/v1: `eventTime`,
   * `series`, `reportingComponent`, null timestamps and no count.
   */
  style?: 'core' | 'events.k8s.io'
  /** events.k8s.io style: the microsecond `eventTime`; default `firstTimestamp` or a fixed time. */
  eventTime?: string
  /** events.k8s.io style: adds `series` with this count (a repeated event). */
  seriesCount?: number
  lastObservedTime?: string
}

let seq = 0
/** Ten minutes before the tests' clock when the file loaded: recent, as a live cluster's events are. */
export const BASE_TIME = isoAgo(10 * 60_000)
/** An hour before that: when the default node conditions last changed. */
export const TRANSITION_TIME = isoAgo(70 * 60_000)
const CLUSTER_SCOPED = new Set(['Node', 'Namespace', 'PersistentVolume'])

const hex = (n: number) => (0x17a8f3c2_0000 + n).toString(16)
const micro = (iso: string) => new Date(iso).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')

/** A core/v1 Event as the API server returns it. */
export function buildEvent(spec: EventSpec = {}): KubeObject {
  seq++
  const kind = spec.kind ?? 'Pod'
  const name = spec.name ?? `web-${seq}`
  const clusterScoped = CLUSTER_SCOPED.has(kind)
  const namespace = spec.namespace ?? (clusterScoped ? '' : 'default')
  const eventNamespace = spec.eventNamespace ?? (namespace || 'default')
  const first = spec.firstTimestamp ?? BASE_TIME
  const last = spec.lastTimestamp ?? first
  const component = spec.component ?? (kind === 'Node' ? 'kernel-monitor' : 'kubelet')
  const host = spec.host ?? 'node-1'
  const common = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: spec.eventName ?? `${name}.${hex(seq)}`,
      namespace: eventNamespace,
      uid: spec.uid ?? `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      creationTimestamp: first,
    },
    involvedObject: {
      kind,
      name,
      ...(namespace ? { namespace } : {}),
      uid: `11111111-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      apiVersion: 'v1',
      ...(kind === 'Pod' ? { fieldPath: 'spec.containers{app}' } : {}),
    },
    reason: spec.reason ?? 'BackOff',
    message: spec.message ?? 'Back-off restarting failed container app in pod',
    type: spec.type ?? 'Warning',
  }
  if (spec.style === 'events.k8s.io') {
    const eventTime = micro(spec.eventTime ?? first)
    return {
      ...common,
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime,
      ...(spec.seriesCount
        ? {
            series: {
              count: spec.seriesCount,
              lastObservedTime: micro(spec.lastObservedTime ?? last),
            },
          }
        : {}),
      action: 'Binding',
      reportingComponent: component,
      reportingInstance: host,
    }
  }
  return {
    ...common,
    source: { component, host },
    firstTimestamp: first,
    lastTimestamp: last,
    count: spec.count ?? 1,
    eventTime: null,
    reportingComponent: '',
    reportingInstance: '',
  }
}

/** One node condition; the times default to moments just before the tests' clock. */
export interface ConditionSpec {
  type: string
  status: 'True' | 'False' | 'Unknown'
  reason?: string
  message?: string
  lastTransitionTime?: string
  lastHeartbeatTime?: string
}

/** Healthy kubelet conditions, to extend or override in tests. */
export const HEALTHY_CONDITIONS: ConditionSpec[] = [
  { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
  { type: 'DiskPressure', status: 'False', reason: 'KubeletHasNoDiskPressure' },
  { type: 'PIDPressure', status: 'False', reason: 'KubeletHasSufficientPID' },
  {
    type: 'Ready',
    status: 'True',
    reason: 'KubeletReady',
    message: 'kubelet is posting ready status',
  },
]

/** A NodeCondition in wire shape. */
export function buildCondition(c: ConditionSpec): Record<string, string> {
  return {
    type: c.type,
    status: c.status,
    reason: c.reason ?? `${c.type}${c.status === 'True' ? '' : 'Not'}Present`,
    message: c.message ?? `${c.type} is ${c.status}`,
    lastHeartbeatTime: c.lastHeartbeatTime ?? BASE_TIME,
    lastTransitionTime: c.lastTransitionTime ?? TRANSITION_TIME,
  }
}

/** A Node with these conditions (default: healthy). A condition of the same type replaces the default. */
export function buildNode(name: string, conditions: ConditionSpec[] = []): KubeObject {
  const types = new Set(conditions.map((c) => c.type))
  const all = [...HEALTHY_CONDITIONS.filter((c) => !types.has(c.type)), ...conditions]
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      uid: `22222222-0000-4000-8000-${String(++seq).padStart(12, '0')}`,
      creationTimestamp: isoAgo(30 * 86_400_000),
      labels: { 'kubernetes.io/hostname': name },
    },
    spec: { podCIDR: '10.0.0.0/24' },
    status: { conditions: all.map(buildCondition) },
  }
}
