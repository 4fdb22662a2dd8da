/**
 * A deterministic PRNG for fuzz-style tests (mulberry32): the same seed gives the same inputs,
 * so a failure is reproduced by running with the seed it printed (`FUZZ_SEED=...`).
 */

export interface SeededRandom {
  readonly seed: number
  /** A float in [0, 1). */
  next(): number
  /** An integer in [0, n). */
  int(n: number): number
  /** One element of `items`. */
  pick<T>(items: readonly T[]): T
}

/** The seed from `FUZZ_SEED`, or a fresh one: each run explores new inputs, each failure is replayable. */
export function chooseSeed(env: NodeJS.ProcessEnv = process.env): number {
  const given = Number(env.FUZZ_SEED)
  return Number.isInteger(given) && given > 0 ? given : Math.floor(Math.random() * 2 ** 31) + 1
}

/** Creates the generator. */
export function createSeededRandom(seed: number): SeededRandom {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = state
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296
  }
  const int = (n: number) => Math.floor(next() * n)
  return { seed, next, int, pick: (items) => items[int(items.length)] as never }
}
