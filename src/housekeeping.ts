/**
 * The service's clockwork: closes grouping windows, tells node conditions that came due, ends
 * mutes whose time ran out (and has the group told), purges what outlived `state.retention` (ended
 * mutes too), and checks that the store file is still there.
 */
import type { Outbox } from './notify/outbox.ts'
import type { Pipeline } from './pipeline/pipeline.ts'
import type { AuditLog } from './store/audit.ts'
import type { EventArchive } from './store/events.ts'
import type { MuteRecord, MuteStore } from './store/mutes.ts'
import type { Store } from './store/open-store.ts'
import { isStoreFailure, type StoreHealth } from './store/store-health.ts'

/** Nothing kubeding saw less than this ago is purged, whatever `state.retention` says. Archive
 * rows are purged only once the API server deleted them (see store/events.ts); the floor keeps a
 * deleted event's row long enough to answer for a recent alert. */
const MIN_RETENTION_MS = 2 * 3_600_000
/** The rate budget reads a minute of deliveries; a day is kept for looking back. */
const DELIVERIES_KEPT_MS = 86_400_000
const PURGE_EVERY_MS = 3_600_000
/**
 * The chat audit (who ran which write command) is kept `state.retention` but at least a week,
 * and at most its newest AUDIT_KEPT entries: refused commands are audited too, and the chat's
 * limits still let a group send 30 a minute (~1.4 KB a row on disk), so time alone bounds it
 * at gigabytes. A group's real write commands are a few a day.
 */
const AUDIT_MIN_MS = 7 * 86_400_000
const AUDIT_KEPT = 20_000

export interface HousekeepingOptions {
  store: Store
  archive: Pick<EventArchive, 'purge'>
  audit: Pick<AuditLog, 'purge'>
  outbox: Pick<Outbox, 'purgeDeliveries'>
  pipeline: Pipeline
  /** The node condition source: Ready problems whose wait is over, resolved messages due. */
  nodeConditions?: { tick(): void }
  mutes: Pick<MuteStore, 'expireDue' | 'purgeEnded'>
  retentionMs: number
  /** Told of store failures (logged once per outage there, not on every tick). */
  health?: Pick<StoreHealth, 'failed' | 'checkFile'>
  onMuteEnded(mute: MuteRecord): void
  now: () => number
  logger: { info(obj: object, msg: string): void; error(obj: object, msg: string): void }
  tickMs: number
}

/** Starts the clockwork; a purge runs at once and then hourly. */
export function startHousekeeping(o: HousekeepingOptions): { stop(): void } {
  let lastPurge = Number.NEGATIVE_INFINITY

  const purge = (now: number) => {
    const cutoff = now - Math.max(o.retentionMs, MIN_RETENTION_MS)
    const chatCutoff = now - Math.max(o.retentionMs, AUDIT_MIN_MS)
    const removed = o.store.tx(() => ({
      events: o.archive.purge(cutoff),
      deliveries: o.outbox.purgeDeliveries(now - DELIVERIES_KEPT_MS),
      audit: o.audit.purge(chatCutoff, AUDIT_KEPT),
      // Ended mutes go with the audit entries that set and ended them.
      mutes: o.mutes.purgeEnded(chatCutoff),
    }))
    if (removed.events > 0)
      o.logger.info(
        removed,
        'purged events deleted from the cluster and unseen for state.retention',
      )
  }

  const tick = () => {
    try {
      o.health?.checkFile()
      const now = o.now()
      o.pipeline.tick()
      o.nodeConditions?.tick()
      for (const mute of o.mutes.expireDue(now)) o.onMuteEnded(mute)
      if (now - lastPurge >= PURGE_EVERY_MS) {
        lastPurge = now
        purge(now)
      }
    } catch (err) {
      if (o.health && isStoreFailure(err)) o.health.failed(err, 'housekeeping')
      else o.logger.error({ err }, 'housekeeping failed; trying again on the next tick')
    }
  }
  const timer = setInterval(tick, o.tickMs)
  tick()
  return { stop: () => clearInterval(timer) }
}
