import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import {
  createStoreHealth,
  describeStoreFailure,
  isStoreFailure,
} from '../../../src/store/store-health.ts'
import { recordingLogger } from '../../helpers/fake-kube-api.ts'

const sqliteError = (errcode: number, message: string) =>
  Object.assign(new Error(message), { code: 'ERR_SQLITE_ERROR', errcode })

t.test('each store failure is told with the file, state.dir and what to do', async (t) => {
  const file = '/var/lib/kubeding/kubeding.sqlite'
  const cases: [number, RegExp][] = [
    [13, /full or failing.*free space/],
    [10 | (3 << 8), /full or failing/], // SQLITE_IOERR_WRITE: the primary code decides
    [8, /writable/],
    [14, /writable/],
    [11, /damaged.*move the file/],
    [26, /damaged/],
    [5, /another process/],
  ]
  for (const [code, advice] of cases) {
    const text = describeStoreFailure(sqliteError(code, 'x'), file)
    t.match(text, file, `code ${code} names the file`)
    t.match(text, /state\.dir \(\/var\/lib\/kubeding\)/)
    t.match(text, advice)
    t.ok(isStoreFailure(sqliteError(code, 'x')))
  }
  t.match(
    describeStoreFailure(Object.assign(new Error('closed'), { code: 'ERR_INVALID_STATE' }), file),
    /is closed/,
  )
  t.notOk(isStoreFailure(sqliteError(19, 'constraint failed')), "one row's constraint is not")
  t.notOk(isStoreFailure(new TypeError('bad value')))
  t.match(describeStoreFailure('odd', file), /refused a write \(odd\)/)
})

t.test('a failure is logged when it starts and when it ends, not on every retry', async (t) => {
  const log = recordingLogger()
  let now = 1_000
  const health = createStoreHealth({ path: ':memory:', logger: log.logger, now: () => now })
  t.equal(health.problem(), undefined)
  health.succeeded()
  health.failed(sqliteError(13, 'database or disk is full'), 'taking in events')
  health.failed(sqliteError(13, 'database or disk is full'), 'taking in events')
  t.match(health.problem(), /full or failing/)
  now += 5_000
  health.succeeded()
  t.equal(health.problem(), undefined)
  t.same(
    log.lines.map((l) => [l.level, l.obj.downForMs ?? l.obj.doing]),
    [
      ['error', 'taking in events'],
      ['info', 5_000],
    ],
  )
  health.checkFile()
  t.equal(health.problem(), undefined, 'an in-memory store has no file to lose')
})

t.test('a store file replaced under kubeding is noticed once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-health-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'kubeding.sqlite')
  writeFileSync(file, 'a')
  const log = recordingLogger()
  const health = createStoreHealth({ path: file, logger: log.logger, now: () => 0 })
  health.checkFile()
  t.equal(health.problem(), undefined, 'the same file')
  writeFileSync(join(dir, 'other'), 'b')
  renameSync(join(dir, 'other'), file)
  health.checkFile()
  health.checkFile()
  t.match(health.problem(), /was replaced while kubeding runs/)
  t.equal(log.lines.length, 1)
})
