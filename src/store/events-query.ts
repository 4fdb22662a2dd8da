/**
 * The chat `events` command's query over the archive (`events` table, written by the pipeline):
 * newest first, every filter optional, served from the indexes in `schema.ts`.
 */
import type { StatementSync } from 'node:sqlite'
import type { Store } from './open-store.ts'

/** What `events` may filter on. `since` is epoch ms; `name` may hold `*` wildcards. */
export interface EventFilter {
  namespace?: string
  kind?: string
  name?: string
  reason?: string
  /** Only this type; undefined for both. */
  type?: 'Warning' | 'Normal'
  since: number
  limit: number
}

/** One archived event as the chat shows it. `message` is cut to `MESSAGE_CHARS`. */
export interface EventSummary {
  namespace: string
  kind: string
  name: string
  reason: string
  message: string
  type: string
  count: number
  lastSeen: number
}

export interface EventsQuery {
  /** The newest `limit` events matching `filter`, newest first. */
  find(filter: EventFilter): EventSummary[]
}

/** Longest message read from the store; the chat shows less. */
export const MESSAGE_CHARS = 400

/** The filters written as one comparison each. */
const EXACT = [
  ['type', 'type = ?'],
  ['namespace', 'namespace = ?'],
  ['kind', 'kind = ? COLLATE NOCASE'],
  ['reason', 'reason = ? COLLATE NOCASE'],
] as const

/**
 * Prepares the query on an open store. Kind and reason compare without case (`kind=pod`),
 * namespace and name exactly; statements are prepared once per combination of filters.
 */
export function createEventsQuery(store: Store): EventsQuery {
  const statements = new Map<string, StatementSync>()
  const prepare = (sql: string) => {
    let stmt = statements.get(sql)
    if (!stmt) {
      stmt = store.db.prepare(sql)
      statements.set(sql, stmt)
    }
    return stmt
  }
  return {
    find(filter) {
      const where = ['last_seen >= ?']
      const params: Array<string | number> = [filter.since]
      for (const [key, clause] of EXACT) {
        const value = filter[key]
        if (value !== undefined) {
          where.push(clause)
          params.push(value)
        }
      }
      if (filter.name !== undefined) {
        const wildcard = filter.name.includes('*')
        where.push(wildcard ? 'name GLOB ?' : 'name = ?')
        params.push(wildcard ? toGlob(filter.name) : filter.name)
      }
      const sql = `SELECT namespace, kind, name, reason, substr(message, 1, ${MESSAGE_CHARS}) AS message,
        type, count, last_seen AS lastSeen FROM events WHERE ${where.join(' AND ')}
        ORDER BY last_seen DESC LIMIT ?`
      params.push(filter.limit)
      return prepare(sql).all(...params) as unknown as EventSummary[]
    },
  }
}

/** The chat's `*` wildcard as a SQLite GLOB: GLOB's own `?` and `[` are made literal. */
function toGlob(pattern: string): string {
  return pattern.replace(/[?[]/g, (c) => `[${c}]`)
}
