/**
 * The figures the `status` command shows, gathered from the modules that own them.
 */
import type {
  WatchState as ChatWatchState,
  ReplicasStatus,
  StatusSnapshot,
} from './chatops/context.ts'
import type { Config } from './config/schema.ts'
import { classifyErrcode, NOT_DINGTALK_ANSWER } from './dingtalk/errcodes.ts'
import type { WatchState } from './kube/watch-events.ts'
import type { Notifier } from './notify/notifier.ts'
import type { Pipeline } from './pipeline/pipeline.ts'
import type { Store } from './store/open-store.ts'

export interface StatusSources {
  config: Config
  version: string
  startedAt: number
  now: number
  /** Undefined until a kubeconfig was loaded. */
  watch: WatchState | undefined
  pipeline: Pipeline
  notifier: Notifier
  store: Store
  /** With leader election. */
  replicas?: ReplicasStatus | undefined
  /** Why the store cannot be trusted now (full disk, file deleted), or undefined. */
  storeProblem: string | undefined
}

/** Builds the snapshot `status` renders. */
export function toStatusSnapshot(s: StatusSources): StatusSnapshot {
  const robots = s.notifier.stats().robots
  const taken = s.pipeline.stats()
  const refused = new Map<string, { errcode: number | null; errmsg: string; count: number }>()
  for (const r of robots) {
    for (const [code, count] of Object.entries(r.refused)) {
      const errcode = Number(code)
      const known = Number.isInteger(errcode)
      // A key that is no errcode is an HTTP status (`HTTP 502`) from something in front of DingTalk.
      const entry = refused.get(code) ?? {
        errcode: known ? errcode : null,
        errmsg: known
          ? classifyErrcode(errcode, '', r.robot).meaning
          : `${code} (${NOT_DINGTALK_ANSWER})`,
        count: 0,
      }
      entry.count += count
      refused.set(code, entry)
    }
  }
  return {
    cluster: s.config.cluster,
    version: s.version,
    startedAt: s.startedAt,
    watch: toChatWatch(s.watch, s.startedAt),
    eventsTakenIn: taken.eventsTaken.Normal + taken.eventsTaken.Warning,
    alerts: {
      sent: robots.reduce((n, r) => n + r.sent, 0),
      queued: robots.reduce((n, r) => n + r.queued, 0),
      muted: taken.muted,
      dropped: robots.reduce((n, r) => n + r.dropped, 0),
      refused: [...refused.values()],
    },
    throttledRobots: robots
      .filter((r) => (r.throttledUntil !== null && r.throttledUntil > s.now) || r.halted !== null)
      .map((r) => ({ robot: r.robot, until: r.throttledUntil ?? undefined })),
    storeBytes: s.store.sizeBytes(),
    ...(s.replicas ? { replicas: s.replicas } : {}),
    ...(s.storeProblem ? { storeProblem: s.storeProblem } : {}),
  }
}

/**
 * The watch as `status` names it: watching while a stream is open (or between a good one and its
 * resume), down while none is and an outage runs. An open stream not yet proved working keeps
 * `downSince` (the notice waits), but it is open: a server that accepts each watch and fails it
 * at once has it open for milliseconds, so `status` (and `kubeding_watch_up`) read down there.
 */
export function toChatWatch(w: WatchState | undefined, startedAt: number): StatusSnapshot['watch'] {
  const state: ChatWatchState = !w
    ? 'down'
    : !w.listed
      ? 'starting'
      : w.downSince !== undefined && !w.connected
        ? 'down'
        : 'watching'
  return {
    state,
    since: (state === 'watching' ? undefined : w?.downSince) ?? w?.lastListAt ?? startedAt,
    lastResync: w?.lastListAt,
  }
}
