/**
 * Mutes set from chat. They live in the `mutes` table, so they survive a restart, and the active
 * ones are also kept compiled in memory: the pipeline asks `match` for every routed event, and a
 * write through this object is seen by the very next call.
 */
import { isGlobMatch, toGlob } from './glob-match.ts'
import type { Store } from './open-store.ts'

/** The keys a mute names; an event is muted when it matches every key given. */
export interface MuteSelector {
  namespace?: string
  kind?: string
  /** May hold `*` wildcards. */
  name?: string
  reason?: string
}

/** One mute, as stored. Times are epoch ms. */
export interface MuteRecord {
  /** Short and typeable: `m1`, `m2`, ... */
  id: string
  selector: MuteSelector
  /** senderStaffId (or senderId) of who set it, and their display name. */
  createdBy: string
  createdByName: string
  conversationId: string
  createdAt: number
  endsAt: number
  /** When it ended (its `endsAt` if it ran out); undefined while active. */
  endedAt: number | undefined
  /** `expired`, or the display name of who ended it early (the audit has their id). */
  endedBy: string | undefined
  /** Event occurrences it kept from being alerted. */
  heldBack: number
}

/** What `match` answers: enough to attribute the held-back alert (`heldBack` is read with `get`). */
export type MatchedMute = Pick<MuteRecord, 'id' | 'selector' | 'endsAt'>

/** What `add` needs; the id is assigned. */
export type NewMute = Pick<
  MuteRecord,
  'selector' | 'createdBy' | 'createdByName' | 'conversationId' | 'createdAt' | 'endsAt'
>

/** The fields of an event a mute looks at. */
export interface MutableEvent {
  namespace: string
  kind: string
  name: string
  reason: string
}

export interface MuteStore {
  add(mute: NewMute): MuteRecord
  /**
   * The mute `add` just gave out, as every replica knows it: the same here. With several
   * replicas another one may have given out the same id at the same moment, and this one is
   * then known by a new id (ha/shared-mutes.ts): what the reply must name.
   */
  shared(mute: MuteRecord): Promise<MuteRecord>
  /** The first active mute that matches every key it names, or undefined. Memory only. */
  match(event: MutableEvent, now: number): MatchedMute | undefined
  /** Counts `occurrences` more alerts held back by mute `id`. */
  recordHeldBack(id: string, occurrences: number): void
  /** Mutes not ended and not run out at `now`, oldest first. */
  active(now: number): MuteRecord[]
  get(id: string): MuteRecord | undefined
  /** Ends an active mute early; undefined when `id` is not active. */
  end(id: string, by: string, now: number): MuteRecord | undefined
  /** Ends every active mute; returns them. */
  endAll(by: string, now: number): MuteRecord[]
  /** Marks mutes whose time ran out as ended (`endedBy: 'expired'`) and returns them. */
  expireDue(now: number): MuteRecord[]
  /**
   * Deletes mutes that ended before `cutoff`; returns how many. The newest id is kept even when
   * it ended, so the next mute is never given an id the group has already seen.
   */
  purgeEnded(cutoff: number): number
}

interface Row {
  id: string
  namespace: string | null
  kind: string | null
  name: string | null
  reason: string | null
  created_by: string
  created_by_name: string
  conversation_id: string
  created_at: number
  ends_at: number
  ended_at: number | null
  ended_by: string | null
  held_back: number
}

interface Compiled {
  record: MuteRecord
  test: (event: MutableEvent) => boolean
}

/** The number of the newest id given out (`m12` → 12), or NULL when there is none. */
const NEWEST_NUMBER =
  "SELECT max(CAST(substr(id, 2) AS INTEGER)) FROM mutes WHERE id GLOB 'm[0-9]*'"

/** Prepares the mute statements on an open store and loads the mutes that have not ended. */
export function createMuteStore(store: Store): MuteStore {
  const { db } = store
  const insert = db.prepare(`INSERT INTO mutes (id, namespace, kind, name, reason, created_by,
    created_by_name, conversation_id, created_at, ends_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
  const getStmt = db.prepare('SELECT * FROM mutes WHERE id = ?')
  const notEnded = db.prepare('SELECT * FROM mutes WHERE ended_at IS NULL ORDER BY created_at, id')
  const endStmt = db.prepare(
    'UPDATE mutes SET ended_at = ?, ended_by = ? WHERE id = ? AND ended_at IS NULL',
  )
  const heldBack = db.prepare('UPDATE mutes SET held_back = held_back + ? WHERE id = ?')
  const maxId = db.prepare(`SELECT (${NEWEST_NUMBER}) AS n`)
  const purgeEnded = db.prepare(
    `DELETE FROM mutes WHERE ended_at < ? AND id IS NOT 'm' || (${NEWEST_NUMBER})`,
  )

  let lastNumber = (maxId.get() as { n: number | null }).n ?? 0
  const get = (id: string) => {
    const row = getStmt.get(id) as Row | undefined
    return row && toMuteRecord(row)
  }
  let cache: Compiled[] = (notEnded.all() as unknown as Row[]).map((row) =>
    compile(toMuteRecord(row)),
  )
  const endOne = (id: string, at: number, by: string): MuteRecord | undefined => {
    endStmt.run(at, by, id)
    cache = cache.filter((c) => c.record.id !== id)
    return get(id)
  }

  return {
    add(mute) {
      lastNumber += 1
      const id = `m${lastNumber}`
      const { namespace, kind, name, reason } = mute.selector
      // In a transaction of its own: committed when the chat is told, not with the pipeline's batch.
      store.tx(() =>
        insert.run(
          id,
          namespace ?? null,
          kind ?? null,
          name ?? null,
          reason ?? null,
          mute.createdBy,
          mute.createdByName,
          mute.conversationId,
          mute.createdAt,
          mute.endsAt,
        ),
      )
      const record: MuteRecord = {
        ...mute,
        id,
        endedAt: undefined,
        endedBy: undefined,
        heldBack: 0,
      }
      cache = [...cache, compile(record)]
      return record
    },
    shared: async (mute) => mute,
    match(event, now) {
      for (const c of cache) if (c.record.endsAt > now && c.test(event)) return c.record
      return undefined
    },
    recordHeldBack(id, occurrences) {
      heldBack.run(occurrences, id)
    },
    active(now) {
      return cache.filter((c) => c.record.endsAt > now).flatMap((c) => get(c.record.id) ?? [])
    },
    get,
    end(id, by, now) {
      const found = cache.find((c) => c.record.id === id && c.record.endsAt > now)
      return found && store.tx(() => endOne(id, now, by))
    },
    endAll(by, now) {
      const ids = cache.filter((c) => c.record.endsAt > now).map((c) => c.record.id)
      return store.tx(() => ids.flatMap((id) => endOne(id, now, by) ?? []))
    },
    purgeEnded: (cutoff) => Number(purgeEnded.run(cutoff).changes),
    expireDue(now) {
      const due = cache.filter((c) => c.record.endsAt <= now).map((c) => c.record)
      return store.tx(() => due.flatMap((m) => endOne(m.id, m.endsAt, 'expired') ?? []))
    },
  }
}

/** Rules: namespace and name compare exactly (`*` in name matches anything); kind and reason ignore case. */
function compile(record: MuteRecord): Compiled {
  const { namespace, kind, name, reason } = record.selector
  const kindLower = kind?.toLowerCase()
  const reasonLower = reason?.toLowerCase()
  // Compiled once here, matched in bounded time: a pathological pattern kept from an older
  // version's store costs no more than any other at start or on each event.
  const nameGlob = name === undefined ? undefined : toGlob(name)
  return {
    record,
    test: (e) =>
      (namespace === undefined || e.namespace === namespace) &&
      (kindLower === undefined || e.kind.toLowerCase() === kindLower) &&
      (reasonLower === undefined || e.reason.toLowerCase() === reasonLower) &&
      (nameGlob === undefined || isGlobMatch(nameGlob, e.name)),
  }
}

function toMuteRecord(row: Row): MuteRecord {
  const selector: MuteSelector = {}
  if (row.namespace !== null) selector.namespace = row.namespace
  if (row.kind !== null) selector.kind = row.kind
  if (row.name !== null) selector.name = row.name
  if (row.reason !== null) selector.reason = row.reason
  return {
    id: row.id,
    selector,
    createdBy: row.created_by,
    createdByName: row.created_by_name,
    conversationId: row.conversation_id,
    createdAt: row.created_at,
    endsAt: row.ends_at,
    endedAt: row.ended_at ?? undefined,
    endedBy: row.ended_by ?? undefined,
    heldBack: row.held_back,
  }
}
