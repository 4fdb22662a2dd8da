/**
 * The V8 flags kubeding sets on itself (src/memory-flags.ts): they are every flag V8 derives from
 * `--heap-growing-percent=30 --max-opt=2 --liftoff-only` on a command line, and set on a running
 * process they take. After a burst, the memory is given back once, by a memory-reducing collection.
 */
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { startCommand } from '../../scripts/build.ts'
import { MEMORY_FLAGS, releaseAfterBurst } from '../../src/memory-flags.ts'

const MODULE = new URL('../../src/memory-flags.ts', import.meta.url).href

/** The values of all V8 flags a node started with `flags` has. */
const flagValues = (flags: string[]) =>
  execFileSync(process.execPath, [...flags, '--print-flag-values', '-e', '0'], {
    encoding: 'utf8',
  }).split('\n')

t.test('they are what V8 derives from the three flags on a command line', async (t) => {
  const plain = new Set(flagValues([]))
  const derived = flagValues(['--heap-growing-percent=30', '--max-opt=2', '--liftoff-only']).filter(
    (v) => !plain.has(v),
  )
  t.same(
    derived.sort(),
    [...MEMORY_FLAGS].sort(),
    'V8 draws implications only from the command line, so each one is in the list',
  )
  t.notOk(
    MEMORY_FLAGS.some((f) => f.includes('optimize-for-size')),
    'no memory-reducing collection every time (releaseAfterBurst does it once per burst)',
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

t.test('the memory is given back once per burst, after it has been quiet a while', async (t) => {
  let collections = 0
  const memory = releaseAfterBurst(() => collections++, 50)
  await new Promise((resolve) => setTimeout(resolve, 120))
  t.equal(collections, 0, 'no burst, no collection')
  for (let i = 0; i < 6; i++) {
    memory.busy()
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  t.equal(collections, 0, 'none while batches keep coming')
  await new Promise((resolve) => setTimeout(resolve, 120))
  t.equal(collections, 1, 'one once it was quiet')
  memory.busy()
  await new Promise((resolve) => setTimeout(resolve, 120))
  t.equal(collections, 2, 'and one after the next burst')
})

t.test(
  "set on a running process, the collection after a burst is V8's memory-reducing one",
  async (t) => {
    const out = execFileSync(
      process.execPath,
      [
        '--trace-gc',
        '--input-type=module',
        '-e',
        `import { useMemoryFlags } from ${JSON.stringify(MODULE)}
      const memory = useMemoryFlags()
      console.log('burst')
      memory.busy()
      setTimeout(() => console.log('quiet'), 1000)`,
      ],
      { encoding: 'utf8' },
    )
    const afterBurst = out.slice(out.indexOf('burst'), out.indexOf('quiet'))
    t.match(
      afterBurst,
      /Mark-Compact \(reduce\)[^\n]*testing/,
      'a full collection that reduces memory',
    )
    t.notMatch(out.slice(0, out.indexOf('burst')), /\(reduce\)/, 'none before the burst')
  },
)
