/**
 * ChatOps figures: `events ns=X` reply latency with 1,000,000 events in the store (target p99
 * under 50 ms), `nodes` with 5,000 nodes (target p99 under 50 ms), and memory with both loaded.
 * Run alone with `node bench/chatops.ts`; bench/run.ts calls `benchChatops`.
 *
 * The store is filled by a child process through the pipeline's archive writer, so the memory
 * figures are those of a process that opened a full store, not of the generator's garbage.
 * Each reply is measured end to end through the HTTP route as DingTalk calls it (token check,
 * body validation, replay memory, rate limit, parsing, the query on the on-disk store,
 * rendering and escaping).
 */
import { spawnSync } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { commands } from '../commands/index.ts'
import { buildApp } from '../src/app.ts'
import { createChatOps } from '../src/chatops/chat-ops.ts'
import type { NodeInfo, StatusSnapshot } from '../src/chatops/context.ts'
import { registerOutgoing } from '../src/http/outgoing-route.ts'
import type { ClusterEvent } from '../src/kube/cluster-event.ts'
import { createAuditLog } from '../src/store/audit.ts'
import { createEventArchive } from '../src/store/events.ts'
import { createEventsQuery } from '../src/store/events-query.ts'
import { createMuteStore } from '../src/store/mutes.ts'
import { openStore } from '../src/store/open-store.ts'

export interface LatencyFigures {
  samples: number
  p50Ms: number
  p99Ms: number
  maxMs: number
}

export interface ChatopsBenchFigures {
  events: number
  namespaces: number
  /** `events ns=X` (Warning, last hour, 10). */
  eventsReply: LatencyFigures
  /** `events ns=X level=all since=7d limit=50`: the widest a namespace query gets. */
  eventsWideReply: LatencyFigures
  /** `events name=X level=all since=7d` for a name no event has: the whole week is read. */
  eventsNameReply: LatencyFigures
  nodes: number
  problemNodes: number
  nodesReply: LatencyFigures
  /** Loading the events through the pipeline's archive writer (in a child process). */
  loadSeconds: number
  /** This process after the measurements: resident, and its growth since before the store opened. */
  rssMiB: number
  rssGrowthMiB: number
  heapUsedMiB: number
  storeMiB: number
}

const TOKEN = 'bench-token'
const DAY = 86_400_000
const NOW = Date.UTC(2026, 10, 24, 12)
const REASONS = [
  ['Warning', 'BackOff', 'Back-off restarting failed container app in pod {name}(7f3c1e2a-…)'],
  [
    'Warning',
    'Unhealthy',
    'Readiness probe failed: Get "http://10.0.3.17:8080/ready": context deadline exceeded',
  ],
  [
    'Warning',
    'FailedScheduling',
    '0/12 nodes are available: 3 Insufficient cpu, 9 node(s) had untolerated taint.',
  ],
  [
    'Normal',
    'Pulled',
    'Successfully pulled image "registry.cn-hangzhou.aliyuncs.com/shop/web:v1.8.3" in 1.2s',
  ],
  ['Normal', 'Scheduled', 'Successfully assigned shop/{name} to cn-hangzhou.10.0.3.17'],
] as const

/** `n` events over the last 7 days across `namespaces` namespaces, last seen in random order. */
function* sampleEvents(n: number, namespaces: number): Generator<ClusterEvent> {
  for (let i = 0; i < n; i++) {
    const [type, reason, message] = REASONS[i % REASONS.length] as (typeof REASONS)[number]
    const name = `web-${randomBytes(5).toString('hex')}-${randomBytes(3).toString('hex')}`
    const namespace = `ns-${i % namespaces}`
    const lastSeen = NOW - Math.floor(Math.random() * 7 * DAY)
    yield {
      uid: randomUUID(),
      created: lastSeen - 60_000,
      kind: i % 10 === 0 ? 'Deployment' : 'Pod',
      namespace,
      name,
      reason,
      message: message.replace('{name}', name),
      type,
      count: 1 + (i % 7),
      firstSeen: lastSeen - 60_000,
      lastSeen,
      component: 'kubelet',
      host: `cn-hangzhou.10.0.3.${i % 200}`,
      eventNamespace: namespace,
      eventName: `${name}.18a2f${i.toString(16)}`,
      resourceVersion: String(1_000_000 + i),
    }
  }
}

/** `n` nodes; every 20th is NotReady or reports a node-problem-detector condition. */
function sampleNodes(n: number): NodeInfo[] {
  return Array.from({ length: n }, (_, i): NodeInfo => {
    const name = `cn-hangzhou.10.0.${Math.floor(i / 250)}.${i % 250}`
    if (i % 20 !== 0) return { name, ready: 'True', problems: [] }
    if (i % 40 === 0) {
      return {
        name,
        ready: 'Unknown',
        problems: [
          {
            type: 'Ready',
            status: 'Unknown',
            reason: 'NodeStatusUnknown',
            message: 'Kubelet stopped posting node status.',
            since: NOW - 600_000,
          },
        ],
      }
    }
    return {
      name,
      ready: 'True',
      problems: [
        {
          type: 'KernelDeadlock',
          status: 'True',
          reason: 'DockerHung',
          message: 'kernel: INFO: task docker:20744 blocked for more than 120 seconds.',
          since: NOW - 3_600_000,
        },
        {
          type: 'FrequentKubeletRestart',
          status: 'True',
          reason: 'FrequentKubeletRestart',
          message: 'Found 5 matching logs, which meets the threshold of 5',
          since: NOW - 1_800_000,
        },
      ],
    }
  })
}

const statusSnapshot = (): StatusSnapshot => ({
  cluster: 'bench',
  version: 'bench',
  startedAt: NOW,
  watch: { state: 'watching', since: NOW, lastResync: NOW },
  eventsTakenIn: 0,
  alerts: { sent: 0, queued: 0, muted: 0, dropped: 0, refused: [] },
  throttledRobots: [],
  storeBytes: 0,
})

function percentiles(ms: number[]): LatencyFigures {
  const sorted = [...ms].sort((a, b) => a - b)
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0
  const round = (v: number) => Math.round(v * 100) / 100
  return {
    samples: ms.length,
    p50Ms: round(at(0.5)),
    p99Ms: round(at(0.99)),
    maxMs: round(sorted.at(-1) ?? 0),
  }
}

/** Runs the benchmark; `events`, `nodes` and `samples` can be lowered for a quick look. */
export async function benchChatops(
  options: { events?: number; namespaces?: number; nodes?: number; samples?: number } = {},
): Promise<ChatopsBenchFigures> {
  const events = options.events ?? 1_000_000
  const namespaces = options.namespaces ?? 200
  const samples = options.samples ?? 1_000
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-bench-chatops-'))
  const logger = pino({ level: 'silent' })
  const began = performance.now()
  const loader = spawnSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--load', dir, String(events), String(namespaces)],
    { stdio: 'inherit' },
  )
  const loadSeconds = (performance.now() - began) / 1000
  const before = process.memoryUsage().rss
  const store = openStore(dir)
  try {
    if (loader.status !== 0) throw new Error(`loading the store failed (exit ${loader.status})`)
    const nodes = sampleNodes(options.nodes ?? 5_000)
    const chat = createChatOps({
      commands,
      services: {
        events: createEventsQuery(store),
        mutes: createMuteStore(store),
        audit: createAuditLog(store),
        nodes: {
          problemNodes: () => nodes.filter((n) => n.ready !== 'True' || n.problems.length > 0),
          size: () => nodes.length,
        },
        status: statusSnapshot,
      },
      admins: [],
      conversations: [],
      // Latency, not the rate limits, is measured: thousands of commands a minute must be taken.
      perSenderPerMinute: 1_000_000,
      fetch,
      now: () => NOW,
      logger,
    })
    const app = await buildApp({
      logger,
      isReady: () => ({ ready: true }),
      plugins: [
        (app) =>
          registerOutgoing(app, {
            outgoing: { path: '/dingtalk/outgoing', token: TOKEN },
            chat,
            now: () => NOW,
            logger,
          }),
      ],
    })
    let seq = 0
    /** One reply's latency. */
    const ask = async (content: string): Promise<number> => {
      seq++
      const payload = {
        msgtype: 'text',
        text: { content },
        msgId: `bench-${seq}`,
        conversationId: 'cid-bench',
        senderId: `sender-${seq}`,
        senderNick: 'bench',
      }
      const t0 = performance.now()
      const res = await app.inject({
        method: 'POST',
        url: '/dingtalk/outgoing',
        headers: { token: TOKEN },
        payload,
      })
      const ms = performance.now() - t0
      const body = res.json() as { markdown?: { title: string } }
      if (res.statusCode !== 200 || body.markdown === undefined)
        throw new Error(`bad reply: ${res.body}`)
      return ms
    }
    const measure = async (content: () => string, n = samples) => {
      for (let i = 0; i < 50; i++) await ask(content()) // warm-up: JIT and statement cache
      const ms: number[] = []
      for (let i = 0; i < n; i++) ms.push(await ask(content()))
      return percentiles(ms)
    }
    const randomNs = () => `ns-${Math.floor(Math.random() * namespaces)}`
    const eventsReply = await measure(() => `events ns=${randomNs()}`)
    const eventsWideReply = await measure(
      () => `events ns=${randomNs()} level=all since=7d limit=50`,
    )
    // Fewer samples: each reads the whole week.
    const eventsNameReply = await measure(
      () => `events name=absent-${randomBytes(4).toString('hex')} level=all since=7d`,
      Math.min(samples, 200),
    )
    const nodesReply = await measure(() => 'nodes')
    const memory = process.memoryUsage()
    const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10
    const figures: ChatopsBenchFigures = {
      events,
      namespaces,
      eventsReply,
      eventsWideReply,
      eventsNameReply,
      nodes: nodes.length,
      problemNodes: nodes.filter((n) => n.ready !== 'True' || n.problems.length > 0).length,
      nodesReply,
      loadSeconds: Math.round(loadSeconds * 10) / 10,
      rssMiB: mib(memory.rss),
      rssGrowthMiB: mib(memory.rss - before),
      heapUsedMiB: mib(memory.heapUsed),
      storeMiB: mib(store.sizeBytes()),
    }
    await app.close()
    return figures
  } finally {
    store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Fills the store in `dir` with `events` events, in transactions as large as the pipeline's biggest. */
function loadStore(dir: string, events: number, namespaces: number): void {
  const store = openStore(dir)
  const archive = createEventArchive(store)
  let batch: ClusterEvent[] = []
  const flush = () => {
    const rows = batch
    batch = []
    store.tx(() => {
      for (const row of rows) archive.upsert(row)
    })
  }
  for (const e of sampleEvents(events, namespaces)) {
    batch.push(e)
    if (batch.length === 50_000) flush()
  }
  flush()
  store.close()
}

if (import.meta.main && process.argv[2] === '--load') {
  const [dir, events, namespaces] = process.argv.slice(3)
  loadStore(dir as string, Number(events), Number(namespaces))
} else if (import.meta.main) {
  const f = await benchChatops()
  const line = (l: LatencyFigures) =>
    `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms (${l.samples} replies)`
  console.log('ChatOps replies (through the HTTP route, on-disk store)')
  console.log(
    `  events in the store     ${f.events} over 7 days, ${f.namespaces} namespaces (loaded in ${f.loadSeconds} s)`,
  )
  console.log(`  events ns=X             ${line(f.eventsReply)} (target p99 < 50 ms)`)
  console.log(`  events ns=X, 7d, 50     ${line(f.eventsWideReply)}`)
  console.log(`  events name=none, 7d    ${line(f.eventsNameReply)}`)
  console.log(
    `  nodes                   ${line(f.nodesReply)} with ${f.nodes} nodes, ${f.problemNodes} with problems (target p99 < 50 ms)`,
  )
  console.log(
    `  memory, both loaded     rss ${f.rssMiB} MiB (+${f.rssGrowthMiB} MiB from opening the store to the end), heap used ${f.heapUsedMiB} MiB; store ${f.storeMiB} MiB on disk`,
  )
}
