/**
 * The V8 flags that keep kubeding's memory small, set by kubeding itself once its code is loaded
 * instead of on node's command line. Node ships its built-in modules (node:https, node:tls,
 * node:sqlite, ...) with V8's compiled code, which V8 only accepts under the flags it was made
 * with: either of these flags on the command line made it recompile every built-in kubeding
 * loads, and start to ready measured ~50 ms longer (2 cores, 10 starts each, interleaved).
 * `--max-semi-space-size` changes no compiled code and stays on the command line (V8 sizes its
 * young generation once, at start).
 *
 * - `--optimize-for-size`: V8 grows the heap and keeps freed pages less eagerly (the resident set
 *   after 100,000 events: ~100 MiB with it, 130-150 MiB without).
 * - `--max-opt=2`: no tier beyond Maglev, so TurboFan's own code in the node binary (~5 MiB
 *   resident once it runs) is never paged in; the CPU per event did not measurably change.
 * - `--liftoff-only`: WebAssembly stays in its baseline code. fetch() parses DingTalk's answers
 *   with Node's WebAssembly llhttp, which got hot somewhere between 100,000 and 1,000,000 events
 *   and was compiled again by TurboFan: 3.4 MiB of its code paged in then (the node binary's
 *   resident pages, by symbol), most of what the resident set grew by between those two figures.
 *
 * V8 draws a flag's implications only from the command line: set later, `--max-opt=2` alone
 * still lets TurboFan compile hot functions, so what each flag implies is set too (the list
 * `node --max-opt=2 --liftoff-only --print-flag-values` shows).
 */
import { setFlagsFromString } from 'node:v8'

export const MEMORY_FLAGS = [
  '--optimize-for-size',
  '--max-opt=2',
  '--no-turbofan',
  '--no-opt',
  '--no-osr-from-maglev',
  '--liftoff-only',
  '--no-wasm-tier-up',
  '--no-wasm-dynamic-tiering',
] as const

/** Sets MEMORY_FLAGS on this process's V8. Call once the code that runs at start is loaded. */
export function useMemoryFlags(): void {
  for (const flag of MEMORY_FLAGS) setFlagsFromString(flag)
}
