/**
 * The store's failures through the whole service: a disk that fills up (a real small tmpfs where
 * the machine allows it), a store file deleted while running, a damaged file at start (as a real
 * process). Each is logged with the file and what to do, `/readyz` and `status` tell the truth,
 * nothing crashes where waiting heals, and nothing taken in is lost once the disk has room again.
 */
import { execFile, execFileSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import type { Service } from '../../src/service.ts'
import { openStore, STORE_FILE } from '../../src/store/open-store.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { askChat, createRig, untilReady } from '../helpers/service-rig.ts'
import { createSmallDisk } from '../helpers/small-disk.ts'

const OUTGOING_TOKEN = 'outgoing-token-for-store-failures'
const BIN = fileURLToPath(new URL('../../bin/kubeding.js', import.meta.url))

/** Runs `kubeding` (no config: state.dir is `./data` under `home`) to its exit. */
function runKubeding(home: string) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [BIN],
      { env: { PATH: process.env.PATH ?? '', HOME: home }, cwd: home, timeout: 20_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

const readyz = async (s: Service) => {
  const res = await s.app.inject({ url: '/readyz' })
  return { code: res.statusCode, body: res.body }
}

const alertedNames = (rig: {
  dingtalk: { messages: { body: { markdown: { title: string } } }[] }
}) => rig.dingtalk.messages.map((m) => m.body.markdown.title).join('\n')

/** A message big enough that taking the event in must grow the store. */
const BIG = 'disk-filling message '.repeat(180)

t.test(
  'a full disk: no crash, /readyz 503 and status say why, and what came meanwhile is alerted once there is room',
  async (t) => {
    const disk = createSmallDisk(t)
    const rig = await createRig(t, {
      config: { language: 'en', state: { dir: disk.dir } },
      outgoing: { token: OUTGOING_TOKEN },
    })
    const service = await rig.start({
      notifierTuning: { digestSpacingMs: 50, retryDelayMs: 50, maxRetryDelayMs: 200 },
    })
    await untilReady(service)
    rig.kube.addEvent(buildEvent({ name: 'before-full', reason: 'Before', message: BIG }))
    await eventually(() => rig.dingtalk.messages.length === 1, 'the first alert')

    disk.fill(service.store.db)
    for (let i = 0; i < 3; i++)
      rig.kube.addEvent(buildEvent({ name: `while-full-${i}`, reason: 'WhileFull', message: BIG }))
    const file = join(disk.dir, STORE_FILE)
    await eventually(() => rig.logText().includes('cannot be written'), 'the failure logged')
    const down = await readyz(service)
    t.equal(down.code, 503, '/readyz tells the truth')
    t.match(down.body, file, 'naming the file')
    const status = await askChat(service, OUTGOING_TOKEN, 'status')
    t.match(status, /FAILING/, 'status says the store is failing')
    t.match(status, /free space/)
    const failure = rig
      .logText()
      .split('\n')
      .filter((l) => l.includes('cannot be written'))
    t.equal(failure.length, 1, 'logged once, not on every retry')
    t.match(failure[0], file)
    t.match(failure[0], /state\.dir/)
    t.match(failure[0], /full|disk/)
    t.notMatch(rig.logText(), 'cannot rollback', 'the disk error, not a rollback error')
    t.notMatch(alertedNames(rig), 'while-full')
    t.equal((await service.app.inject({ url: '/healthz' })).statusCode, 200, 'still alive')

    disk.free(service.store.db)
    await untilReady(service, 15_000)
    await eventually(
      () => [0, 1, 2].every((i) => alertedNames(rig).includes(`while-full-${i}`)),
      'what came while full is alerted',
      15_000,
    )
    await new Promise((r) => setTimeout(r, 500))
    const titles = alertedNames(rig)
    for (let i = 0; i < 3; i++)
      t.equal(titles.split(`while-full-${i}`).length - 1, 1, `while-full-${i} alerted once`)
    t.match(rig.logText(), 'the store can be written again')
    t.doesNotThrow(() => service.store.db.prepare('SELECT count(*) FROM events').get())
  },
)

t.test(
  'the store file deleted while running: /readyz 503, status and the log say so; the next start says it is a first start',
  async (t) => {
    const rig = await createRig(t, {
      config: { language: 'en' },
      outgoing: { token: OUTGOING_TOKEN },
    })
    const service = await rig.start()
    await untilReady(service)
    const file = join(rig.stateDir, STORE_FILE)
    unlinkSync(file)
    await eventually(() => rig.logText().includes('was deleted'), 'the deletion noticed')
    const down = await readyz(service)
    t.equal(down.code, 503)
    t.match(down.body, /was deleted/)
    t.match(down.body, file)
    t.match(await askChat(service, OUTGOING_TOKEN, 'status'), /FAILING.*deleted/)
    t.match(rig.logText(), /restart kubeding|Restore the file/)
    await rig.stop()
    const again = await rig.start()
    await untilReady(again)
    t.match(rig.logText(), /no store in state\.dir yet: a first start/)
  },
)

t.test(
  'a full disk at start is waited out (no crash loop); the service starts once there is room',
  async (t) => {
    const disk = createSmallDisk(t)
    const stateDir = join(disk.dir, 'state')
    mkdirSync(stateDir)
    const rig = await createRig(t, { config: { state: { dir: stateDir } } })
    // Room for nothing: the store cannot even write its header. Where no disk can be mounted,
    // another process holding the store's lock is the failure that waiting heals.
    let blocker: DatabaseSync | undefined
    if (disk.real) disk.fill()
    else {
      blocker = new DatabaseSync(join(stateDir, STORE_FILE))
      blocker.exec('PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; CREATE TABLE held (a)')
    }
    const starting = rig.start()
    await eventually(() => rig.logText().includes('retrying'), 'waiting, not crashing', 10_000)
    const line = rig
      .logText()
      .split('\n')
      .find((l) => l.includes('retrying'))
    t.match(line, join(stateDir, STORE_FILE), 'names the file')
    t.match(line, /state\.dir/)
    if (blocker) blocker.close()
    else disk.free()
    const service = await starting
    await untilReady(service, 15_000)
    t.pass('started once the disk had room')
  },
)

t.test(
  'a damaged store file at start: one line naming the file and state.dir, exit non-zero, no stack trace',
  async (t) => {
    const home = mkdtempSync(join(tmpdir(), 'kubeding-corrupt-'))
    t.teardown(() => rmSync(home, { recursive: true, force: true }))
    const stateDir = join(home, 'data')
    mkdirSync(stateDir)
    const file = join(stateDir, STORE_FILE)
    writeFileSync(file, 'this is not a database, it is what a broken disk left '.repeat(200))
    const { code, stderr, stdout } = await runKubeding(home)
    t.not(code, 0, 'exits non-zero')
    const lines = stderr.trim().split('\n')
    t.equal(lines.length, 1, `one line: ${stderr}`)
    t.match(lines[0], file)
    t.match(lines[0], /state\.dir/)
    t.match(lines[0], /damaged|not a database/)
    t.notMatch(stderr + stdout, /\n\s+at /, 'no stack trace')
  },
)

t.test(
  'a read-only store at start: one line naming the file and what to do, exit non-zero',
  async (t) => {
    const disk = createSmallDisk(t)
    const stateDir = join(disk.dir, 'data')
    const file = join(stateDir, STORE_FILE)
    openStore(stateDir).close()
    // A read-only filesystem where it can be mounted; else file modes (which bind a non-root user).
    if (disk.real) execFileSync('mount', ['-o', 'remount,ro', disk.dir])
    else {
      chmodSync(file, 0o444)
      chmodSync(stateDir, 0o555)
      t.teardown(() => chmodSync(stateDir, 0o755))
    }
    const { code, stderr, stdout } = await runKubeding(disk.dir)
    t.not(code, 0)
    const lines = stderr.trim().split('\n')
    t.equal(lines.length, 1, `one line: ${stderr}`)
    t.match(lines[0], file)
    t.match(lines[0], /writable/)
    t.match(lines[0], /state\.dir/)
    t.notMatch(stderr + stdout, /\n\s+at /, 'no stack trace')
  },
)
