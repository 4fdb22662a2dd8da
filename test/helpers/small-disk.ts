/**
 * A disk that fills up, for the store-failure tests: a real tmpfs of a few MB mounted for
 * the test (and unmounted at teardown) where the machine allows it. Where mounting is not
 * allowed (not root), the same SQLite failure is injected through a narrow seam instead: SQLite's
 * own `PRAGMA max_page_count` makes the store "full" (SQLITE_FULL, as a full disk gives).
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DatabaseSync } from 'node:sqlite'
import type { Test } from 'tap'

export interface SmallDisk {
  /** The directory to use as `state.dir`. */
  dir: string
  /** True for a real tmpfs; false where the failure is injected. */
  real: boolean
  /**
   * Fills the disk so that the next write that grows the store fails; where the failure is
   * injected, through the open store `db` (which must then be given).
   */
  fill(db?: DatabaseSync): void
  /** Frees it again. */
  free(db?: DatabaseSync): void
}

/** A tmpfs of `sizeKb` at a fresh directory, or the injected seam where mounting fails. */
export function createSmallDisk(t: Test, sizeKb = 4096): SmallDisk {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-disk-'))
  // KUBEDING_TEST_NO_MOUNT=1 takes the injected path even as root, to prove it works too (not for
  // the read-only test: file modes do not bind root).
  let real = process.env.KUBEDING_TEST_NO_MOUNT !== '1'
  if (real)
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir], {
        stdio: 'ignore',
      })
    } catch {
      real = false
    }
  t.teardown(() => {
    // Lazy: the service under test may still hold the files open while its own teardown runs.
    if (real) execFileSync('umount', ['-l', dir], { stdio: 'ignore' })
    rmSync(dir, { recursive: true, force: true })
  })
  const filler = join(dir, 'filler')
  return {
    dir,
    real,
    fill(db) {
      if (!real) {
        if (!db) throw new Error('small disk: an injected failure needs the open store')
        // Below the current size it means "no more pages than now".
        db.exec('PRAGMA max_page_count = 1')
        return
      }
      const fd = openSync(filler, 'a')
      try {
        for (const chunk of [65_536, 4_096, 512, 1]) {
          const bytes = Buffer.alloc(chunk, 1)
          try {
            for (;;) writeSync(fd, bytes)
          } catch (err) {
            if ((err as { code?: string }).code !== 'ENOSPC') throw err
          }
        }
      } finally {
        closeSync(fd)
      }
    },
    free(db) {
      if (!real) {
        db?.exec('PRAGMA max_page_count = 1073741823')
        return
      }
      unlinkSync(filler)
    },
  }
}
