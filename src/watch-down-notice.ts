/**
 * The group is told when kubeding has lost the API server for `alerting.watchDownAfter`, once,
 * and once more when it is back, with how many events it took in since: /readyz no longer drops
 * the pod from the Service for a lost watch (the chat must keep answering), so this is how
 * people learn that alerts are not flowing. With several replicas only the leader tells.
 */
import type { WatchState } from './kube/watch-state.ts'
import type { NoticeMessage } from './notify/outbox-message.ts'

export interface WatchDownNoticeOptions {
  watch: () => WatchState | undefined
  /** Events taken in so far (every type). */
  eventsTaken: () => number
  /** Whether this replica speaks for the cluster (the leader; always with one replica). */
  isSender: () => boolean
  announce: (notice: NoticeMessage) => void
  downAfterMs: number
  now: () => number
  /** Once the watch is back, the catch-up is counted after this long. */
  settleMs?: number
}

export interface WatchDownNotice {
  /** Looks at the watch; call it on every tick. */
  check(): void
}

/** Creates the checker; it tells nothing until the watch has been down long enough. */
export function createWatchDownNotice(o: WatchDownNoticeOptions): WatchDownNotice {
  const settleMs = o.settleMs ?? 5_000
  let told: { since: number; taken: number } | undefined
  let backAt: number | undefined

  return {
    check() {
      const state = o.watch()
      const t = o.now()
      if (!state) return
      if (state.downSince !== undefined) {
        backAt = undefined
        if (told || t - state.downSince < o.downAfterMs || !o.isSender()) return
        told = { since: state.downSince, taken: o.eventsTaken() }
        o.announce({
          kind: 'notice',
          topic: 'watch-down',
          since: state.downSince,
          error: state.lastError ?? 'reconnecting',
        })
        return
      }
      if (!told) return
      backAt ??= t
      if (t - backAt < settleMs || !state.listed) return
      o.announce({
        kind: 'notice',
        topic: 'watch-back',
        since: told.since,
        backAt,
        caught: o.eventsTaken() - told.taken,
      })
      told = undefined
      backAt = undefined
    },
  }
}
