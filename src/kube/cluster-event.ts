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
  /**
   * The Event object's `metadata.creationTimestamp` as sent (see `createdOf`): set by the API
   * server and never changed, so with the uid it finds the event's archived row.
   */
  created: number
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

/** Why an Event was rejected or clamped, as the `kubeding_events_invalid_total` label. */
export type InvalidReason =
  | 'missing-field'
  | 'count'
  | 'time'
  | 'future-time'
  | 'too-long'
  | 'store'

/** Why a raw object could not become a ClusterEvent. */
export interface EventRejection {
  reason: string
  label: InvalidReason
}

/**
 * Told of each field that had to be clamped or defaulted; `raw` is the object as received (for
 * its namespace/name). One function for every event, so the hot path makes no closure.
 */
export type ReportInvalid = (label: InvalidReason, detail: string, raw: unknown) => void

/** Longest message kept: DingTalk shows far less, and the archive must stay small. */
export const MAX_MESSAGE_CHARS = 4096
/** Longest name-like field kept (a DNS subdomain is at most 253). */
export const MAX_FIELD_CHARS = 256
/** A count above this is not a count (an emitter bug or a hostile object): clamped to it. */
export const MAX_COUNT = 1_000_000_000
/** A time this far past `now` is a broken clock or a hostile object: clamped to `now`. */
export const FUTURE_SLACK_MS = 10 * 60_000
/** Longer than any RFC 3339 time: not parsed at all. */
const MAX_TIME_CHARS = 64

type Raw = Record<string, unknown>

const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined)

// Module-level rather than closures inside toClusterEvent: it runs for every event of a storm.

/** A time field in ms; undefined when missing or unparsable, `now` when far in the future. */
function timeOf(
  v: unknown,
  field: string,
  now: number,
  raw: unknown,
  report: ReportInvalid | undefined,
): number | undefined {
  if (typeof v !== 'string' || v === '') return undefined
  const ms = v.length > MAX_TIME_CHARS ? Number.NaN : Date.parse(v)
  if (Number.isNaN(ms)) {
    report?.('time', `${field} is not a time`, raw)
    return undefined
  }
  if (ms > now + FUTURE_SLACK_MS) {
    report?.('future-time', `${field} is in the future: ${new Date(ms).toISOString()}`, raw)
    return now
  }
  return ms
}

/**
 * `metadata.creationTimestamp` in ms exactly as sent: neither clamped nor defaulted to `now`,
 * which would give one Event object a different value each time it arrives. 0 when missing,
 * unparsable or too long (those objects all share 0 and are still told apart by their uid).
 */
export function createdOf(meta: unknown): number {
  const v = isRecord(meta) ? meta.creationTimestamp : undefined
  if (typeof v !== 'string' || v.length > MAX_TIME_CHARS) return 0
  const ms = Date.parse(v)
  return Number.isNaN(ms) ? 0 : ms
}

/**
 * A string cut to at most `max` UTF-16 units, never between the halves of a surrogate pair: a
 * lone half would reach DingTalk as `\ud83d` and the archive as U+FFFD.
 */
function bounded(
  v: string | undefined,
  field: string,
  raw: unknown,
  report: ReportInvalid | undefined,
  max = MAX_FIELD_CHARS,
): string | undefined {
  if (v === undefined || v.length <= max) return v
  report?.('too-long', `${field} is ${v.length} characters: cut to ${max}`, raw)
  const last = v.charCodeAt(max - 1)
  return v.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max)
}

/** A count of at least 1, clamped to MAX_COUNT; undefined when missing or not a count. */
function countOf(
  v: unknown,
  field: string,
  raw: unknown,
  report: ReportInvalid | undefined,
): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 1) return undefined
  if (v > MAX_COUNT) {
    report?.('count', `${field} is ${v}: clamped to ${MAX_COUNT}`, raw)
    return MAX_COUNT
  }
  return Math.floor(v)
}

/**
 * Turns a core/v1 Event as the API server sends it into a ClusterEvent.
 * Rules: 1. `metadata.uid` and `involvedObject.kind`/`name` are required; without them (or with
 * a uid longer than any real one) the object is rejected with the reason. 2. Missing times fall
 * back along the reference's chain; with no time at all, `now` is used; an unparsable time counts
 * as missing, a time more than FUTURE_SLACK_MS ahead of `now` becomes `now` (else it would sit
 * first in every `events` answer). 3. A count above MAX_COUNT is clamped; strings are cut to
 * MAX_FIELD_CHARS (MAX_MESSAGE_CHARS for the message). 4. Everything else has a harmless default.
 * Each clamp or fallback of a value that was present is told to `report`.
 */
export function toClusterEvent(
  raw: unknown,
  now: number,
  report?: ReportInvalid,
): ClusterEvent | EventRejection {
  if (!isRecord(raw)) return { reason: 'not an object', label: 'missing-field' }
  const meta = isRecord(raw.metadata) ? raw.metadata : {}
  const involved = isRecord(raw.involvedObject) ? raw.involvedObject : {}
  const series = isRecord(raw.series) ? raw.series : {}
  const source = isRecord(raw.source) ? raw.source : {}
  const uid = text(meta.uid)
  const kind = text(involved.kind)
  const name = text(involved.name)
  if (!uid) return { reason: 'metadata.uid is missing', label: 'missing-field' }
  if (!kind) return { reason: 'involvedObject.kind is missing', label: 'missing-field' }
  if (!name) return { reason: 'involvedObject.name is missing', label: 'missing-field' }
  if (uid.length > MAX_FIELD_CHARS)
    return { reason: `metadata.uid is longer than ${MAX_FIELD_CHARS}`, label: 'too-long' }

  const r = report
  const created = timeOf(meta.creationTimestamp, 'metadata.creationTimestamp', now, raw, r)
  const eventTime = timeOf(raw.eventTime, 'eventTime', now, raw, r)
  const lastSeen =
    timeOf(series.lastObservedTime, 'series.lastObservedTime', now, raw, r) ??
    timeOf(raw.lastTimestamp, 'lastTimestamp', now, raw, r) ??
    eventTime ??
    created ??
    now
  const firstSeen = Math.min(
    timeOf(raw.firstTimestamp, 'firstTimestamp', now, raw, r) ?? eventTime ?? created ?? lastSeen,
    lastSeen,
  )
  const message = typeof raw.message === 'string' ? raw.message.trim() : ''
  return {
    uid,
    created: createdOf(meta),
    kind: bounded(kind, 'involvedObject.kind', raw, r) as string,
    namespace: CLUSTER_SCOPED_KINDS.has(kind)
      ? ''
      : (bounded(text(involved.namespace), 'involvedObject.namespace', raw, r) ?? ''),
    name: bounded(name, 'involvedObject.name', raw, r) as string,
    reason: bounded(text(raw.reason), 'reason', raw, r) ?? 'Unknown',
    message: bounded(message, 'message', raw, r, MAX_MESSAGE_CHARS) as string,
    type: raw.type === 'Normal' ? 'Normal' : 'Warning',
    count:
      countOf(series.count, 'series.count', raw, r) ?? countOf(raw.count, 'count', raw, r) ?? 1,
    firstSeen,
    lastSeen,
    component:
      bounded(text(source.component) ?? text(raw.reportingComponent), 'source.component', raw, r) ??
      '',
    host: bounded(text(source.host) ?? text(raw.reportingInstance), 'source.host', raw, r) ?? '',
    eventNamespace: bounded(text(meta.namespace), 'metadata.namespace', raw, r) ?? '',
    eventName: bounded(text(meta.name), 'metadata.name', raw, r) ?? '',
    resourceVersion: bounded(text(meta.resourceVersion), 'metadata.resourceVersion', raw, r) ?? '',
  }
}

/** True when toClusterEvent rejected the object. */
export const isRejection = (
  v: ClusterEvent | EventRejection,
): v is EventRejection & { uid?: never } => !('uid' in v)
