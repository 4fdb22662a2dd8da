/**
 * The outbox and delivery log queries (`outbox`, `deliveries` tables). A message stays in the
 * outbox until DingTalk answered for it, or it was dropped for good; either way the answer is
 * written to `deliveries` in the same transaction, so a SIGKILL loses nothing. An alert the
 * pipeline queues names its event's archive row (`event_row`) instead of carrying the event.
 */
import type { Store } from '../store/open-store.ts'
import type { AlertEvent, AlertMessage, OutboxMessage } from './outbox-message.ts'

/** A waiting message. `message` is undefined when the stored payload cannot be read. */
export interface OutboxRow {
  id: number
  robot: string
  kind: string
  createdAt: number
  attempts: number
  occurrences: number
  message: OutboxMessage | undefined
  lastError: string | null
}

/** One answer (or drop) written to `deliveries`. `kind` is the message's kind or `digest`. */
export interface Delivery {
  at: number
  kind: string
  occurrences: number
  errcode: number
  errmsg: string
}

/**
 * kubeding's own `deliveries.errcode` values for messages dropped without being sent; they stay
 * out of the rate budget. Every errcode at or below -100 is one of these.
 */
export const UNREADABLE_ERRCODE = -100
export const RENDER_FAILED_ERRCODE = -101

export interface Outbox {
  /** Queues a message for a robot; joins the caller's `store.tx` when inside one. Returns its id. */
  enqueue(robot: string, message: OutboxMessage, now: number): number
  /** A robot's oldest waiting messages, oldest first. */
  peek(robot: string, limit: number): OutboxRow[]
  /** How many messages and occurrences wait for a robot. */
  size(robot: string): { messages: number; occurrences: number }
  /** Every robot with waiting messages, and how many. */
  waiting(): Array<{ robot: string; messages: number }>
  /** DingTalk answered for these messages (accepted, or refused for good): they leave the outbox. */
  settle(robot: string, ids: readonly number[], delivery: Delivery): void
  /** DingTalk refused but the messages stay (throttled, config error, to be split). */
  refuse(robot: string, ids: readonly number[], delivery: Delivery): void
  /** No answer from DingTalk (network, timeout, 5xx): the messages stay, the attempt is noted. */
  noteFailure(ids: readonly number[], error: string): void
  /** Holds every waiting message of a robot until `until` (remembered across restarts). */
  defer(robot: string, until: number): void
  /** The latest hold set by `defer` on a robot's waiting messages. */
  heldUntil(robot: string): number | undefined
  /** When DingTalk answered this robot since `since`, oldest first: the rolling rate budget. */
  answeredSince(robot: string, since: number): number[]
  /** Deletes delivery records older than `cutoff` (the budget reads only the last minute). */
  purgeDeliveries(cutoff: number): number
}

interface RawRow {
  id: number
  robot: string
  kind: string
  created_at: number
  attempts: number
  occurrences: number
  payload: string
  last_error: string | null
  event_row: number | null
  /** The named archive row's columns (null when the row names none, or it is gone). */
  e_uid: string | null
  e_kind: string
  e_namespace: string
  e_name: string
  e_reason: string
  e_message: string
  e_type: AlertEvent['type']
  e_first_seen: number
  e_component: string
  e_host: string
}

/** What an alert naming an archive row stores of its event: the occurrence, not the event. */
type StoredEvent = Pick<AlertEvent, 'uid' | 'count' | 'lastSeen'>

const KINDS = new Set(['alert', 'repeat', 'notice', 'node-problem', 'node-resolved'])

/**
 * The event occurrences a message accounts for (status, /metrics, digests): a notice none, a
 * node problem one per flip, a node's return to normal one.
 */
export function toOccurrences(message: OutboxMessage): number {
  if (message.kind === 'notice') return 0
  if ('node' in message) return message.kind === 'node-resolved' ? 1 : Math.max(1, message.flips)
  return message.occurrences
}

function parsePayload(payload: string): OutboxMessage | undefined {
  try {
    const value = JSON.parse(payload) as { kind?: unknown } | null
    return value && typeof value.kind === 'string' && KINDS.has(value.kind)
      ? (value as OutboxMessage)
      : undefined
  } catch {
    return undefined
  }
}

/**
 * The message of a raw row: for an alert naming an archive row, its event put together from the
 * occurrence it stored and the row as it is now. Undefined when the payload cannot be read, or
 * the row is not that event's (the archive spares named rows, so only a store changed by hand).
 */
function toMessage(r: RawRow): OutboxMessage | undefined {
  const message = parsePayload(r.payload)
  if (r.event_row === null || message?.kind !== 'alert') return message
  const stored = message.event as StoredEvent
  if (r.e_uid === null || r.e_uid !== stored.uid) return undefined
  const event: AlertEvent = {
    uid: stored.uid,
    kind: r.e_kind,
    namespace: r.e_namespace,
    name: r.e_name,
    reason: r.e_reason,
    message: r.e_message,
    type: r.e_type,
    count: stored.count,
    firstSeen: r.e_first_seen,
    lastSeen: stored.lastSeen,
    component: r.e_component,
    host: r.e_host,
  }
  return { ...message, event, row: r.event_row }
}

/** The stored form of a message: an alert naming its archive row keeps only the occurrence. */
function toPayload(message: OutboxMessage): string {
  if (message.kind !== 'alert' || message.row === undefined) return JSON.stringify(message)
  const { uid, count, lastSeen } = message.event
  const stored: Omit<AlertMessage, 'row' | 'event'> & { event: StoredEvent } = {
    kind: 'alert',
    event: { uid, count, lastSeen },
    occurrences: message.occurrences,
    at: message.at,
  }
  return JSON.stringify(stored)
}

/** Prepares the outbox queries on an open store. */
export function createOutbox(store: Store): Outbox {
  const { db } = store
  const insert = db.prepare(
    `INSERT INTO outbox (robot, kind, created_at, not_before, occurrences, payload, event_row)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  )
  const peek = db.prepare(
    `SELECT o.*, e.uid AS e_uid, e.kind AS e_kind, e.namespace AS e_namespace, e.name AS e_name,
       e.reason AS e_reason, e.message AS e_message, e.type AS e_type,
       e.first_seen AS e_first_seen, e.component AS e_component, e.host AS e_host
     FROM outbox o LEFT JOIN events e ON e.rowid = o.event_row
     WHERE o.robot = ? ORDER BY o.id LIMIT ?`,
  )
  const size = db.prepare(
    'SELECT count(*) AS messages, coalesce(sum(occurrences), 0) AS occurrences FROM outbox WHERE robot = ?',
  )
  const waiting = db.prepare(
    'SELECT robot, count(*) AS messages FROM outbox GROUP BY robot ORDER BY robot',
  )
  const remove = db.prepare(
    'DELETE FROM outbox WHERE robot = ? AND id IN (SELECT value FROM json_each(?))',
  )
  const note = db.prepare(
    `UPDATE outbox SET attempts = attempts + 1, last_error = ?
     WHERE id IN (SELECT value FROM json_each(?))`,
  )
  const record = db.prepare(
    `INSERT INTO deliveries (robot, at, kind, occurrences, errcode, errmsg)
     VALUES (?, ?, ?, ?, ?, ?)`,
  )
  const defer = db.prepare('UPDATE outbox SET not_before = ? WHERE robot = ?')
  const held = db.prepare('SELECT max(not_before) AS until FROM outbox WHERE robot = ?')
  const purgeDeliveries = db.prepare('DELETE FROM deliveries WHERE at < ?')
  const answered = db.prepare(
    'SELECT at FROM deliveries WHERE robot = ? AND at > ? AND errcode > ? ORDER BY at',
  )
  const recordDelivery = (robot: string, d: Delivery) =>
    record.run(robot, d.at, d.kind, d.occurrences, d.errcode, d.errmsg)

  return {
    enqueue(robot, message, now) {
      const occurrences = toOccurrences(message)
      const row = message.kind === 'alert' ? (message.row ?? null) : null
      const result = insert.run(robot, message.kind, now, now, occurrences, toPayload(message), row)
      return Number(result.lastInsertRowid)
    },
    peek(robot, limit) {
      // Only what is committed is sent: a batch the store then failed to commit takes nothing
      // back that DingTalk was told.
      store.settle()
      return (peek.all(robot, limit) as unknown as RawRow[]).map((r) => ({
        id: r.id,
        robot: r.robot,
        kind: r.kind,
        createdAt: r.created_at,
        attempts: r.attempts,
        occurrences: r.occurrences,
        message: toMessage(r),
        lastError: r.last_error,
      }))
    },
    size(robot) {
      return size.get(robot) as unknown as { messages: number; occurrences: number }
    },
    waiting() {
      return waiting.all() as unknown as Array<{ robot: string; messages: number }>
    },
    settle(robot, ids, delivery) {
      store.tx(() => {
        remove.run(robot, JSON.stringify(ids))
        recordDelivery(robot, delivery)
      })
    },
    refuse(robot, ids, delivery) {
      store.tx(() => {
        note.run(`${delivery.errcode} ${delivery.errmsg}`, JSON.stringify(ids))
        recordDelivery(robot, delivery)
      })
    },
    noteFailure(ids, error) {
      store.tx(() => note.run(error, JSON.stringify(ids)))
    },
    defer(robot, until) {
      store.tx(() => defer.run(until, robot))
    },
    heldUntil(robot) {
      const { until } = held.get(robot) as { until: number | null }
      return until ?? undefined
    },
    answeredSince(robot, since) {
      return (answered.all(robot, since, UNREADABLE_ERRCODE) as Array<{ at: number }>).map(
        (r) => r.at,
      )
    },
    purgeDeliveries: (cutoff) => Number(purgeDeliveries.run(cutoff).changes),
  }
}
