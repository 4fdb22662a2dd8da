/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go's leaderelection does it:
 * every candidate reads the Lease each retry period; the holder renews it, the others take it
 * over once it has not changed for a whole lease duration (timed on their own monotonic clock,
 * never on the holder's timestamps, so clock skew between nodes does not matter); every write is
 * a replace conditioned on the resourceVersion read, so two candidates never both win.
 *
 * Rules:
 * 1. A leader that has not renewed within `renewDeadline` (counted from the START of its last
 *    successful renew, on the monotonic clock) stops leading at once, before any other
 *    candidate can see the Lease expire: they wait a full `leaseDuration` > `renewDeadline`.
 * 2. A candidate dates a change of the Lease no earlier than one retry period before the read
 *    that saw it, and no earlier than the previous read that did not see it: the change happened
 *    between the two. Each request is abandoned after a retry period, so the holder's renewal
 *    can be at most two retry periods older than that date, which the margin
 *    `leaseDuration - renewDeadline` (5 s of 15 s) covers. Dating by the previous read (client-go
 *    dates by the read that saw it) is what brings a takeover after a crash within one lease
 *    duration of the crash.
 * 3. A candidate looks again exactly when the Lease it watches would expire, so a takeover does
 *    not wait for the next retry period.
 * 4. Release on a graceful stop writes an empty holder with a one-second duration: the next
 *    candidate takes over on its next read instead of waiting for the lease to run out.
 * 5. A candidate may hold back from a released Lease for `acquireDelay()` after it first saw
 *    it so: in a rolling update the new pods defer to the older ones, whose outboxes hold what
 *    the old leader queued before the new pods existed. An expired Lease (a crash) is taken at
 *    once, so a takeover still comes within one lease duration.
 */
import type { V1Lease } from '@kubernetes/client-node'
import { ConflictError, type ObjectClient } from './kube-objects.ts'
import { type LeaseRecord, toLease, toLeaseRecord } from './lease-record.ts'

/** client-go's defaults are 15 s, 10 s and 2 s: the same ratios for any lease duration. */
export function toElectionTiming(leaseDurationMs: number): ElectionTiming {
  return {
    leaseDurationMs,
    renewDeadlineMs: Math.round((leaseDurationMs * 2) / 3),
    retryPeriodMs: Math.round((leaseDurationMs * 2) / 15),
  }
}

export interface ElectionTiming {
  leaseDurationMs: number
  renewDeadlineMs: number
  retryPeriodMs: number
}

export interface ElectorLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface LeaderElectorOptions {
  client: ObjectClient<V1Lease>
  name: string
  namespace: string
  /** Who this replica is: the pod's name. */
  identity: string
  timing: ElectionTiming
  /** Wall clock, for the times written in the Lease (informational for other candidates). */
  now: () => number
  /** For every deadline; default `performance.now`. */
  monotonic?: () => number
  /** How long to wait, once the Lease is seen released, before taking it (rule 5); default 0. */
  acquireDelay?: () => Promise<number>
  onStartedLeading(): void
  /** Called at once when leadership is lost or given up: stop sending before returning. */
  onStoppedLeading(reason: string): void
  logger: ElectorLogger
}

export interface LeaderElector {
  start(): void
  isLeader(): boolean
  /** The holder last seen in the Lease ('' when none). */
  leader(): string
  /** The last holder seen that was not '' (who released it, after a release). */
  lastHolder(): string
  /** Stops leading (if it was) and gives the Lease up for the next candidate; stops trying. */
  release(): Promise<void>
  /** Stops trying without writing anything (what a crash does). */
  stop(): void
}

/** Creates the elector; nothing is read before `start()`. */
export function createLeaderElector(o: LeaderElectorOptions): LeaderElector {
  const mono = o.monotonic ?? (() => performance.now())
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = o.timing
  const durationSeconds = Math.max(1, Math.ceil(leaseDurationMs / 1_000))
  let observed: LeaseRecord | undefined
  let observedAt = 0
  let previousReadAt: number | undefined
  let freeSince: number | undefined
  let lastHolder = ''
  let leading = false
  let renewedAt = 0
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let guard: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const stopLeading = (reason: string) => {
    if (!leading) return
    leading = false
    clearTimeout(guard)
    o.logger.warn({ identity: o.identity, reason }, 'no longer the leader: stopped sending')
    o.onStoppedLeading(reason)
  }

  // Rule 1.
  const armGuard = () => {
    clearTimeout(guard)
    const left = renewedAt + renewDeadlineMs - mono()
    guard = setTimeout(
      () => stopLeading(`the Lease was not renewed within ${renewDeadlineMs} ms`),
      Math.max(0, left),
    )
  }

  const observe = (record: LeaseRecord, readAt: number) => {
    if (record.resourceVersion === observed?.resourceVersion) return
    if (record.holder !== '') lastHolder = record.holder
    // Rule 2.
    observedAt = Math.max(previousReadAt ?? readAt, readAt - retryPeriodMs)
    observed = record
  }

  const expiresAt = () =>
    observed ? observedAt + observed.leaseDurationSeconds * 1_000 : Number.NEGATIVE_INFINITY

  async function tryAcquireOrRenew(readAt: number): Promise<boolean> {
    const lease = await o.client.read()
    const t = o.now()
    if (!lease) {
      const fresh: LeaseRecord = {
        holder: o.identity,
        leaseDurationSeconds: durationSeconds,
        acquireTime: t,
        renewTime: t,
        transitions: 0,
        resourceVersion: '',
      }
      const created = await o.client.create(toLease(o.name, o.namespace, fresh))
      observed = toLeaseRecord(created)
      observedAt = readAt
      return true
    }
    const current = toLeaseRecord(lease)
    observe(current, readAt)
    previousReadAt = readAt
    const mine = current.holder === o.identity
    if (current.holder !== '' && !mine && expiresAt() > mono()) {
      freeSince = undefined
      return false
    }
    if (!mine && current.holder === '') {
      freeSince ??= readAt
      if (readAt - freeSince < ((await o.acquireDelay?.()) ?? 0)) return false
    }
    const next: LeaseRecord = {
      holder: o.identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: mine ? current.acquireTime : t,
      renewTime: t,
      transitions: mine ? current.transitions : current.transitions + 1,
      resourceVersion: current.resourceVersion,
    }
    const replaced = await o.client.replace(toLease(o.name, o.namespace, next))
    observed = toLeaseRecord(replaced)
    observedAt = readAt
    freeSince = undefined
    return true
  }

  async function cycle(): Promise<void> {
    const readAt = mono()
    let won = false
    try {
      won = await tryAcquireOrRenew(readAt)
    } catch (err) {
      if (!(err instanceof ConflictError))
        o.logger.warn(
          { err: String(err), lease: `${o.namespace}/${o.name}` },
          'could not read or write the leader election Lease: check the API server and the Role on leases',
        )
    }
    if (stopped) return
    if (won) {
      renewedAt = readAt
      if (!leading) {
        leading = true
        armGuard()
        o.logger.info(
          { identity: o.identity, lease: `${o.namespace}/${o.name}` },
          'became the leader',
        )
        o.onStartedLeading()
      } else armGuard()
    } else if (leading && observed && observed.holder !== o.identity) {
      stopLeading(`the Lease is held by ${observed.holder}`)
    }
  }

  function schedule(): void {
    if (stopped) return
    // Rule 3.
    const untilExpiry = expiresAt() - mono()
    const wait =
      leading || untilExpiry <= 0 ? retryPeriodMs : Math.min(retryPeriodMs, untilExpiry + 1)
    timer = setTimeout(() => {
      running = cycle().finally(() => {
        running = undefined
        schedule()
      })
    }, wait)
  }

  return {
    start() {
      if (running || timer) return
      running = cycle().finally(() => {
        running = undefined
        schedule()
      })
    },
    isLeader: () => leading && mono() - renewedAt < renewDeadlineMs,
    leader: () => observed?.holder ?? '',
    lastHolder: () => lastHolder,
    async release() {
      stopped = true
      clearTimeout(timer)
      await running
      if (!leading) return
      stopLeading('released on shutdown')
      const t = o.now()
      try {
        const lease = await o.client.read()
        const current = lease && toLeaseRecord(lease)
        if (!current || current.holder !== o.identity) return
        await o.client.replace(
          toLease(o.name, o.namespace, {
            ...current,
            holder: '',
            leaseDurationSeconds: 1,
            renewTime: t,
          }),
        )
      } catch (err) {
        o.logger.warn(
          { err: String(err) },
          'could not release the Lease: the next leader takes over when it runs out',
        )
      }
    },
    stop() {
      stopped = true
      clearTimeout(timer)
      clearTimeout(guard)
      leading = false
    },
  }
}
