/**
 * SLS archive figures: events per second into the fake Log Service (target: at least 10,000/s)
 * and bytes sent per event. Run alone with `node bench/sls.ts`; bench/run.ts calls `benchSls`.
 *
 * Everything real but the network: the on-disk store (WAL), the queue, protobuf encoding,
 * deflate, MD5, signing, HTTP over loopback, and the fake's own checks and decoding.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { createSlsArchive } from '../src/archive/create-sls-archive.ts'
import type { ClusterEvent } from '../src/kube/cluster-event.ts'
import { openStore } from '../src/store/open-store.ts'
import { type FakeSls, startFakeSls } from '../test/helpers/fake-sls.ts'

export interface SlsBenchFigures {
  events: number
  /** Events queued in pipeline-sized transactions while the archive sends, end to end. */
  eventsPerSecond: number
  /** A backlog already queued (after an outage or a restart), drained. */
  backlogEventsPerSecond: number
  /** Request body bytes per event, as sent (deflated protobuf). */
  bytesPerEvent: number
  /** Protobuf bytes per event before compression. */
  rawBytesPerEvent: number
  requests: number
}

const REASONS = [
  ['Warning', 'BackOff', 'Back-off restarting failed container app in pod {name}_shop(7f3c1e2a-…)'],
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
  [
    'Warning',
    'Unhealthy',
    'Readiness probe failed: Get "http://10.0.3.17:8080/ready": context deadline exceeded',
  ],
  ['Normal', 'Scheduled', 'Successfully assigned shop/{name} to cn-hangzhou.10.0.3.17'],
] as const

/** Events shaped like a busy cluster's: varied names, hosts and messages. */
function sampleEvents(n: number, start: number): ClusterEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const [type, reason, message] = REASONS[i % REASONS.length] as (typeof REASONS)[number]
    // Random like real ones: a ReplicaSet hash and a pod suffix, so compression is not flattered.
    const name = `web-${randomBytes(5).toString('hex')}-${randomBytes(3).toString('base64url').toLowerCase()}`
    const at = Date.UTC(2026, 10, 24, 3, 0, 0) + i * 13
    return {
      uid: randomUUID(),
      created: at,
      kind: 'Pod',
      namespace: 'shop',
      name,
      reason,
      message: message.replace('{name}', name),
      type,
      count: 1 + (i % 4),
      firstSeen: at,
      lastSeen: at,
      component: 'kubelet',
      host: `cn-hangzhou.10.0.3.${i % 200}`,
      eventNamespace: 'shop',
      eventName: `${name}.${(0x18a2f00000000000n + BigInt(start + i) * 7919n).toString(16)}`,
      resourceVersion: String(9_000_000 + start + i),
    }
  })
}

/** Waits until the fake holds `total` logs; polls the fake, as stats() counts the queue's rows. */
async function received(sls: FakeSls, total: number): Promise<void> {
  while (sls.logs.length < total) await sleep(2)
}

/** Measures the archive against the fake Log Service; `events` per run (default 50,000). */
export async function benchSls(opts: { events?: number } = {}): Promise<SlsBenchFigures> {
  const events = opts.events ?? 50_000
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-bench-sls-'))
  const sls = await startFakeSls()
  const store = openStore(dir)
  const archive = createSlsArchive({
    config: sls.config,
    cluster: 'bench',
    store,
    logger: pino({ level: 'silent' }),
    fetch: sls.fetch,
  })
  try {
    // Live: the pipeline commits batches of 512 while the archive sends.
    archive.start()
    const live = sampleEvents(events, 0)
    let began = performance.now()
    for (let i = 0; i < live.length; i += 512) {
      store.tx(() => archive.enqueue(live.slice(i, i + 512)))
      await new Promise(setImmediate)
    }
    await received(sls, events)
    const eventsPerSecond = events / ((performance.now() - began) / 1000)

    // Backlog: queued while stopped, drained on start.
    await archive.stop(10_000)
    const backlog = createSlsArchive({
      config: sls.config,
      cluster: 'bench',
      store,
      logger: pino({ level: 'silent' }),
      fetch: sls.fetch,
    })
    const queued = sampleEvents(events, events)
    for (let i = 0; i < queued.length; i += 512)
      store.tx(() => backlog.enqueue(queued.slice(i, i + 512)))
    began = performance.now()
    backlog.start()
    await received(sls, 2 * events)
    const backlogEventsPerSecond = events / ((performance.now() - began) / 1000)
    await backlog.stop(10_000)
    if (backlog.stats().queued !== 0) throw new Error('the backlog did not drain')

    const accepted = sls.requests.filter((r) => r.status === 200)
    const sum = (f: (r: (typeof accepted)[number]) => number) =>
      accepted.reduce((s, r) => s + f(r), 0)
    if (sls.logs.length !== 2 * events)
      throw new Error(`fake received ${sls.logs.length} logs, expected ${2 * events}`)
    return {
      events,
      eventsPerSecond: Math.round(eventsPerSecond),
      backlogEventsPerSecond: Math.round(backlogEventsPerSecond),
      bytesPerEvent: Math.round((sum((r) => r.bodyBytes) / sls.logs.length) * 10) / 10,
      rawBytesPerEvent: Math.round((sum((r) => r.rawBytes) / sls.logs.length) * 10) / 10,
      requests: accepted.length,
    }
  } finally {
    store.close()
    await sls.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  const figures = await benchSls()
  console.log('SLS archive (fake Log Service on loopback)')
  console.log(`  events                  ${figures.events} per run`)
  console.log(`  throughput, live        ${figures.eventsPerSecond} events/s (target >= 10000)`)
  console.log(`  throughput, backlog     ${figures.backlogEventsPerSecond} events/s`)
  console.log(`  bytes sent per event    ${figures.bytesPerEvent} (deflated protobuf)`)
  console.log(`  bytes per event, raw    ${figures.rawBytesPerEvent} (protobuf before compression)`)
  console.log(`  requests                ${figures.requests}`)
}
