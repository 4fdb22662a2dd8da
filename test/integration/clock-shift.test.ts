/**
 * The guard that no test reads the calendar: the files whose service runs on the tests' clock
 * (retention, grouping windows, mutes, rate budgets, signature skew) run again with that clock
 * a year ahead. A fixture that writes a date instead of building it from the clock fails here
 * long before the calendar reaches it.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'

const TIME_SENSITIVE = [
  'push-path.test.ts',
  'chatops-push.test.ts',
  'chatops-restart.test.ts',
  'chatops-http.test.ts',
  'kube-node-cache.test.ts',
  'node-conditions.test.ts',
  'node-conditions-restart.test.ts',
  'store-retention.test.ts',
  'bad-events.test.ts',
]

/** Runs one test file as its own process (tap files run under plain node); resolves its exit. */
function runShifted(file: string, days: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(new URL(file, import.meta.url))], {
      env: { ...process.env, KUBEDING_TEST_CLOCK_SHIFT_DAYS: String(days) },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (d: Buffer) => (output += d))
    child.stderr.on('data', (d: Buffer) => (output += d))
    child.on('close', (code) => resolve({ code, output }))
  })
}

// The files run one after another, each in its own process: more than tap's 30 s per file on a
// busy machine, so this file asks for longer.
t.setTimeout(300_000)

for (const file of TIME_SENSITIVE) {
  t.test(`${file} passes with the clock a year ahead`, async (t) => {
    const { code, output } = await runShifted(file, 366)
    t.equal(
      code,
      0,
      code === 0
        ? 'passed'
        : output
            .split('\n')
            .filter((l) => /not ok/.test(l))
            .join('\n'),
    )
  })
}
