/**
 * A follower's outbox kept in step with the leader's: every replica's pipeline queues the same
 * messages, and a follower drops each one the checkpoint says the leader delivered, so that on
 * taking over it sends exactly what is left. Identities are computed once per row.
 */
import type { OutboxMessage } from '../notify/outbox-message.ts'
import type { Store } from '../store/open-store.ts'
import { toMessageIdentity } from './message-identity.ts'
import type { SharedDoc } from './shared-doc.ts'

/** Rows read per step: the work of one prune stays bounded during a storm. */
const SCAN_BATCH = 5_000
/**
 * A follower keeps this much of its Log Service queue: the leader ships every 2 s, so what is
 * older was shipped (or the leader's own queue has it); a new leader re-ships at most this much.
 */
export const SLS_STANDBY_KEEP_MS = 2 * 60_000

export interface StandbyOutbox {
  /** Deletes the rows the checkpoint has; returns how many. */
  prune(doc: SharedDoc): number
  /** Trims the Log Service queue a follower does not ship. */
  trimSlsQueue(now: number): number
  /** Forgets the identities computed (the replica became the leader). */
  reset(): void
}

interface Row {
  id: number
  robot: string
  payload: string
}

/** Prepares the follower's statements on an open store. */
export function createStandbyOutbox(store: Store): StandbyOutbox {
  const { db } = store
  const scan = db.prepare('SELECT id, robot, payload FROM outbox WHERE id > ? ORDER BY id LIMIT ?')
  const remove = db.prepare('DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(?))')
  const trimSls = db.prepare('DELETE FROM sls_queue WHERE at < ?')
  const known = new Map<number, { robot: string; identity: string }>()
  let scannedTo = 0

  const learn = () => {
    for (;;) {
      const rows = scan.all(scannedTo, SCAN_BATCH) as unknown as Row[]
      for (const row of rows) {
        scannedTo = row.id
        const message = parse(row.payload)
        if (message)
          known.set(row.id, { robot: row.robot, identity: toMessageIdentity(row.robot, message) })
      }
      if (rows.length < SCAN_BATCH) return
    }
  }

  return {
    prune(doc) {
      learn()
      const gone: number[] = []
      for (const [id, { robot, identity }] of known) {
        if (doc.delivered[robot]?.[identity] !== undefined) gone.push(id)
      }
      if (gone.length === 0) return 0
      store.tx(() => remove.run(JSON.stringify(gone)))
      for (const id of gone) known.delete(id)
      return gone.length
    },
    trimSlsQueue: (now) => store.tx(() => Number(trimSls.run(now - SLS_STANDBY_KEEP_MS).changes)),
    reset() {
      known.clear()
      scannedTo = 0
    },
  }
}

function parse(payload: string): OutboxMessage | undefined {
  try {
    const value = JSON.parse(payload) as OutboxMessage | null
    return value && typeof value.kind === 'string' ? value : undefined
  } catch {
    return undefined
  }
}
