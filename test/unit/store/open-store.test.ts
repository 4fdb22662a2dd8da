import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import t from 'tap'
import { openStore, STORE_FILE } from '../../../src/store/open-store.ts'
import { MIGRATIONS } from '../../../src/store/schema.ts'

t.test('creates the state dir and file, and reopens what it wrote', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'kubeding-store-')), 'nested', 'state')
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const store = openStore(dir)
  store.setMeta('k', 'v')
  t.ok(store.sizeBytes() > 0)
  store.close()
  store.close()
  const again = openStore(dir)
  t.teardown(() => again.close())
  t.equal(again.getMeta('k'), 'v')
  t.equal(again.getMeta('missing'), undefined)
})

t.test('a transaction that throws leaves nothing; nested ones join the outer', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  t.throws(() =>
    store.tx(() => {
      store.setMeta('a', '1')
      store.tx(() => store.setMeta('b', '2'))
      throw new Error('boom')
    }),
  )
  t.equal(store.getMeta('a'), undefined)
  t.equal(store.getMeta('b'), undefined)
  t.equal(
    store.tx(() => store.tx(() => 42)),
    42,
  )
  t.ok(store.sizeBytes() > 0, 'an in-memory store has a size too')
})

t.test('a store written by a newer kubeding is refused with what to do', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const db = new DatabaseSync(join(dir, STORE_FILE))
  db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`)
  db.close()
  t.throws(() => openStore(dir), /newer kubeding .*another state\.dir/)
})

t.test('the page cache is bounded and the file is not memory-mapped', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-store-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const store = openStore(dir)
  t.teardown(() => store.close())
  const pragma = (name: string) =>
    Object.values(store.db.prepare(`PRAGMA ${name}`).get() as Record<string, number>)[0]
  t.equal(pragma('cache_size'), -2048, '2 MiB of pages, whatever the archive holds')
  t.equal(pragma('mmap_size'), 0, 'read, not mapped into the resident set')
  t.equal(pragma('journal_mode'), 'wal')
})
