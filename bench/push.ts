/**
 * Push path figures, measured through the fakes over real HTTP on one machine:
 * - ingest: events a second from the watch stream to archived and routed (target ≥ 20,000/s);
 * - alert latency at a low rate, Event created → DingTalk received (target p99 < 1 s);
 * - alert latency at 15 alerts a minute to one robot, over minutes of the service's own clock
 *   (target p99 < 1 s: what fits in the rate budget goes alone, at once);
 * - memory: RSS idle and after 100,000 events archived, run from the sources (no target here:
 *   bench/footprint.ts measures what users run against issue 10's targets);
 * - storm: 10,000 Warnings on 2,000 objects within a minute → messages per rolling minute
 *   (target ≤ 20), share of the events accounted in them (target 100%), 130101 answers (0).
 * Run alone with `node bench/push.ts`; bench/run.ts calls `benchPush`.
 *
 * The service runs alone in a child process (push-service-worker.ts) with production defaults;
 * the fake Kubernetes API and the fake DingTalk run here, so neither shares its event loop and
 * the RSS it reports is its own. Each phase gets a fresh service, store and fakes.
 */
import { fork } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { setTimeout as sleep } from 'node:timers/promises'
import { startCommand } from '../scripts/build.ts'
import { DEFAULT_TUNING } from '../src/notify/notifier.ts'
import { reserveFor } from '../src/notify/plan-send.ts'
import { STORE_FILE } from '../src/store/open-store.ts'
import { buildEvent, type KubeObject } from '../test/helpers/event-builders.ts'
import { createFakeDingTalk, type FakeDingTalk } from '../test/helpers/fake-dingtalk.ts'
import { createFakeKubeApi, type FakeKubeApi } from '../test/helpers/fake-kube-api.ts'
import { type FastClock, fastNow, toWallTime } from './fast-clock.ts'
import { note, row } from './format-figures.ts'
import type { WorkerCommand, WorkerMemory, WorkerReply } from './push-service-worker.ts'

export interface IngestFigures {
  events: number
  type: 'Warning' | 'Normal'
  /** Events the route sent on to the robot (grouping, outbox). */
  routed: number
  /** From the replaying watch request's arrival to the last event in the archive. */
  seconds: number
  eventsPerSecond: number
  /** How long the fake took to write the whole backlog into the stream (it writes ahead). */
  fakeWriteSeconds: number
  /** The service's CPU time over the run, in seconds: user (JavaScript, SQLite) and system (I/O). */
  cpuUserSeconds: number
  cpuSystemSeconds: number
}

export interface LatencyFigures {
  samples: number
  perSecond: number
  robots: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Messages that carried more than one alert (0: every alert went out on its own). */
  digests: number
}

/** Alert latency at a steady rate to one robot, on a clock `speed` times faster than the wall. */
export interface SteadyLatencyFigures {
  samples: number
  perMinute: number
  /** Minutes of the service's clock the run lasted, and how much faster than the wall it ran. */
  minutes: number
  speed: number
  /** Alerts that came after the first minute, with a full minute of answers in the budget. */
  steadySamples: number
  /** Wall-clock milliseconds, Event created → DingTalk received. */
  p50Ms: number
  p99Ms: number
  maxMs: number
  digests: number
  /** The most requests inside any 60 s of the service's clock. */
  maxPerRollingMinute: number
}

export interface MemoryFigures {
  /** With every module loaded, before the service was built: the floor under the rest. */
  codeMiB: number
  idleMiB: number
  /** Right when the last of the ingest events was archived. */
  afterIngestMiB: number
  /** The highest resident set the service reached during the ingest. */
  peakMiB: number
  heapUsedMiB: number
  storeMiB: number
}

export interface StormFigures {
  events: number
  objects: number
  /** Over how many seconds the events were created. */
  spreadSeconds: number
  /** Requests to DingTalk, in all, and the most inside any 60 s. */
  messages: number
  maxPerRollingMinute: number
  /** `alert: 5, digest: 7, ...` from the service's delivery log. */
  byKind: Record<string, number>
  /** Occurrences in messages DingTalk accepted (`deliveries`, errcode 0) over events created. */
  occurrencesDelivered: number
  accountedPercent: number
  tooFast: number
  otherRefusals: number
  /** From the first storm event until the outbox and the grouping windows had drained. */
  drainSeconds: number
}

export interface PushBenchFigures {
  /** Warnings: each archived and routed. */
  ingest: IngestFigures
  /** Normal events: archived only (the default route takes Warnings). */
  ingestNormal: IngestFigures
  latency: LatencyFigures
  /** 15 a minute to one robot. */
  steady: SteadyLatencyFigures
  memory: MemoryFigures
  storm: StormFigures
  /** Lines the service logged at warn or above, over all phases. */
  serviceWarnings: number
  machine: string
  seconds: number
}

export interface PushBenchOptions {
  ingestEvents?: number
  latencySamples?: number
  latencyPerSecond?: number
  steadyPerMinute?: number
  steadyMinutes?: number
  steadySpeed?: number
  stormObjects?: number
  stormEventsPerObject?: number
  stormSpreadMs?: number
}

const SECRET = 'SECbench0123456789abcdef'
const KUBE_TOKEN = 'bench-kube-token'
/** A robot's single alerts per rolling minute before the notifier digests: 20 less its reserve. */
const SINGLES_PER_MINUTE = 20 - reserveFor(DEFAULT_TUNING.digestReserve, 20)
const MiB = 1024 * 1024
const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits
/** High-resolution wall time, shared by both fakes (they run in this process). */
const preciseNow = () => performance.timeOrigin + performance.now()

const WARNINGS = [
  ['BackOff', 'Back-off restarting failed container app in pod {name}_shop(7f3c1e2a-…)'],
  ['Unhealthy', 'Readiness probe failed: Get "http://10.0.3.17:8080/ready": context deadline'],
  ['FailedScheduling', '0/12 nodes are available: 3 Insufficient cpu, 9 node(s) had taints.'],
  ['FailedMount', 'MountVolume.SetUp failed for volume "config" : configmap "web" not found'],
] as const
const NORMALS = [
  ['Scheduled', 'Successfully assigned shop/{name} to cn-hangzhou.10.0.3.17'],
  ['Pulled', 'Container image "registry.cn-hangzhou.aliyuncs.com/shop/web:v1.8.3" already present'],
  ['Created', 'Created container app'],
  ['Started', 'Started container app'],
] as const

/** A pod name as a Deployment makes them: random, so the store's indexes are not flattered. */
export const podName = (prefix: string) =>
  `${prefix}-${randomBytes(5).toString('hex')}-${randomBytes(3).toString('base64url').toLowerCase()}`

/** A realistic Event for object `name` in `namespace`, timestamped now, with a random uid. */
export function anEvent(
  type: 'Warning' | 'Normal',
  namespace: string,
  name: string,
  i: number,
): KubeObject {
  const table = type === 'Warning' ? WARNINGS : NORMALS
  const [reason, message] = table[i % table.length] as (typeof table)[number]
  const at = new Date().toISOString()
  return buildEvent({
    uid: randomUUID(),
    type,
    namespace,
    name,
    reason,
    message: message.replace('{name}', name),
    host: `cn-hangzhou.10.0.3.${i % 200}`,
    firstTimestamp: at,
    lastTimestamp: at,
  })
}

/** Polls `check` every `everyMs` until it holds; throws after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs: number, everyMs = 10) {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(everyMs)
  }
}

/** The service in its child process. */
interface ServiceProcess {
  memory(): Promise<WorkerMemory>
  stop(): Promise<void>
  /** A read-only connection to the service's store (WAL: it never blocks the service). */
  count(sql: string): number
}

interface Phase {
  /** The service's state dir. */
  dir: string
  kube: FakeKubeApi
  dingtalk: FakeDingTalk
  service: ServiceProcess
}

interface PhaseSetup {
  robots: readonly string[]
  /** Omitted: the default, one Warning route per robot. */
  routes?: readonly { robot: string; namespaces: string[] }[]
  /** The service's and the fake DingTalk's clock; omitted: the real one. */
  clock?: FastClock
}

let serviceWarnings = 0

/** Starts fresh fakes and a fresh service, runs `fn`, and cleans everything up. */
async function withPhase<T>(setup: PhaseSetup, fn: (phase: Phase) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-bench-push-'))
  const kube = await createFakeKubeApi({ token: KUBE_TOKEN })
  const dingtalk = await createFakeDingTalk({
    robots: setup.robots.map((name) => ({ token: `token-${name}`, secret: SECRET })),
    now: setup.clock ? () => fastNow(setup.clock as FastClock) : preciseNow,
  })
  const start = startCommand()
  const child = fork(new URL('./push-service-worker.ts', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // The flags and environment `npm start` and the image run the service with (the Dockerfile
    // test keeps them equal).
    execArgv: [...process.execArgv, ...start.flags],
    env: { ...process.env, ...start.env },
  })
  const waiting: Array<{ resolve(r: WorkerReply): void; reject(e: Error): void }> = []
  const fail = (error: Error) => {
    for (const w of waiting.splice(0)) w.reject(error)
  }
  child.on('message', (reply: WorkerReply) => {
    const w = waiting.shift()
    if (reply.kind === 'failed') w?.reject(new Error(`the service failed: ${reply.error}`))
    else w?.resolve(reply)
  })
  child.on('exit', (code) => fail(new Error(`the service process exited (${code})`)))
  const ask = (command: WorkerCommand) =>
    new Promise<WorkerReply>((resolve, reject) => {
      waiting.push({ resolve, reject })
      child.send(command)
    })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let db: DatabaseSync | undefined
  const logFile = join(dir, 'service.log')
  try {
    await ask({
      cmd: 'start',
      config: {
        cluster: 'bench',
        state: { dir },
        dingtalk: {
          robots: setup.robots.map((name) => ({
            name,
            webhook: dingtalk.webhook(`token-${name}`),
            secret: SECRET,
          })),
        },
        ...(setup.routes ? { routes: setup.routes } : {}),
      },
      kube: { server: kube.url, token: KUBE_TOKEN },
      logFile,
      ...(setup.clock ? { clock: setup.clock } : {}),
    })
    const store = new DatabaseSync(join(dir, STORE_FILE), { readOnly: true })
    db = store
    const service: ServiceProcess = {
      memory: async () => (await ask({ cmd: 'memory' })) as WorkerMemory,
      stop: async () => {
        await ask({ cmd: 'stop' })
        await exited
      },
      count: (sql) => Number(Object.values(store.prepare(sql).get() ?? {})[0] ?? 0),
    }
    const result = await fn({ dir, kube, dingtalk, service })
    await service.stop()
    return result
  } finally {
    db?.close()
    if (child.exitCode === null) {
      child.kill()
      await exited
    }
    serviceWarnings += countWarnings(logFile)
    await Promise.all([kube.stop(), dingtalk.close()])
    rmSync(dir, { recursive: true, force: true })
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

function countWarnings(logFile: string): number {
  let text = ''
  try {
    text = readFileSync(logFile, 'utf8')
  } catch {
    return 0
  }
  const lines = text.split('\n').filter((l) => l.startsWith('{'))
  const loud = lines.filter((l) => (JSON.parse(l) as { level: number }).level >= 40)
  for (const l of loud.slice(0, 5)) console.error(`  service log: ${l.slice(0, 300)}`)
  return loud.length
}

/** One ingest run: throughput, and the service's memory before and after. */
export interface IngestRun {
  ingest: IngestFigures
  memory: MemoryFigures
}

/**
 * Ingest and memory: a backlog of `n` events of one type on distinct objects, streamed over one
 * watch connection to a service with one robot and the default route (Warnings to it), so
 * Warnings are archived and routed (grouping window, outbox) and Normal ones archived.
 * The fake writes the backlog when the service resumes its watch (the stream is dropped, the
 * events added, and the resumed watch replays them), so building the events is not timed.
 */
export async function benchIngest(n: number, type: 'Warning' | 'Normal'): Promise<IngestRun> {
  return withPhase({ robots: ['ops'] }, async ({ dir, kube, service }) => {
    await sleep(1_000)
    const idle = await service.memory()
    const events = Array.from({ length: n }, (_, i) =>
      anEvent(type, `shop-${i % 50}`, podName('web'), i),
    )
    const eventWatches = () =>
      kube.requests.filter((r) => r.verb === 'watch' && r.resource === 'events')
    const before = eventWatches().length
    kube.dropWatches()
    for (const e of events) kube.addEvent(e)
    await until(() => eventWatches().length > before, 'the watch to resume', 30_000, 1)
    // The fake replays the backlog synchronously in the request's handler: by now it is written.
    const began = eventWatches()[before]?.at ?? Date.now()
    const written = Date.now()
    // max(rowid) is a lookup, not a scan: polling it does not hold a read snapshot open for long.
    await until(
      () => service.count('SELECT max(rowid) FROM events') >= n,
      'the archive',
      300_000,
      5,
    )
    const ended = Date.now()
    const after = await service.memory()
    const archived = service.count('SELECT count(*) FROM events')
    // Each routed event is one alert's occurrence: still waiting, or in what DingTalk accepted.
    const routed =
      service.count("SELECT coalesce(sum(occurrences), 0) FROM outbox WHERE kind = 'alert'") +
      service.count(
        "SELECT coalesce(sum(occurrences), 0) FROM deliveries WHERE errcode = 0 AND kind IN ('alert', 'digest')",
      )
    const expected = type === 'Warning' ? n : 0
    if (archived !== n || routed !== expected)
      throw new Error(
        `${archived} of ${n} events archived, ${routed} routed (expected ${expected})`,
      )
    const seconds = (ended - began) / 1000
    return {
      ingest: {
        events: n,
        type,
        routed,
        seconds: round(seconds, 2),
        eventsPerSecond: Math.round(n / seconds),
        fakeWriteSeconds: round((written - began) / 1000, 2),
        cpuUserSeconds: round((after.cpu.user - idle.cpu.user) / 1e6, 2),
        cpuSystemSeconds: round((after.cpu.system - idle.cpu.system) / 1e6, 2),
      },
      memory: {
        codeMiB: mib(idle.loadedRss),
        idleMiB: mib(idle.rss),
        afterIngestMiB: mib(after.rss),
        peakMiB: mib(after.maxRss),
        heapUsedMiB: mib(after.heapUsed),
        storeMiB: mib(fileSize(join(dir, STORE_FILE)) + fileSize(join(dir, `${STORE_FILE}-wal`))),
      },
    }
  })
}

function percentile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0
}

/**
 * Latency at a low rate: `samples` Warnings on distinct objects, `perSecond` a second. A robot
 * sends at most 16 alerts a rolling minute on their own (20 less the digests' reserve), then
 * merges into digests 15 s apart (the rate rules); to measure single alerts with the default
 * tuning, the events are spread over enough robots (one route per namespace) that none gets
 * more than 16 in the run.
 */
export async function benchLatency(samples: number, perSecond: number): Promise<LatencyFigures> {
  if (samples / perSecond > 60) throw new Error('keep the latency run under a minute')
  const robotCount = Math.ceil(samples / SINGLES_PER_MINUTE)
  const robots = Array.from({ length: robotCount }, (_, i) => `lat-${i}`)
  const routes = robots.map((robot) => ({ robot, namespaces: [robot] }))
  return withPhase({ robots, routes }, async ({ kube, dingtalk }) => {
    const created: number[] = []
    const start = preciseNow() + 100
    for (let k = 0; k < samples; k++) {
      const due = start + (k * 1000) / perSecond
      const wait = due - preciseNow()
      if (wait > 0) await sleep(wait)
      const event = anEvent('Warning', `lat-${k % robotCount}`, `latency${k}`, k)
      created[k] = preciseNow()
      kube.addEvent(event)
    }
    const arrivals = await awaitArrivals(dingtalk, 'latency', created, (at) => at, 30_000)
    return { samples, perSecond, robots: robotCount, ...arrivals }
  })
}

/**
 * Waits until every `<prefix><k>` object created at `created[k]` (wall time) reached the fake
 * DingTalk; its latency percentiles and how many messages merged several (digests). `toWall`
 * turns the fake's clock into wall time.
 */
async function awaitArrivals(
  dingtalk: { messages: { body: unknown; at: number }[] },
  prefix: string,
  created: readonly number[],
  toWall: (at: number) => number,
  timeoutMs: number,
): Promise<{ p50Ms: number; p99Ms: number; maxMs: number; digests: number }> {
  const received = new Map<number, number>()
  let digests = 0
  await until(
    () => {
      for (const m of dingtalk.messages.splice(0)) {
        const ids = namedIn(m.body, prefix)
        if (ids.size > 1) digests++
        for (const id of ids) if (!received.has(id)) received.set(id, toWall(m.at))
      }
      return received.size >= created.length
    },
    'every alert at the fake DingTalk',
    timeoutMs,
  )
  const ms = created.map((c, k) => (received.get(k) ?? Number.NaN) - c).sort((a, b) => a - b)
  return {
    p50Ms: round(percentile(ms, 0.5), 2),
    p99Ms: round(percentile(ms, 0.99), 2),
    maxMs: round(ms.at(-1) ?? 0, 2),
    digests,
  }
}

/** Which `<prefix><n>` objects a message names, and whether it merged several. */
function namedIn(body: unknown, prefix: string): Set<number> {
  const pattern = new RegExp(`${prefix}(\\d+)`, 'g')
  return new Set([...JSON.stringify(body).matchAll(pattern)].map((x) => Number(x[1])))
}

/**
 * Latency at a steady rate to one robot: a Warning on a new object every `60 / perMinute` s of
 * the service's clock for `minutes` of it, the service and the fake DingTalk on a clock `speed`
 * times faster than the wall (the budget is a rolling minute of that clock; the work of taking
 * an event in and sending it is not sped up, and latencies are wall-clock). From the second
 * minute on, every alert finds the minute before it in the budget: at 15 a minute, 15 answers.
 */
export async function benchSteadyLatency(
  perMinute: number,
  minutes: number,
  speed: number,
): Promise<SteadyLatencyFigures> {
  const clock: FastClock = { origin: preciseNow(), speed }
  return withPhase({ robots: ['ops'], clock }, async ({ kube, dingtalk }) => {
    const samples = Math.round(perMinute * minutes)
    const created: number[] = []
    const start = fastNow(clock) + 100 * speed
    for (let k = 0; k < samples; k++) {
      const wait = toWallTime(clock, start + (k * 60_000) / perMinute) - preciseNow()
      if (wait > 0) await sleep(wait)
      const event = anEvent('Warning', 'steady', `steady${k}`, k)
      created[k] = preciseNow()
      kube.addEvent(event)
    }
    const arrivals = await awaitArrivals(
      dingtalk,
      'steady',
      created,
      (at) => toWallTime(clock, at),
      60_000,
    )
    return {
      samples,
      perMinute,
      minutes,
      speed,
      steadySamples: Math.max(0, samples - perMinute),
      ...arrivals,
      maxPerRollingMinute: maxInWindow(
        dingtalk.requests.map((r) => r.at),
        60_000,
      ),
    }
  })
}

/** The most timestamps inside any window of `windowMs`. */
function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let lo = 0
  for (let hi = 0; hi < sorted.length; hi++) {
    while ((sorted[hi] as number) - (sorted[lo] as number) >= windowMs) lo++
    best = Math.max(best, hi - lo + 1)
  }
  return best
}

/**
 * The storm: `objects` objects, `perObject` Warnings each (one new Event, then count
 * increments, as the kubelet reports repeats), in waves evenly over `spreadMs`. Default
 * tuning and group window (1 min), one robot at 20 a minute. Waits for the follow-ups at the
 * windows' end and until the outbox is empty, then accounts for every event.
 */
export async function benchStorm(
  objects: number,
  perObject: number,
  spreadMs: number,
): Promise<StormFigures> {
  return withPhase({ robots: ['ops'] }, async ({ kube, dingtalk, service }) => {
    const total = objects * perObject
    const names: string[] = []
    const start = Date.now()
    for (let i = 0; i < total; ) {
      const dueUpTo = Math.floor(((Date.now() - start) / spreadMs) * total)
      for (; i < Math.min(total, dueUpTo + 1); i++) {
        const j = i % objects
        const namespace = `shop-${j % 20}`
        if (i < objects) {
          const event = kube.addEvent(anEvent('Warning', namespace, podName(`storm${j}`), j))
          names[j] = event.metadata.name
        } else {
          kube.updateEvent(namespace, names[j] as string, { at: new Date().toISOString() })
        }
      }
      await sleep(10)
    }
    const spreadSeconds = (Date.now() - start) / 1000
    const drained = () =>
      service.count('SELECT coalesce(sum(count), 0) FROM events') >= total &&
      service.count('SELECT count(*) FROM outbox') === 0 &&
      service.count('SELECT coalesce(sum(pending), 0) FROM groups') === 0
    await until(drained, 'the storm to drain', 5 * 60_000, 250)
    const drainSeconds = (Date.now() - start) / 1000
    const delivered = service.count(
      'SELECT coalesce(sum(occurrences), 0) FROM deliveries WHERE errcode = 0',
    )
    const byKind: Record<string, number> = {}
    for (const kind of ['alert', 'repeat', 'digest', 'notice']) {
      const n = service.count(
        `SELECT count(*) FROM deliveries WHERE errcode = 0 AND kind = '${kind}'`,
      )
      if (n > 0) byKind[kind] = n
    }
    const errcodes = dingtalk.requests.map((r) =>
      r.answer && 'errcode' in r.answer ? r.answer.errcode : -1,
    )
    return {
      events: total,
      objects,
      spreadSeconds: round(spreadSeconds),
      messages: dingtalk.requests.length,
      maxPerRollingMinute: maxInWindow(
        dingtalk.requests.map((r) => r.at),
        60_000,
      ),
      byKind,
      occurrencesDelivered: delivered,
      accountedPercent: round((delivered / total) * 100, 2),
      tooFast: errcodes.filter((c) => c === 130101).length,
      otherRefusals: errcodes.filter((c) => c !== 0 && c !== 130101).length,
      drainSeconds: round(drainSeconds),
    }
  })
}

/** Describes the machine: cores, CPU model, load before the run, Node version. */
export function describeMachine(): string {
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
  return `${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), load ${load}, Node ${process.version}`
}

/** Runs the phases in turn; the options lower the sizes for a quick look. */
export async function benchPush(o: PushBenchOptions = {}): Promise<PushBenchFigures> {
  const began = performance.now()
  const machine = describeMachine()
  serviceWarnings = 0
  const n = o.ingestEvents ?? 100_000
  const { ingest, memory } = await benchIngest(n, 'Warning')
  const { ingest: ingestNormal } = await benchIngest(n, 'Normal')
  const latency = await benchLatency(o.latencySamples ?? 200, o.latencyPerSecond ?? 5)
  const steady = await benchSteadyLatency(
    o.steadyPerMinute ?? 15,
    o.steadyMinutes ?? 4,
    o.steadySpeed ?? 10,
  )
  const storm = await benchStorm(
    o.stormObjects ?? 2_000,
    o.stormEventsPerObject ?? 5,
    o.stormSpreadMs ?? 60_000,
  )
  return {
    ingest,
    ingestNormal,
    latency,
    steady,
    memory,
    storm,
    serviceWarnings,
    machine,
    seconds: round((performance.now() - began) / 1000),
  }
}

/** The figures as printed lines, each with its target and whether it was met. */
export function formatPush(f: PushBenchFigures): string[] {
  const { ingest: w, ingestNormal: nm, latency: l, steady: q, memory: m, storm: s } = f
  const kinds = Object.entries(s.byKind)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ')
  return [
    'Push path: the service alone in a child process (production defaults), fakes over loopback HTTP',
    row('ingest, Warnings', `${w.eventsPerSecond} events/s`, {
      text: '>= 20000/s',
      met: w.eventsPerSecond >= 20_000,
    }),
    ...note(
      `${w.events} Warnings on distinct objects (random uids and pod names) over one watch, each archived and routed (grouping window, outbox) in ${w.seconds} s, using ${w.cpuUserSeconds} s user and ${w.cpuSystemSeconds} s system CPU; the fake had written the whole stream after ${w.fakeWriteSeconds} s.`,
    ),
    row('ingest, Normal', `${nm.eventsPerSecond} events/s`),
    ...note(
      `The same with ${nm.events} Normal events: archived, no route takes them (${nm.seconds} s, ${nm.cpuUserSeconds} s user and ${nm.cpuSystemSeconds} s system CPU).`,
    ),
    row('alert latency', `p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms`, {
      text: 'p99 < 1000 ms',
      met: l.p99Ms < 1_000 && l.digests === 0,
    }),
    ...note(
      `Event created in the fake API -> received by the fake DingTalk. ${l.samples} Warnings on distinct objects at ${l.perSecond}/s, routed by namespace over ${l.robots} robots so that none gets more than ${SINGLES_PER_MINUTE} a minute and each alert goes out on its own with the default tuning (${l.digests} digests).`,
    ),
    row(`latency, ${q.perMinute}/min`, `p50 ${q.p50Ms} ms, p99 ${q.p99Ms} ms, max ${q.maxMs} ms`, {
      text: 'p99 < 1000 ms',
      met: q.p99Ms < 1_000 && q.digests === 0,
    }),
    ...note(
      `${q.samples} Warnings to one robot, one every ${60 / q.perMinute} s for ${q.minutes} minutes of the service's clock, which ran ${q.speed}x faster than the wall (latencies are wall time); ${q.steadySamples} of them came with a full minute of answers already in the rolling budget. ${q.digests} digests; at most ${q.maxPerRollingMinute} messages in any 60 s.`,
    ),
    row('memory, rss', `idle ${m.idleMiB} MiB; after ${w.events} archived ${m.afterIngestMiB} MiB`),
    ...note(
      `The service run from its TypeScript sources: ${m.codeMiB} MiB of it with just the code loaded (Node, type stripping, dependencies), before the service is built. Peak ${m.peakMiB} MiB, heap used ${m.heapUsedMiB} MiB after; store ${m.storeMiB} MiB on disk. The memory targets are the footprint bench's, measured on what users run (the bundle).`,
    ),
    row('storm', `${s.maxPerRollingMinute} messages max in any 60 s`, {
      text: '<= 20',
      met: s.maxPerRollingMinute <= 20,
    }),
    row('storm, accounted', `${s.accountedPercent}% of events`, {
      text: '100%',
      met: s.accountedPercent === 100,
    }),
    row('storm, 130101', `${s.tooFast} answers`, { text: '0', met: s.tooFast === 0 }),
    ...note(
      `${s.events} Warnings on ${s.objects} objects created over ${s.spreadSeconds} s (a new Event, then count increments), one robot at 20/min, default tuning and 1m group window. ${s.messages} messages (${kinds}) carried ${s.occurrencesDelivered} occurrences; ${s.otherRefusals} other refusals; outbox and windows drained ${s.drainSeconds} s after the first event.`,
    ),
    row('service log', `${f.serviceWarnings} lines at warn or above`),
    row('machine', f.machine),
    row('took', `${f.seconds} s`),
  ]
}

if (import.meta.main) {
  for (const line of formatPush(await benchPush())) console.log(line)
}
