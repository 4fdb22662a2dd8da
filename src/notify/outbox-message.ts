/**
 * What the pipeline puts in the outbox for a robot, before rendering. Rendering happens when the
 * message is sent, so waiting messages can still be merged into a digest.
 */
import type { ClusterEvent } from '../kube/cluster-event.ts'

/** Who a route mentions (`routes[].at`). */
export interface Mentions {
  mobiles: string[]
  userIds: string[]
  all: boolean
}

/** The part of an event a message shows. */
export type AlertEvent = Pick<
  ClusterEvent,
  | 'uid'
  | 'kind'
  | 'namespace'
  | 'name'
  | 'reason'
  | 'message'
  | 'type'
  | 'count'
  | 'firstSeen'
  | 'lastSeen'
  | 'component'
  | 'host'
>

/**
 * An alert about one object+reason. `alert` opens a grouping window; `repeat` is the one
 * "still happening, ×N" follow-up a window may add. `occurrences` is how many event occurrences
 * (new events plus count increases) the message accounts for.
 */
export interface AlertMessage {
  kind: 'alert' | 'repeat'
  event: AlertEvent
  occurrences: number
  /** For `repeat`: when the window whose repeats it reports began. */
  since?: number
  at: Mentions
}

/** A plain notice to the group, e.g. "mute m3 ended: 12 alerts were held back". */
export interface NoticeMessage {
  kind: 'notice'
  title: string
  lines: string[]
}

/**
 * A node condition from the node watch itself (not from an Event): `node-problem` when it turns
 * into a problem, `node-resolved` when it returns to normal.
 */
export interface NodeConditionMessage {
  kind: 'node-problem' | 'node-resolved'
  node: string
  /** The condition's type: KernelDeadlock, ReadonlyFilesystem, MemoryPressure, Ready, ... */
  condition: string
  /** The condition's status when the message was made: 'True' | 'False' | 'Unknown'. */
  status: string
  reason: string
  message: string
  /** The condition's lastTransitionTime (ms): since when the problem has lasted. */
  since: number
  /** For `node-resolved`: when the problem ended (ms). */
  endedAt?: number
  /** The node's Ready status and whether it is schedulable, when the message was made. */
  ready: string
  schedulable: boolean
  /** How many times the condition turned into a problem while this message waited (flapping). */
  flips: number
  at: Mentions
}

export type OutboxMessage = AlertMessage | NoticeMessage | NodeConditionMessage
