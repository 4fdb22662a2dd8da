/**
 * Events that could not be taken in as sent (rejected, clamped, or refused by the store): each
 * is counted every time, and logged once with its namespace/name. A relist sends the same bad
 * Event again; remembering which were logged keeps the log from repeating it forever, and the
 * memory is capped so that a stream of hostile objects cannot grow it.
 */
import type { InvalidReason } from '../kube/cluster-event.ts'

/** How many Events are remembered as already logged (oldest forgotten first). */
const REMEMBERED = 1024
/** Longest namespace/name/uid put in a log line. */
const LOGGED_CHARS = 256

/** Who a bad Event is: its own metadata as received, or as normalised. */
export interface EventIdentity {
  uid?: unknown
  namespace?: unknown
  name?: unknown
}

export interface InvalidEvents {
  /** Counts one bad Event; logs it unless it was logged already. */
  note(label: InvalidReason, detail: string, who: EventIdentity | undefined): void
  /** Running totals by reason, for `/metrics`. */
  counts(): ReadonlyMap<InvalidReason, number>
}

const shown = (v: unknown): string | undefined =>
  typeof v === 'string' ? v.slice(0, LOGGED_CHARS) : undefined

/** Creates the counter and its bounded memory of logged Events. */
export function createInvalidEvents(logger: {
  warn(obj: object, msg: string): void
}): InvalidEvents {
  const totals = new Map<InvalidReason, number>()
  const logged = new Set<string>()
  return {
    note(label, detail, who) {
      totals.set(label, (totals.get(label) ?? 0) + 1)
      const uid = shown(who?.uid)
      const namespace = shown(who?.namespace)
      const name = shown(who?.name)
      const key = `${label} ${uid ?? `${namespace}/${name}`}`
      if (logged.has(key)) return
      if (logged.size >= REMEMBERED) logged.delete(logged.values().next().value as string)
      logged.add(key)
      logger.warn(
        { reason: label, detail: detail.slice(0, LOGGED_CHARS), namespace, name, uid },
        label === 'missing-field' || label === 'store'
          ? 'skipped an Event: it cannot be used (logged once per Event; counted in kubeding_events_invalid_total)'
          : 'took in an Event with a value it could not keep as sent: clamped (logged once per Event; counted in kubeding_events_invalid_total)',
      )
    },
    counts: () => totals,
  }
}

/** Where a bad Event's identity is: its `metadata`, when it has one. */
export function identityOf(raw: unknown): EventIdentity | undefined {
  const meta = (raw as { metadata?: unknown } | null)?.metadata
  return typeof meta === 'object' && meta !== null ? (meta as EventIdentity) : undefined
}
