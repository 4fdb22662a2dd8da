/**
 * Whether the store can be written, told in words an operator can act on: a full disk, a
 * read-only or damaged file, a file deleted while kubeding runs. `/readyz` and `status` read it;
 * a failure is logged once when it starts (naming the file and what to do) and once when it ends,
 * not on every retry.
 */
import { statSync } from 'node:fs'
import { dirname } from 'node:path'

/** SQLite's primary result codes that say the store itself is unwell, not one event's values. */
const STORE_CODES = new Map<number, 'full' | 'io' | 'readonly' | 'corrupt' | 'busy'>([
  [5, 'busy'], // SQLITE_BUSY
  [6, 'busy'], // SQLITE_LOCKED
  [7, 'io'], // SQLITE_NOMEM
  [8, 'readonly'], // SQLITE_READONLY
  [10, 'io'], // SQLITE_IOERR
  [11, 'corrupt'], // SQLITE_CORRUPT
  [13, 'full'], // SQLITE_FULL
  [14, 'readonly'], // SQLITE_CANTOPEN
  [26, 'corrupt'], // SQLITE_NOTADB
])

/** What kind of store failure `err` is, or undefined when it is not one (a bad value, a bug). */
export function storeFailureKind(
  err: unknown,
): 'full' | 'io' | 'readonly' | 'corrupt' | 'busy' | 'closed' | undefined {
  const e = err as { code?: unknown; errcode?: unknown } | null
  if (e?.code === 'ERR_INVALID_STATE') return 'closed'
  if (e?.code !== 'ERR_SQLITE_ERROR' || typeof e.errcode !== 'number') return undefined
  return STORE_CODES.get(e.errcode & 0xff)
}

/** True when `err` says the store cannot be written (as opposed to one event's values). */
export const isStoreFailure = (err: unknown): boolean => storeFailureKind(err) !== undefined

/** What the operator should do about a failure of `file`, in one sentence. */
export function describeStoreFailure(err: unknown, file: string): string {
  const dir = dirname(file)
  const cause = err instanceof Error ? err.message : String(err)
  switch (storeFailureKind(err)) {
    case 'full':
    case 'io':
      return `the store ${file} cannot be written (${cause}): the disk of state.dir (${dir}) is full or failing; free space there. kubeding keeps what it took in, retries, and takes in what it missed once it can write`
    case 'readonly':
      return `the store ${file} cannot be opened for writing (${cause}): make state.dir (${dir}) and the file writable by kubeding's user`
    case 'corrupt':
      return `the store ${file} is damaged (${cause}): stop kubeding and move the file out of state.dir (${dir}), or restore a backup; without it, the next start counts as a first start`
    case 'busy':
      return `the store ${file} is locked by another process (${cause}): run one kubeding per state.dir (${dir})`
    case 'closed':
      return `the store ${file} is closed (${cause})`
    default:
      return `the store ${file} refused a write (${cause})`
  }
}

export interface StoreHealth {
  /** A store write failed while `doing`; logged when a failure starts. */
  failed(err: unknown, doing: string): void
  /** A write that changed the store committed: the failure, if any, is over. */
  succeeded(): void
  /** Checks that the file is still the one opened (not deleted or replaced); call on a timer. */
  checkFile(): void
  /** Why the store cannot be trusted now, or undefined while it is healthy. */
  problem(): string | undefined
}

export interface StoreHealthOptions {
  /** The database file, or ':memory:'. */
  path: string
  logger: { error(obj: object, msg: string): void; info(obj: object, msg: string): void }
  now: () => number
}

/** Starts healthy; remembers the file's identity to notice it being deleted or replaced. */
export function createStoreHealth(o: StoreHealthOptions): StoreHealth {
  const identity = fileIdentity(o.path)
  let writeProblem: { text: string; since: number } | undefined
  let fileProblem: string | undefined
  return {
    failed(err, doing) {
      if (writeProblem) return
      const text = describeStoreFailure(err, o.path)
      writeProblem = { text, since: o.now() }
      o.logger.error({ store: o.path, doing, err: String(err) }, text)
    },
    succeeded() {
      if (!writeProblem) return
      o.logger.info(
        { store: o.path, downForMs: o.now() - writeProblem.since },
        'the store can be written again',
      )
      writeProblem = undefined
    },
    checkFile() {
      if (identity === undefined || fileProblem) return
      const current = fileIdentity(o.path)
      if (current === identity) return
      fileProblem = `the store ${o.path} was ${current === undefined ? 'deleted' : 'replaced'} while kubeding runs: what it takes in now goes to a file that is gone, and the next start counts as a first start (events already in the cluster are taken in without alerting). Restore the file, or restart kubeding to begin a new store in state.dir (${dirname(o.path)})`
      o.logger.error({ store: o.path }, fileProblem)
    },
    problem: () => fileProblem ?? writeProblem?.text,
  }
}

/** `dev:ino` of the file, or undefined when it does not exist (or for ':memory:'). */
function fileIdentity(path: string): string | undefined {
  if (path === ':memory:') return undefined
  try {
    const s = statSync(path)
    return `${s.dev}:${s.ino}`
  } catch {
    return undefined
  }
}
