/**
 * The node-problem-detector plugin scripts the chart ships for alibaba_cloud_plugins. They speak
 * NPD's custom-plugin protocol: exit 0 (fine), 1 (problem) or 2 (unknown), message on the first
 * line, at most 80 characters (the monitors' max_output_length). Run with /bin/sh (dash on Debian,
 * as in NPD's image) against fake /proc files and a fake `df`.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const scripts = join(import.meta.dirname, '../../../deploy/helm/kubeding/files/npd-plugins')

function run(
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { status: number | null; message: string } {
  const result = spawnSync('/bin/sh', [join(scripts, script), ...args], { encoding: 'utf8', env })
  const message = result.stdout.split('\n')[0] ?? ''
  return { status: result.status, message }
}

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-npd-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('check-fd.sh compares file handles in use with fs.file-max', async (t) => {
  const dir = scratch(t)
  const fileNr = join(dir, 'file-nr')
  // The kernel separates file-nr's three numbers with tabs.
  writeFileSync(fileNr, '900\t0\t1000\n')
  t.same(run('check-fd.sh', ['80', fileNr]), {
    status: 1,
    message: 'file handles in use: 900 of 1000 (90%)',
  })
  t.same(run('check-fd.sh', ['95', fileNr]), { status: 0, message: 'node has no fd pressure' })
  t.equal(run('check-fd.sh', ['90', fileNr]).status, 1, 'at the threshold is a problem')
  writeFileSync(fileNr, '1024\t0\t9223372036854775807\n')
  t.equal(run('check-fd.sh', ['80', fileNr]).status, 0, 'an unlimited file-max')
  writeFileSync(fileNr, 'garbage\n')
  t.equal(run('check-fd.sh', ['80', fileNr]).status, 2, 'unreadable content is unknown')
  t.equal(run('check-fd.sh', ['80', join(dir, 'missing')]).status, 2, 'a missing file is unknown')
  t.equal(run('check-fd.sh', ['80']).status, 0, "this machine's own /proc/sys/fs/file-nr")
})

t.test('check-conntrack.sh reports a nearly full conntrack table', async (t) => {
  const dir = scratch(t)
  const count = join(dir, 'count')
  const max = join(dir, 'max')
  writeFileSync(max, '262144\n')
  writeFileSync(count, '260000\n')
  t.same(run('check-conntrack.sh', ['90', count, max]), {
    status: 1,
    message: 'conntrack table 99% full: 260000 of 262144',
  })
  writeFileSync(count, '1000\n')
  t.same(run('check-conntrack.sh', ['90', count, max]), {
    status: 0,
    message: 'conntrack table has room',
  })
  t.equal(run('check-conntrack.sh', ['90', join(dir, 'none'), max]).status, 2, 'no table')
  writeFileSync(max, '0\n')
  t.equal(run('check-conntrack.sh', ['90', count, max]).status, 2, 'a zero maximum')
})

t.test('check-inodes.sh reads df -Pi for the given path', async (t) => {
  const dir = scratch(t)
  const bin = join(dir, 'bin')
  const fakeDf = (line: string, status = 0) => {
    writeFileSync(
      join(bin, 'df'),
      `#!/bin/sh\n[ "$1 $2" = "-Pi /var/log" ] || exit 9\necho 'Filesystem Inodes IUsed IFree IUse% Mounted on'\necho '${line}'\nexit ${status}\n`,
    )
    chmodSync(join(bin, 'df'), 0o755)
  }
  mkdirSync(bin)
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` }
  fakeDf('/dev/vda1 1000 850 150 85% /var/log')
  t.same(run('check-inodes.sh', ['80', '/var/log'], env), {
    status: 1,
    message: 'inodes in use on /var/log: 850 of 1000 (85%)',
  })
  t.same(run('check-inodes.sh', ['90', '/var/log'], env), {
    status: 0,
    message: 'node has no inode pressure',
  })
  fakeDf('/dev/sda2 0 0 0 - /var/log')
  t.equal(run('check-inodes.sh', ['80', '/var/log'], env).status, 0, 'no inode table (btrfs)')
  fakeDf('overlay - - - - /var/log')
  t.equal(run('check-inodes.sh', ['80', '/var/log'], env).status, 2, 'no counts is unknown')
  fakeDf('', 1)
  t.equal(run('check-inodes.sh', ['80', '/var/log'], env).status, 2, 'df failing is unknown')
})

t.test('messages fit NPD max_output_length', async (t) => {
  const dir = scratch(t)
  const fileNr = join(dir, 'file-nr')
  writeFileSync(fileNr, '9223372036854775\t0\t9223372036854775\n')
  const { message } = run('check-fd.sh', ['1', fileNr])
  t.ok(message.length <= 80, `${message.length} characters: ${message}`)
})
