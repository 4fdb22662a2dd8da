/**
 * Each replica's heartbeat in the shared state: its watch state and start time, written when
 * the watch changes state and every 30 s. `status` lists them; a candidate for a released Lease
 * defers to an older live replica (rolling updates: the older followers' outboxes hold what the
 * old leader queued before the new pods existed).
 */
import type { ReplicasStatus } from '../chatops/context.ts'
import type { RecordChange } from './checkpoint-outbox.ts'
import type { SharedDoc } from './shared-doc.ts'

const BEAT_EVERY_MS = 30_000
const BEAT_CHECK_MS = 2_000
/** A replica not heard of for this long is not counted as alive. */
const ALIVE_MS = 2 * BEAT_EVERY_MS

export interface HeartbeatOptions {
  identity: string
  record: RecordChange
  /** This replica's watch state, as `status` names it. */
  watch: () => string
  now: () => number
}

export interface Heartbeats {
  start(): void
  /** Stops beating and removes this replica's entry (a graceful stop). */
  leave(): void
  /** Who leads and each replica as last heard of. */
  toStatus(doc: SharedDoc, leader: string): ReplicasStatus
  /** Whether a live replica other than `except` started before this one. */
  hasOlderPeer(doc: SharedDoc, except: string): boolean
}

/** Creates the heartbeats; nothing is written before `start()`. */
export function createHeartbeats(o: HeartbeatOptions): Heartbeats {
  const startedAt = o.now()
  let timer: NodeJS.Timeout | undefined
  let beatAt = Number.NEGATIVE_INFINITY
  let beatWatch = ''

  const beat = () => {
    const label = o.watch()
    if (label !== beatWatch || o.now() - beatAt >= BEAT_EVERY_MS) {
      beatAt = o.now()
      beatWatch = label
      void o.record((doc) => {
        doc.replicas[o.identity] = { seenAt: beatAt, startedAt, watch: label }
      })
    }
    timer = setTimeout(beat, BEAT_CHECK_MS)
  }

  return {
    start: beat,
    leave() {
      clearTimeout(timer)
      void o.record((doc) => {
        delete doc.replicas[o.identity]
      })
    },
    toStatus: (doc, leader) => ({
      leader,
      self: o.identity,
      members: Object.entries(doc.replicas)
        .map(([name, b]) => ({ name, watch: b.watch, seenAt: b.seenAt }))
        // Pod names are ASCII: code-unit order, without ICU's collator (~2 MiB resident once used).
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    }),
    hasOlderPeer: (doc, except) =>
      Object.entries(doc.replicas).some(
        ([name, b]) =>
          name !== o.identity &&
          name !== except &&
          b.startedAt !== undefined &&
          b.startedAt < startedAt &&
          b.seenAt > o.now() - ALIVE_MS,
      ),
  }
}
