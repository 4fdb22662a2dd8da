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
}

/** Longest command text kept; a chat line longer than this is cut. */
const COMMAND_CHARS = 500

/** Prepares the audit statements on an open store. */
export function createAuditLog(store: Store): AuditLog {
  const insert = store.db.prepare(`INSERT INTO audit
    (at, sender_id, sender_name, conversation_id, command, outcome) VALUES (?, ?, ?, ?, ?, ?)`)
  const recent = store.db.prepare(`SELECT at, sender_id, sender_name, conversation_id, command,
    outcome FROM audit ORDER BY at DESC, id DESC LIMIT ?`)
  return {
    record(e) {
      insert.run(
        e.at,
        e.senderId,
        e.senderName,
        e.conversationId,
        e.command.slice(0, COMMAND_CHARS),
        e.outcome,
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
  }
}
