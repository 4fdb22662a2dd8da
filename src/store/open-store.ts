/**
 * Opens the embedded SQLite store in `state.dir` (node:sqlite, no native build) and brings its
 * schema up to date. Query modules (`events.ts`, `outbox.ts`, ...) prepare their statements on it.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { setTimeout as sleep } from 'node:timers/promises'
import { MIGRATIONS, type Migration } from './schema.ts'
import { describeStoreFailure, storeFailureKind } from './store-health.ts'

/** The open store: one connection, used synchronously from the event loop. */
export interface Store {
  readonly db: DatabaseSync
  /** The database file's absolute path, or ':memory:'. */
  readonly path: string
  /**
   * Runs `fn` in one transaction (nested calls join the outer one); rolls back if it throws.
   * With a batch open, its settler commits the batch first: a transaction never joins a batch.
   */
  tx<T>(fn: () => T): T
  /**
   * Runs `fn` in the batch: a transaction that stays open after `fn` returns, so that the writes
   * of the next call join the same commit (the pipeline takes in a burst of events one by one as
   * they come, and commits them together). Begins the batch if none is open, with `settle` as
   * what commits it (see `settle`); `tx` calls inside `fn` join it. A statement run outside any
   * transaction while the batch is open would join it too, and be rolled back with it: every
   * write outside the pipeline runs in a `tx` of its own.
   */
  batch<T>(fn: () => T, settle: () => void): T
  /** Commits the open batch, if any (rolls it back and throws if the commit fails). */
  commitBatch(): void
  /** Rolls the open batch back, if any. */
  abandonBatch(): void
  /**
   * Has the batch's owner commit it (its `settle`), if one is open: for a reader that must see
   * only what is committed (the notifier sends nothing a failed commit could take back).
   */
  settle(): void
  getMeta(key: string): string | undefined
  setMeta(key: string, value: string): void
  /** Bytes on disk: the database file plus its write-ahead log. */
  sizeBytes(): number
  close(): void
}

/** File name of the store inside `state.dir`. */
export const STORE_FILE = 'kubeding.sqlite'

/** Page size of a store being created. */
const PAGE_SIZE = 16_384
/** WAL size at which a commit checkpoints it into the database file. */
const CHECKPOINT_BYTES = 40_960_000

/**
 * Opens (creating if missing) `dir/kubeding.sqlite`, or an in-memory store for `:memory:`.
 * WAL with synchronous=NORMAL: a committed write survives SIGKILL of the process. `onUpgrade`
 * is told before the schema of an existing store is upgraded (a one-off that may take seconds).
 */
export function openStore(dir: string, onUpgrade?: (from: number, to: number) => void): Store {
  // Absolute, so that every message about it names the file wherever kubeding was started.
  const path = dir === ':memory:' ? ':memory:' : resolve(dir, STORE_FILE)
  let db: DatabaseSync | undefined
  try {
    if (path !== ':memory:') mkdirSync(dir, { recursive: true })
    db = new DatabaseSync(path)
    // Only a store being created takes it (one made with SQLite's default 4 KiB keeps its pages).
    // A commit writes each page it changed to the WAL in two writes (frame header, page): at
    // 16 KiB an ingest's appends take a quarter as many pages, so a quarter as many writes.
    // Measured on 100,000 routed Warnings streamed through the built service, 3 runs each,
    // alternating: 24,300-25,800 events per CPU-second at 4 KiB, 26,800-28,900 at 16 KiB (system
    // time -20 %), 26,600-28,400 at 8 KiB, no better at 32 KiB and worse at 64 KiB.
    db.exec(`PRAGMA page_size = ${PAGE_SIZE};`)
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000;')
    // The default checkpoint (every 1,000 pages) fsyncs on nearly every commit of a busy ingest;
    // measured on 100,000 Warnings it was most of the time spent. A checkpoint once the WAL holds
    // about 40 MB, whatever the store's page size, keeps that cost off the event path.
    const { page_size: pageSize } = db.prepare('PRAGMA page_size').get() as { page_size: number }
    db.exec(`PRAGMA wal_autocheckpoint = ${Math.ceil(CHECKPOINT_BYTES / pageSize)};`)
    // Memory must not grow with the archive (issue 10): the page cache is held at 2 MiB (SQLite's
    // default, written down so that no build option changes it; more measured no faster ingest),
    // and the file is read, not memory-mapped, since mapped pages of a large archive count in the
    // process's resident set as soon as a query touches them.
    db.exec('PRAGMA cache_size = -2048; PRAGMA mmap_size = 0;')
    migrate(db, onUpgrade)
  } catch (err) {
    if (db?.isOpen) db.close()
    throw new StoreOpenError(path, err)
  }
  return wrap(db, path)
}

/** Opening the store failed; the message names the file, `state.dir` and what to do. */
export class StoreOpenError extends Error {
  /** True when waiting may heal it (a full or failing disk, a lock held by another process). */
  readonly healable: boolean
  constructor(path: string, cause: unknown) {
    const kind = storeFailureKind(cause)
    const code = (cause as { code?: unknown } | null)?.code
    super(
      kind
        ? describeStoreFailure(cause, path)
        : code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR'
          ? `the store ${path} cannot be created (${String(cause)}): make state.dir writable by kubeding's user`
          : code === 'ENOSPC'
            ? `the store ${path} cannot be created (${String(cause)}): the disk of state.dir is full; free space there`
            : `the store ${path} cannot be opened: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    )
    this.name = 'StoreOpenError'
    this.healable = kind === 'full' || kind === 'io' || kind === 'busy' || code === 'ENOSPC'
  }
}

/**
 * Opens the store, waiting while the failure is one that waiting heals (a full disk that frees
 * up): each attempt logs what to do, retries back off from 1 s to 30 s. Other failures (damaged,
 * read-only) throw at once: a restart would not help.
 */
export async function openStoreWhenPossible(
  dir: string,
  logger: { error(obj: object, msg: string): void; info(obj: object, msg: string): void },
  backoff = { initialMs: 1_000, maxMs: 30_000 },
): Promise<Store> {
  const file = resolve(dir, STORE_FILE)
  // Said, not silent: a store that vanished (a wiped volume) also looks like a first start.
  if (dir !== ':memory:' && !existsSync(file))
    logger.info(
      { store: file },
      'no store in state.dir yet: a first start. The events already in the cluster are taken in without alerting; only what happens from now on is alerted',
    )
  for (let attempt = 0; ; attempt++) {
    try {
      return openStore(dir, (from, to) =>
        logger.info(
          { store: file, from, to },
          'upgrading the store to this version: a one-off before kubeding listens (up to about a second per 100,000 events)',
        ),
      )
    } catch (err) {
      if (!(err instanceof StoreOpenError) || !err.healable) throw err
      const retryInMs = Math.min(backoff.initialMs * 2 ** attempt, backoff.maxMs)
      logger.error({ retryInMs, attempt }, `${err.message}; retrying`)
      await sleep(retryInMs)
    }
  }
}

function wrap(db: DatabaseSync, path: string): Store {
  const getMeta = db.prepare('SELECT value FROM meta WHERE key = ?')
  const setMeta = db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  )
  let depth = 0
  /** What commits the open batch; undefined while none is open. */
  let settler: (() => void) | undefined
  const settle = () => {
    if (depth === 0) settler?.()
  }
  /**
   * Rolls back what is open. SQLite rolls back by itself on some failures (SQLITE_FULL, I/O
   * errors, a failed COMMIT): a second ROLLBACK would throw "no transaction is active" and hide
   * the error that matters. A closed store (stopping) has nothing open.
   */
  const rollBack = () => {
    if (db.isOpen && db.isTransaction) db.exec('ROLLBACK')
  }
  return {
    db,
    path,
    tx<T>(fn: () => T): T {
      if (depth > 0) return fn()
      settle()
      // Counted once begun: a BEGIN that fails (a store that cannot be written) opened nothing,
      // and every later call would otherwise run outside any transaction.
      db.exec('BEGIN IMMEDIATE')
      depth++
      try {
        const result = fn()
        db.exec('COMMIT')
        return result
      } catch (err) {
        rollBack()
        throw err
      } finally {
        depth--
      }
    },
    batch(fn, settleBatch) {
      if (depth > 0) return fn()
      if (settler === undefined) {
        db.exec('BEGIN IMMEDIATE')
        settler = settleBatch
      }
      depth++
      try {
        return fn()
      } finally {
        depth--
      }
    },
    commitBatch() {
      if (settler === undefined) return
      settler = undefined
      try {
        db.exec('COMMIT')
      } catch (err) {
        rollBack()
        throw err
      }
    },
    abandonBatch() {
      if (settler === undefined) return
      settler = undefined
      rollBack()
    },
    settle,
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
      // An open batch is rolled back: its owner commits it before (the service's stop).
      settler = undefined
      if (db.isOpen) db.close()
    },
  }
}

function migrate(db: DatabaseSync, onUpgrade?: (from: number, to: number) => void): void {
  const { user_version: version } = db.prepare('PRAGMA user_version').get() as {
    user_version: number
  }
  if (version > MIGRATIONS.length) {
    throw new Error(
      `the store was written by a newer kubeding (schema ${version}, this one knows ${MIGRATIONS.length}): use a newer version or another state.dir`,
    )
  }
  // A store just created (version 0) has nothing to rewrite.
  if (version > 0 && version < MIGRATIONS.length) onUpgrade?.(version, MIGRATIONS.length)
  for (let v = version; v < MIGRATIONS.length; v++) {
    db.exec('BEGIN')
    const migration = MIGRATIONS[v] as Migration
    if (typeof migration === 'string') db.exec(migration)
    else migration(db)
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
