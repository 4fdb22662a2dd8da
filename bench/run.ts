/**
 * `npm run bench`: every benchmark in turn, then their figures with the targets beside them.
 * `node bench/run.ts push sls` runs only those (names: push, chatops, sls, footprint, ha).
 *
 * Each bench runs in a process of its own (this file, forked with `--child NAME`), so the memory
 * figures of one are not the leftovers of another; its printed lines come back over IPC. Only
 * types are imported at the top: a child loads the one bench it runs, and nothing else. A bench that
 * fails is reported and the others still run; the exit code is then 1. A missed target is a
 * figure, not a failure: the exit code stays 0.
 */
import { fork } from 'node:child_process'
import { loadavg } from 'node:os'
import type { ChatopsBenchFigures, LatencyFigures } from './chatops.ts'
import type { FootprintFigures } from './footprint.ts'
import { MISSED, note, row } from './format-figures.ts'
import type { HaBenchFigures } from './ha.ts'
import type { PushBenchFigures } from './push.ts'
import type { SlsBenchFigures } from './sls.ts'

interface Bench<F> {
  /** What it measures and roughly how long it takes, printed before it starts. */
  about: string
  run(): Promise<F>
  format(figures: F): string[] | Promise<string[]>
}

const latency = (l: LatencyFigures) =>
  `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (${l.samples} replies)`

function formatChatops(f: ChatopsBenchFigures): string[] {
  return [
    'ChatOps replies: through the HTTP route, on the on-disk store',
    row('events ns=X', latency(f.eventsReply), {
      text: 'p99 < 50 ms',
      met: f.eventsReply.p99Ms < 50,
    }),
    row('events, 7d, 50', latency(f.eventsWideReply)),
    row('name=none, 7d', latency(f.eventsNameReply)),
    ...note(
      `${f.events} events over 7 days in ${f.namespaces} namespaces (loaded in ${f.loadSeconds} s); the second row is the widest namespace query (level=all since=7d limit=50); the third a name= query that matches nothing, which reads the whole week's time index.`,
    ),
    row('nodes', latency(f.nodesReply), { text: 'p99 < 50 ms', met: f.nodesReply.p99Ms < 50 }),
    ...note(`${f.nodes} nodes, ${f.problemNodes} with problems.`),
    row('memory, rss', `${f.rssMiB} MiB with both loaded`),
    ...note(
      `+${f.rssGrowthMiB} MiB from opening the store to the end; heap used ${f.heapUsedMiB} MiB; store ${f.storeMiB} MiB on disk.`,
    ),
  ]
}

function formatSls(f: SlsBenchFigures): string[] {
  return [
    'SLS archive: the on-disk queue to the fake Log Service over loopback HTTP',
    row('live', `${f.eventsPerSecond} events/s`, {
      text: '>= 10000/s',
      met: f.eventsPerSecond >= 10_000,
    }),
    row('backlog', `${f.backlogEventsPerSecond} events/s`),
    ...note('A queue left by an outage or a restart, drained.'),
    row('bytes per event', `${f.bytesPerEvent} sent`),
    ...note(
      `Deflated protobuf; ${f.rawBytesPerEvent} before compression; ${f.requests} requests for 2 x ${f.events} events.`,
    ),
  ]
}

const benches = {
  push: {
    about: 'push path: ingest, alert latency, memory, storm (about 2.5 minutes)',
    run: async () => (await import('./push.ts')).benchPush(),
    format: async (f) => (await import('./push.ts')).formatPush(f),
  } satisfies Bench<PushBenchFigures>,
  chatops: {
    about: 'ChatOps replies with 1,000,000 events and 5,000 nodes (about a minute)',
    run: async () => (await import('./chatops.ts')).benchChatops(),
    format: formatChatops,
  } satisfies Bench<ChatopsBenchFigures>,
  sls: {
    about: 'SLS archive throughput (under a minute)',
    run: async () => (await import('./sls.ts')).benchSls(),
    format: formatSls,
  } satisfies Bench<SlsBenchFigures>,
  footprint: {
    about:
      'footprint: start, --version, RSS to 1,000,000 events, CPU per event; npm start, npx kubeding, the image (about 5 minutes)',
    run: async () => (await import('./footprint.ts')).benchFootprint(),
    format: async (f) => (await import('./footprint.ts')).formatFootprint(f),
  } satisfies Bench<FootprintFigures>,
  ha: {
    about:
      'high availability: takeover after SIGKILL, shared state during a storm (about 5 minutes)',
    run: async () => (await import('./ha.ts')).benchHa(),
    format: async (f) => (await import('./ha.ts')).formatHa(f),
  } satisfies Bench<HaBenchFigures>,
}
type Name = keyof typeof benches
const isName = (s: string): s is Name => Object.hasOwn(benches, s)

/** Runs one bench in a fresh process; resolves with its figures as printed lines. */
function runInChild(name: Name): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = fork(import.meta.filename, ['--child', name], { stdio: 'inherit' })
    let lines: string[] | undefined
    child.on('message', (message: { lines: string[] }) => {
      lines = message.lines
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (lines !== undefined && code === 0) resolve(lines)
      else reject(new Error(`the ${name} bench exited with ${signal ?? `code ${code}`}`))
    })
  })
}

async function main(args: string[]): Promise<number> {
  const unknown = args.filter((a) => !isName(a))
  if (unknown.length > 0) {
    console.error(
      `unknown bench: ${unknown.join(', ')}. Usage: node bench/run.ts [${Object.keys(benches).join('|')} ...]`,
    )
    return 2
  }
  const names = args.length > 0 ? (args as Name[]) : (Object.keys(benches) as Name[])
  const { describeMachine } = await import('./push.ts')
  console.log(`kubeding benchmarks on ${describeMachine()}`)
  let failed = 0
  let missed = 0
  for (const name of names) {
    console.log(`\n[${name}] ${benches[name].about}; load ${loadavg()[0]?.toFixed(2)} before`)
    const began = performance.now()
    try {
      const lines = await runInChild(name)
      missed += lines.filter((l) => l.endsWith(` ${MISSED}`)).length
      console.log(lines.join('\n'))
      console.log(`  (${name} took ${Math.round((performance.now() - began) / 1000)} s)`)
    } catch (err) {
      failed++
      console.log(`  FAILED: ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  console.log(
    `\n${names.length - failed} of ${names.length} benches ran; ${missed} target${missed === 1 ? '' : 's'} missed.`,
  )
  return failed > 0 ? 1 : 0
}

const [flag, childName] = process.argv.slice(2)
if (flag === '--child' && childName && isName(childName)) {
  const bench = benches[childName] as Bench<unknown>
  process.send?.({ lines: await bench.format(await bench.run()) })
} else {
  process.exitCode = await main(process.argv.slice(2))
}
