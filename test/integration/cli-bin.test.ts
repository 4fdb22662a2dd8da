/**
 * `bin/kubeding.js` as a process: it refuses an old Node clearly instead of failing on syntax,
 * and runs the bundle (dist/) unless the sources are newer.
 */
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'

const BIN = fileURLToPath(new URL('../../bin/kubeding.js', import.meta.url))

/** Runs the bin on this Node, but with `process.versions.node` reporting `version`. */
async function runAs(version: string) {
  const pretend = `Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '${version}' } })`
  try {
    await promisify(execFile)(process.execPath, [
      '--import',
      `data:text/javascript,${encodeURIComponent(pretend)}`,
      BIN,
      '--version',
    ])
    return { code: 0, stderr: '' }
  } catch (error) {
    const failed = error as { code: number; stderr: string }
    return { code: failed.code, stderr: failed.stderr }
  }
}

t.test('an old Node is refused in one line, with how to get Node 24', async (t) => {
  for (const version of ['20.11.1', '22.18.0', '23.5.0']) {
    const { code, stderr } = await runAs(version)
    t.equal(code, 1, version)
    t.match(stderr, `kubeding needs Node.js 24 (22.19 or later works); this is Node.js ${version}:`)
    t.match(stderr, 'npm rebuild node --ignore-scripts=false', 'the fix after ignore-scripts')
    t.equal(stderr.trimEnd().split('\n').length, 1, 'one line')
  }
})

t.test('a supported Node goes on to start kubeding', async (t) => {
  for (const version of ['22.19.0', '23.6.0', '24.0.0']) {
    const { stderr } = await runAs(version)
    t.notMatch(stderr, 'needs Node.js', version)
  }
})

/** A copy of the bin beside a stand-in bundle and sources that each say which one ran. */
function layout(t: Test, files: { dist?: number; src: number; nested?: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-bin-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const put = (path: string, text: string, mtimeSeconds?: number) => {
    mkdirSync(dirname(join(dir, path)), { recursive: true })
    writeFileSync(join(dir, path), text)
    if (mtimeSeconds !== undefined) utimesSync(join(dir, path), mtimeSeconds, mtimeSeconds)
  }
  put('package.json', '{"type":"module"}')
  put('bin/kubeding.js', readFileSync(BIN, 'utf8'))
  put('src/main.ts', "process.stdout.write('sources')", files.src)
  put('commands/index.ts', '', files.src - 10)
  if (files.nested !== undefined) put('src/kube/watch/deep.ts', '', files.nested)
  if (files.dist !== undefined)
    put('dist/kubeding.js', "process.stdout.write('bundle')", files.dist)
  return join(dir, 'bin/kubeding.js')
}

async function runBin(bin: string) {
  const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin])
  return { stdout, stderr }
}

t.test('the bundle runs when it is newer than every source', async (t) => {
  const { stdout, stderr } = await runBin(layout(t, { dist: 2_000_000_000, src: 1_900_000_000 }))
  t.equal(stdout, 'bundle')
  t.equal(stderr, '')
})

t.test(
  'sources newer than the bundle, or no bundle: the sources run, and it says why',
  async (t) => {
    const stale = await runBin(layout(t, { dist: 1_900_000_000, src: 2_000_000_000 }))
    t.equal(stale.stdout, 'sources')
    t.match(stale.stderr, /dist\/ is older than src\/; `npm run build`/)
    const missing = await runBin(layout(t, { src: 2_000_000_000 }))
    t.equal(missing.stdout, 'sources')
    t.match(missing.stderr, /dist\/ is not built/)
    t.equal(missing.stderr.trimEnd().split('\n').length, 1, 'in one line')
  },
)

t.test(
  'a source changed in a folder deep under src/ counts as much as one at its top',
  async (t) => {
    const deep = await runBin(
      layout(t, { dist: 1_950_000_000, src: 1_900_000_000, nested: 2_000_000_000 }),
    )
    t.equal(deep.stdout, 'sources')
    t.match(deep.stderr, /dist\/ is older than src\//)
    const older = await runBin(
      layout(t, { dist: 1_950_000_000, src: 1_900_000_000, nested: 1_920_000_000 }),
    )
    t.equal(older.stdout, 'bundle', 'older nested sources leave the bundle to run')
  },
)
