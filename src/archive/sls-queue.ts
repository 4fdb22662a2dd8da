/**
 * The durable queue in front of Log Service: table `sls_queue` of the embedded store. A row is
 * one rendered log (JSON of `SlsLog`); it leaves only when Log Service accepted its batch.
 */
import type { Store } from '../store/open-store.ts'
import { encodeLog, logFieldSize, type SlsLog } from './log-group.ts'

/** The oldest queued logs, encoded, covering the ids `firstId..lastId` and nothing else. */
export interface QueuedBatch {
  firstId: number
  lastId: number
  logs: Buffer[]
  /** Size of the logs inside a LogGroup (before compression). */
  bytes: number
  /** True when more rows were waiting than fit: send again at once. */
  full: boolean
}

/** A row that could not be encoded (edited or damaged store); it was removed. */
export interface BadRow {
  id: number
  error: string
}

export interface SlsQueue {
  /** Adds one log; returns its size as stored, to count towards the next batch. */
  add(at: number, log: SlsLog): number
  /** Takes the head of the queue up to `maxBytes` / `maxLogs`; the rows stay until `remove`. */
  peekBatch(
    maxBytes: number,
    maxLogs: number,
    onBadRow: (row: BadRow) => void,
  ): QueuedBatch | undefined
  /** Removes the rows of a batch Log Service accepted. */
  remove(batch: QueuedBatch): void
  count(): number
}

interface Row {
  id: number
  log: string
}

/** Prepares the queue's statements on an open store. */
export function createSlsQueue(store: Store): SlsQueue {
  const { db } = store
  const insert = db.prepare('INSERT INTO sls_queue (at, log) VALUES (?, ?)')
  const head = db.prepare('SELECT id, log FROM sls_queue ORDER BY id LIMIT ?')
  const removeRange = db.prepare('DELETE FROM sls_queue WHERE id BETWEEN ? AND ?')
  const removeOne = db.prepare('DELETE FROM sls_queue WHERE id = ?')
  const count = db.prepare('SELECT count(*) AS n FROM sls_queue')

  return {
    add(at, log) {
      const text = JSON.stringify(log)
      insert.run(at, text)
      return text.length
    },
    peekBatch(maxBytes, maxLogs, onBadRow) {
      const logs: Buffer[] = []
      let bytes = 0
      let firstId = 0
      let lastId = 0
      let rows = 0
      let full = false
      const bad: BadRow[] = []
      for (const row of head.iterate(maxLogs) as Iterable<Row>) {
        rows++
        let log: Buffer
        try {
          log = encodeLog(JSON.parse(row.log) as SlsLog)
        } catch (err) {
          bad.push({ id: row.id, error: err instanceof Error ? err.message : String(err) })
          continue
        }
        // The first log always goes, even alone over the limit: it can never be sent otherwise.
        if (logs.length > 0 && bytes + logFieldSize(log) > maxBytes) {
          full = true
          break
        }
        if (logs.length === 0) firstId = row.id
        lastId = row.id
        logs.push(log)
        bytes += logFieldSize(log)
      }
      // Bad rows are dropped once the read is over: they cannot be sent, and would block the queue.
      for (const row of bad) {
        store.tx(() => removeOne.run(row.id))
        onBadRow(row)
      }
      if (logs.length === 0) return undefined
      return { firstId, lastId, logs, bytes, full: full || rows === maxLogs }
    },
    remove(batch) {
      store.tx(() => removeRange.run(batch.firstId, batch.lastId))
    },
    count: () => (count.get() as { n: number }).n,
  }
}
