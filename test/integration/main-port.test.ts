/**
 * A port already in use, as an operator meets it: the real process (`bin/kubeding.js`) ends with
 * one line naming `server.port` / `PORT` and a non-zero exit, not a stack trace.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const BIN = fileURLToPath(new URL('../../bin/kubeding.js', import.meta.url))

t.test('a port already in use: one line naming server.port and PORT, exit 1', async (t) => {
  const home = mkdtempSync(join(tmpdir(), 'kubeding-port-'))
  t.teardown(() => rmSync(home, { recursive: true, force: true }))
  const holder = createServer()
  await new Promise<void>((resolve) => holder.listen(0, '0.0.0.0', resolve))
  t.teardown(() => new Promise((resolve) => holder.close(resolve)))
  const { port } = holder.address() as { port: number }

  const env = {
    PATH: process.env.PATH ?? '',
    HOME: home,
    PORT: String(port),
    KUBECONFIG: join(home, 'none'),
  }
  const { code, stdout, stderr } = await new Promise<{
    code: number
    stdout: string
    stderr: string
  }>((resolve) => {
    execFile(
      process.execPath,
      [BIN],
      { env, cwd: home, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? Number((err as { code?: number }).code ?? -1) : 0, stdout, stderr })
      },
    )
  })
  t.equal(code, 1)
  const lines = `${stdout}${stderr}`.split('\n').filter((l) => /in use|EADDRINUSE/.test(l))
  t.equal(lines.length, 1, 'said once')
  const said = JSON.parse(lines[0] ?? '{}') as { level: number; msg: string; port: number }
  t.match(said, { level: 60, port })
  t.match(said.msg, `port ${port} on 0.0.0.0 is already in use`)
  t.match(said.msg, /server\.port.*PORT/)
  t.notMatch(`${stdout}${stderr}`, /\n\s+at |"stack"/, 'no stack trace')
})
