/**
 * The V8 flags that keep kubeding's memory small, set by kubeding itself once its code is loaded
 * instead of on node's command line, and the collection that gives a burst's memory back. Node
 * ships its built-in modules (node:https, node:tls, node:sqlite, ...) with V8's compiled code,
 * which V8 only accepts under the flags it was made with: a flag that changes compiled code on the
 * command line made it recompile every built-in kubeding loads, and start to ready measured
 * ~50 ms longer (2 cores, 10 starts each, interleaved). `--max-semi-space-size` changes no
 * compiled code and stays on the command line (V8 sizes its young generation once, at start).
 *
 * - `--heap-growing-percent=30`: after each full collection the old generation may grow by 30 %
 *   before the next, where V8 would otherwise allow it to double or more on a machine with
 *   memory to spare. It bounds what a long burst holds (after 1,000,000 events the resident set
 *   stays within a few MiB of the figure after 100,000).
 * - `--max-opt=2`: no tier beyond Maglev, so TurboFan's own code in the node binary (~5 MiB
 *   resident once it runs) is never paged in; the CPU per event did not measurably change.
 * - `--liftoff-only`: WebAssembly stays in its baseline code. fetch() parses DingTalk's answers
 *   with Node's WebAssembly llhttp, which got hot somewhere between 100,000 and 1,000,000 events
 *   and was compiled again by TurboFan: 3.4 MiB of its code paged in then (the node binary's
 *   resident pages, by symbol), most of what the resident set grew by between those two figures.
 *
 * Not `--optimize-for-size`, which kubeding used before: it makes every full collection a
 * memory-reducing one (~20 ms of pause against ~5 ms, traced over the same ingest) and took a
 * quarter of the CPU kubeding spent taking in new alerts. What it bought, pages handed back to the
 * system at once, `releaseAfterBurst` buys once per burst instead (see there).
 *
 * V8 draws a flag's implications only from the command line: set later, `--max-opt=2` alone
 * still lets TurboFan compile hot functions, so what each flag implies is set too (the list
 * `node --max-opt=2 --liftoff-only --print-flag-values` shows).
 */
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

export const MEMORY_FLAGS = [
  '--heap-growing-percent=30',
  '--max-opt=2',
  '--no-turbofan',
  '--no-opt',
  '--no-osr-from-maglev',
  '--liftoff-only',
  '--no-wasm-tier-up',
  '--no-wasm-dynamic-tiering',
] as const

/**
 * How long after the last batch of a burst the memory is given back. Inside a burst batches come
 * every 40 ms at most (pipeline.ts, BACKLOG_WAIT_MS), so this much quiet means it is over.
 */
export const QUIET_MS = 400

/** V8's collector as `--expose-gc` gives it to a new context. */
type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void

/** Tells that a burst is under way; the memory is given back once it has been quiet a while. */
export interface MemoryRelease {
  busy(): void
}

/**
 * Calls `collect` once `quietMs` passed without `busy()`. Without a call to `busy()` nothing
 * happens: a service that takes in a few events at a time never collects on kubeding's behalf.
 */
export function releaseAfterBurst(collect: () => void, quietMs = QUIET_MS): MemoryRelease {
  let timer: NodeJS.Timeout | undefined
  const release = () => {
    timer = undefined
    collect()
  }
  return {
    busy() {
      if (timer) timer.refresh()
      else {
        timer = setTimeout(release, quietMs)
        timer.unref()
      }
    },
  }
}

/**
 * Sets MEMORY_FLAGS on this process's V8 (call once the code that runs at start is loaded) and
 * returns what gives a burst's memory back: V8's last-resort collection, the one a low-memory
 * signal runs. It compacts the heap and returns the freed pages V8 would keep pooled for reuse:
 * after a burst of 100,000 events, without it those pooled pages held 10-20 MiB of the resident
 * set for as long as the process lived. It takes some tens of milliseconds, once per burst.
 */
export function useMemoryFlags(): MemoryRelease {
  for (const flag of MEMORY_FLAGS) setFlagsFromString(flag)
  // `gc` exists only in a context made after --expose-gc is set.
  setFlagsFromString('--expose-gc')
  const collect = runInNewContext('gc') as Collect
  return releaseAfterBurst(() =>
    collect({ type: 'major', execution: 'sync', flavor: 'last-resort' }),
  )
}
