/**
 * What the pipeline puts in the outbox for a robot, before rendering. Rendering happens when the
 * message is sent, so waiting messages can still be merged into a digest.
 */
import type { Mentions } from '../draft/message-draft.ts'
import type { ClusterEvent } from '../kube/cluster-event.ts'
import type { MuteSelector } from '../store/mutes.ts'

export type { Mentions } from '../draft/message-draft.ts'

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
  /**
   * For an `alert` the pipeline queues: the event's row in the archive. The outbox then stores
   * the row and what identifies the occurrence (uid, count, last seen), not the event: the rest
   * (object, reason, message, ...) is read from the archive when the alert is sent, as it is then.
   */
  row?: number
}

/** What the group is told about a mute that ended. Times are epoch ms. */
export interface EndedMute {
  id: string
  selector: MuteSelector
  createdAt: number
  endsAt: number
  /** `expired`, or the display name of who ended it early. */
  endedBy: string
  heldBack: number
}

/**
 * A notice to the group. `mute-ended` and `test` carry facts, worded in the group's language
 * when sent; a notice with `title` and `lines` is said as written (it may quote chat input).
 */
export type NoticeMessage =
  | { kind: 'notice'; topic: 'mute-ended'; mute: EndedMute }
  | { kind: 'notice'; topic: 'test'; robot: string }
  /** The watch has been lost since `since` (epoch ms); `error` is the last one seen. */
  | { kind: 'notice'; topic: 'watch-down'; since: number; error: string }
  /** The watch lost at `since` was back at `backAt`; `caught` events were taken in since. */
  | { kind: 'notice'; topic: 'watch-back'; since: number; backAt: number; caught: number }
  | { kind: 'notice'; topic?: undefined; title: string; lines: string[] }

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
