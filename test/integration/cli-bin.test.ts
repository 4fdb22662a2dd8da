/** `bin/kubeding.js` as a process: it refuses an old Node clearly instead of failing on syntax. */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'

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

t.test('an old Node is refused with how to get Node 24', async (t) => {
  for (const version of ['20.11.1', '22.18.0', '23.5.0']) {
    const { code, stderr } = await runAs(version)
    t.equal(code, 1, version)
    t.match(stderr, `kubeding needs Node.js 24 (22.19 or later works); this is Node.js ${version}.`)
    t.match(stderr, 'npm ci')
  }
})

t.test('a supported Node goes on to start kubeding', async (t) => {
  for (const version of ['22.19.0', '23.6.0', '24.0.0']) {
    const { stderr } = await runAs(version)
    t.notMatch(stderr, 'needs Node.js', version)
  }
})
