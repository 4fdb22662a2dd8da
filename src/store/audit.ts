/** The audit of write commands from chat (`audit` table): who ran what, when, and how it ended. */
import type { Store } from './open-store.ts'

/** One write command as recorded. `at` is epoch ms. */
export interface AuditEntry {
  at: number
  senderId: string
  senderName: string
  conversationId: string
  /** The command as typed (arguments included). */
  command: string
  /** `ok: ...` or `refused: <code>` / `failed: <ref>`. */
  outcome: string
}

export interface AuditLog {
  record(entry: AuditEntry): void
  /** The newest `limit` entries, newest first. */
  recent(limit: number): AuditEntry[]
  /**
   * Deletes entries older than `cutoff`, and all but the newest `keep`: refused commands are
   * recorded too, so a sender within the chat limits still adds one row each time. Returns how many.
   */
  purge(cutoff: number, keep: number): number
}

/** Longest command text kept; a chat line longer than this is cut. */
const COMMAND_CHARS = 500

/** Prepares the audit statements on an open store. */
export function createAuditLog(store: Store): AuditLog {
  const insert = store.db.prepare(`INSERT INTO audit
    (at, sender_id, sender_name, conversation_id, command, outcome) VALUES (?, ?, ?, ?, ?, ?)`)
  const recent = store.db.prepare(`SELECT at, sender_id, sender_name, conversation_id, command,
    outcome FROM audit ORDER BY at DESC, id DESC LIMIT ?`)
  const purgeOld = store.db.prepare('DELETE FROM audit WHERE at < ?')
  // By id, the order rows were written in: a command recorded with an earlier clock stays in order.
  const purgeExcess = store.db.prepare(
    'DELETE FROM audit WHERE id <= (SELECT id FROM audit ORDER BY id DESC LIMIT 1 OFFSET ?)',
  )
  return {
    record(e) {
      store.tx(() =>
        insert.run(
          e.at,
          e.senderId,
          e.senderName,
          e.conversationId,
          e.command.slice(0, COMMAND_CHARS),
          e.outcome,
        ),
      )
    },
    recent(limit) {
      const rows = recent.all(limit) as unknown as Array<{
        at: number
        sender_id: string
        sender_name: string
        conversation_id: string
        command: string
        outcome: string
      }>
      return rows.map((r) => ({
        at: r.at,
        senderId: r.sender_id,
        senderName: r.sender_name,
        conversationId: r.conversation_id,
        command: r.command,
        outcome: r.outcome,
      }))
    },
    purge: (cutoff, keep) =>
      Number(purgeOld.run(cutoff).changes) + Number(purgeExcess.run(keep).changes),
  }
}
