/**
 * One Kubernetes Event in the shape the rest of kubeding uses: about the involved object, with
 * last-seen and count resolved the way `shared/reference/kubernetes.md` defines them.
 */

/** An Event's `type`. Anything the API sends that is not `Normal` is treated as a Warning. */
export type EventType = 'Normal' | 'Warning'

/** A normalised core/v1 Event. Times are epoch milliseconds. */
export interface ClusterEvent {
  /** The Event object's own `metadata.uid`: the archive's key. */
  uid: string
  /** The involved object's kind (`Pod`, `Node`, ...). */
  kind: string
  /** The involved object's namespace; '' for cluster-scoped objects. */
  namespace: string
  /** The involved object's name (not the Event's `pod-x.17a8...`). */
  name: string
  reason: string
  message: string
  type: EventType
  /** `series.count ?? count ?? 1`. */
  count: number
  /** `firstTimestamp ?? eventTime ?? creationTimestamp`. */
  firstSeen: number
  /** `series.lastObservedTime ?? lastTimestamp ?? eventTime ?? creationTimestamp`. */
  lastSeen: number
  /** `source.component ?? reportingComponent`, e.g. `kubelet`, `kernel-monitor`. */
  component: string
  /** `source.host ?? reportingInstance`: the node for kubelet and node-problem-detector events. */
  host: string
  /** The Event object's own namespace and name, to find it with kubectl. */
  eventNamespace: string
  eventName: string
  resourceVersion: string
}

/** Kinds whose objects have no namespace: a namespace filter must never drop their events. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Node',
  'Namespace',
  'PersistentVolume',
  'StorageClass',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PriorityClass',
  'CSIDriver',
  'CSINode',
  'VolumeAttachment',
  'IngressClass',
  'RuntimeClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
])

/** Why a raw object could not become a ClusterEvent. */
export interface EventRejection {
  reason: string
}

type Raw = Record<string, unknown>

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)
const positive = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : undefined
const time = (v: unknown): number | undefined => {
  if (typeof v !== 'string' || v === '') return undefined
  const ms = Date.parse(v)
  return Number.isNaN(ms) ? undefined : ms
}

/**
 * Turns a core/v1 Event as the API server sends it into a ClusterEvent.
 * Rules: 1. `metadata.uid` and `involvedObject.kind`/`name` are required; without them the object
 * is rejected with the reason. 2. Missing times fall back along the reference's chain; with no
 * time at all, `now` is used. 3. Everything else has a harmless default.
 */
export function toClusterEvent(raw: unknown, now: number): ClusterEvent | EventRejection {
  if (!isRecord(raw)) return { reason: 'not an object' }
  const meta = isRecord(raw.metadata) ? raw.metadata : {}
  const involved = isRecord(raw.involvedObject) ? raw.involvedObject : {}
  const series = isRecord(raw.series) ? raw.series : {}
  const source = isRecord(raw.source) ? raw.source : {}
  const uid = text(meta.uid)
  const kind = text(involved.kind)
  const name = text(involved.name)
  if (!uid) return { reason: 'metadata.uid is missing' }
  if (!kind) return { reason: 'involvedObject.kind is missing' }
  if (!name) return { reason: 'involvedObject.name is missing' }
  const created = time(meta.creationTimestamp)
  const eventTime = time(raw.eventTime)
  const lastSeen =
    time(series.lastObservedTime) ?? time(raw.lastTimestamp) ?? eventTime ?? created ?? now
  const firstSeen = Math.min(time(raw.firstTimestamp) ?? eventTime ?? created ?? lastSeen, lastSeen)
  return {
    uid,
    kind,
    namespace: CLUSTER_SCOPED_KINDS.has(kind) ? '' : (text(involved.namespace) ?? ''),
    name,
    reason: text(raw.reason) ?? 'Unknown',
    message: typeof raw.message === 'string' ? raw.message.trim() : '',
    type: raw.type === 'Normal' ? 'Normal' : 'Warning',
    count: positive(series.count) ?? positive(raw.count) ?? 1,
    firstSeen,
    lastSeen,
    component: text(source.component) ?? text(raw.reportingComponent) ?? '',
    host: text(source.host) ?? text(raw.reportingInstance) ?? '',
    eventNamespace: text(meta.namespace) ?? '',
    eventName: text(meta.name) ?? '',
    resourceVersion: text(meta.resourceVersion) ?? '',
  }
}

/** True when toClusterEvent rejected the object. */
export const isRejection = (
  v: ClusterEvent | EventRejection,
): v is EventRejection & { uid?: never } => !('uid' in v)
