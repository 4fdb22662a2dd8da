/**
 * The V8 flags kubeding sets on itself (src/memory-flags.ts): they are every flag V8 derives from
 * `--optimize-for-size --max-opt=2 --liftoff-only` on a command line, and set on a running process
 * they take.
 */
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { startCommand } from '../../scripts/build.ts'
import { MEMORY_FLAGS } from '../../src/memory-flags.ts'

const MODULE = new URL('../../src/memory-flags.ts', import.meta.url).href

/** The values of all V8 flags a node started with `flags` has. */
const flagValues = (flags: string[]) =>
  execFileSync(process.execPath, [...flags, '--print-flag-values', '-e', '0'], {
    encoding: 'utf8',
  }).split('\n')

t.test('they are what V8 derives from the three flags on a command line', async (t) => {
  const plain = new Set(flagValues([]))
  const derived = flagValues(['--optimize-for-size', '--max-opt=2', '--liftoff-only']).filter(
    (v) => !plain.has(v),
  )
  t.same(
    derived.sort(),
    [...MEMORY_FLAGS, '--max-semi-space-size=1'].sort(),
    'V8 draws implications only from the command line, so each one is in the list',
  )
  t.ok(
    startCommand().flags.includes('--max-semi-space-size=1'),
    'the young generation is sized once, at start: that one stays on the command line',
  )
})

/**
 * Runs `body` as a module with V8's natives syntax. `body` defines `tier(n)`: whether its n-th
 * function reached TurboFan. Asked for the first before useMemoryFlags() and the second after.
 */
const beforeAndAfter = (body: string) =>
  JSON.parse(
    execFileSync(
      process.execPath,
      [
        '--allow-natives-syntax',
        '--input-type=module',
        '-e',
        `import { useMemoryFlags } from ${JSON.stringify(MODULE)}
        ${body}
        const before = await tier(1)
        useMemoryFlags()
        const after = await tier(2)
        console.log(JSON.stringify({ before, after }))`,
      ],
      { encoding: 'utf8' },
    ),
  ) as { before: boolean; after: boolean }

t.test('set on a running process, they stop TurboFan', async (t) => {
  // A function forced to optimize before and after: TurboFan's code only before.
  const tiers = beforeAndAfter(`
    const TURBOFAN = 1 << 6
    const functions = [(a) => a * 2 + 1, (a) => a * 3 + 1]
    const tier = (n) => {
      const f = functions[n - 1];
      %PrepareFunctionForOptimization(f);
      f(1);
      f(2);
      %OptimizeFunctionOnNextCall(f);
      f(3);
      return (%GetOptimizationStatus(f) & TURBOFAN) !== 0
    }
  `)
  t.same(tiers, { before: true, after: false })
})

t.test('set on a running process, they keep WebAssembly out of TurboFan', async (t) => {
  // A module exporting f(x) = x + n, called until TurboFan compiled it or 50 rounds passed. Each
  // is a module of its own: V8 shares the compiled code of identical modules.
  const tiers = beforeAndAfter(`
    const bytes = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 6, 1, 96, 1, 127, 1, 127, 3, 2, 1,
      0, 7, 5, 1, 1, 102, 0, 0, 10, 9, 1, 7, 0, 32, 0, 65, 1, 106, 11])
    const tier = async (n) => {
      bytes[35] = n
      const { instance } = await WebAssembly.instantiate(bytes)
      const f = instance.exports.f
      let x = 0
      for (let round = 0; round < 50 && !%IsTurboFanFunction(f); round++) {
        for (let i = 0; i < 100000; i++) x = f(x)
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      return %IsTurboFanFunction(f)
    }
  `)
  t.same(tiers, { before: true, after: false })
})
