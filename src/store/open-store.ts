/**
 * Opens the embedded SQLite store in `state.dir` (node:sqlite, no native build) and brings its
 * schema up to date. Query modules (`events.ts`, `outbox.ts`, ...) prepare their statements on it.
 */
import { mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { MIGRATIONS } from './schema.ts'

/** The open store: one connection, used synchronously from the event loop. */
export interface Store {
  readonly db: DatabaseSync
  /** The database file, or ':memory:'. */
  readonly path: string
  /** Runs `fn` in one transaction (nested calls join the outer one); rolls back if it throws. */
  tx<T>(fn: () => T): T
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  /** Bytes on disk: the database file plus its write-ahead log. */
  sizeBytes(): number
  close(): void
}

/** File name of the store inside `state.dir`. */
export const STORE_FILE = 'kubeding.sqlite'

/**
 * Opens (creating if missing) `dir/kubeding.sqlite`, or an in-memory store for `:memory:`.
 * WAL with synchronous=NORMAL: a committed write survives SIGKILL of the process.
 */
export function openStore(dir: string): Store {
  const path = dir === ':memory:' ? ':memory:' : join(dir, STORE_FILE)
  if (path !== ':memory:') mkdirSync(dir, { recursive: true })
  const db = new DatabaseSync(path)
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;')
  // The default checkpoint (every 1,000 pages) fsyncs on nearly every commit of a busy ingest;
  // measured on 100,000 Warnings it was most of the time spent. A checkpoint every 10,000 pages
  // (a WAL of up to about 40 MB) keeps that cost off the event path.
  db.exec('PRAGMA wal_autocheckpoint = 10000;')
  // Memory must not grow with the archive (issue 10): the page cache is held at 2 MiB (SQLite's
  // default, written down so that no build option changes it; more measured no faster ingest),
  // and the file is read, not memory-mapped, since mapped pages of a large archive count in the
  // process's resident set as soon as a query touches them.
  db.exec('PRAGMA cache_size = -2048; PRAGMA mmap_size = 0;')
  migrate(db)
  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?')
  const setMeta = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  )
  let depth = 0
  return {
    db,
    path,
    tx<T>(fn: () => T): T {
      if (depth > 0) return fn()
      depth++
      db.exec('BEGIN IMMEDIATE')
      try {
        const result = fn()
        db.exec('COMMIT')
        return result
      } catch (err) {
        db.exec('ROLLBACK')
        throw err
      } finally {
        depth--
      }
    },
    getMeta: (key) => (getMeta.get(key) as { value: string } | undefined)?.value,
    setMeta: (key, value) => {
      setMeta.run(key, value)
    },
    sizeBytes() {
      if (path === ':memory:') {
        const row = db
          .prepare(
            'SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()',
          )
          .get() as { bytes: number }
        return row.bytes
      }
      return fileSize(path) + fileSize(`${path}-wal`)
    },
    close() {
      if (db.isOpen) db.close()
    },
  }
}

function migrate(db: DatabaseSync): void {
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as {
    user_version: number
  }
  if (version > MIGRATIONS.length) {
    throw new Error(
      `the store was written by a newer kubeding (schema ${version}, this one knows ${MIGRATIONS.length}): use a newer version or another state.dir`,
    )
  }
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.exec('BEGIN')
    db.exec(MIGRATIONS[v] as string)
    db.exec(`PRAGMA user_version = ${v + 1}`)
    db.exec('COMMIT')
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}
