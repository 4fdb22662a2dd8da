/**
 * Footprint figures (issue 10), each for the three ways a user starts kubeding:
 * `npm start`, `npx kubeding` (bin/kubeding.js) and the image's command (`node` and the CMD of
 * the Dockerfile's last stage, on a staged copy of exactly what that stage copies, run as its
 * numeric user so that the copy is read-only to it, with the stage's ENV):
 * - start to ready (spawn to the first 200 from /readyz, median of 3 starts on fresh state) and
 *   `--version`/`--help` (spawn to exit, median of 3), the three ways taking turns;
 * - RSS idle, after 100,000 events archived, after 1,000,000 (flat within ±10 %), and with 5,000
 *   nodes added and `events`/`nodes` queries running;
 * - events per CPU-second: the service process's user + system time over the first 100,000
 *   Warnings, each archived and routed to a robot (the target), then over 100,000 Normal events,
 *   archived and matched against the routes but routed nowhere (what the archive alone costs).
 * Run alone with `node bench/footprint.ts`; bench/run.ts calls `benchFootprint`.
 *
 * The service is a real process started the way a user starts it, with a config file pointing
 * at the fake API server and the fake DingTalk, which run here (so their memory is not the
 * service's). Its RSS and CPU time are read from /proc, so this bench needs Linux.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { Agent, get } from 'node:http'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import { setTimeout as sleep } from 'node:timers/promises'
import { buildBundle, ROOT, startCommand } from '../scripts/build.ts'
import { STORE_FILE } from '../src/store/open-store.ts'
import { buildNode } from '../test/helpers/event-builders.ts'
import { createFakeDingTalk } from '../test/helpers/fake-dingtalk.ts'
import { createFakeKubeApi, type FakeKubeApi } from '../test/helpers/fake-kube-api.ts'
import { freePort } from '../test/helpers/free-port.ts'
import { note, row } from './format-figures.ts'
import { anEvent, describeMachine, podName, until } from './push.ts'

/** One way of starting kubeding: `file args... --config FILE` in `cwd`. */
export interface Way {
  name: string
  /** The command as a user types it, for the figures. */
  command: string
  file: string
  args: string[]
  /**
   * The process npm or npx ends up starting (the same for the image): `--version` and `--help`
   * are timed on it, since npm and npx themselves take a few tenths of a second on top.
   */
  inner: { file: string; args: string[]; env?: NodeJS.ProcessEnv }
  cwd: string
  env: NodeJS.ProcessEnv
  /** Run as this user and group (the image's USER); the staged files stay root's. */
  user?: { uid: number; gid: number }
}

export interface WayFigures {
  way: string
  command: string
  /** kubeding's own process, from its start to the first 200 from /readyz. */
  startSeconds: number
  /** From spawning the command (npm, npx, node) to the first 200. */
  commandStartSeconds: number
  versionSeconds: number
  helpSeconds: number
  /** `--version` through npm or npx, spawn to exit. */
  commandVersionSeconds: number
  idleMiB: number
  after100kMiB: number
  after1MMiB: number
  /** RSS after 1,000,000 over RSS after 100,000, in percent (+3: 3 % more). */
  flatPercent: number
  /** The highest RSS sampled while the queries ran, with 5,000 nodes known. */
  queriesMiB: number
  /** The process's peak resident set over the whole run. */
  peakMiB: number
  eventsPerCpuSecond: number
  cpuSeconds: number
  /** The same over as many Normal events: archived, matched against the routes, none routed. */
  normalEventsPerCpuSecond: number
  normalCpuSeconds: number
  /** Events archived in all, and in the first run (the CPU figure and the first RSS). */
  archived: number
  firstEvents: number
  queries: number
  nodes: number
  storeMiB: number
}

export interface FootprintFigures {
  ways: WayFigures[]
  /** `read-only (uid 1000)` or why the image's files were not read-only to it. */
  imageReadOnly: string
  machine: string
  seconds: number
}

export interface FootprintOptions {
  /** Events of the first run (the CPU figure), and in all. */
  firstEvents?: number
  totalEvents?: number
  nodes?: number
  queries?: number
  /** Which ways to run (default all three). */
  ways?: string[]
}

const SECRET = 'SECbenchfootprint0123456789'
const KUBE_TOKEN = 'bench-kube-token'
const OUTGOING_TOKEN = 'bench-outgoing-token'
const MiB = 1024 * 1024
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim())
/** Events the fake may be ahead of the archive: bounds what waits in the socket. */
const MAX_LAG = 20_000
/** Samples of each timed figure (starts, --version, --help): the median is printed. */
const SAMPLES = 3

/** Resident and peak resident memory of `pid`, in bytes. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1])
  return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 }
}

/**
 * `pid`'s memory once its resident set settled: read every 250 ms until four readings in a row
 * (a second) lie within 1 MiB, or after 10 s. Read once, a second after a burst of events, it
 * sometimes caught the collector handing pages back: one run of the image read 96.8 MiB, and
 * 90.0 MiB a few milliseconds later.
 */
async function settledMemoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const readings = [memoryOf(pid)]
  for (const end = performance.now() + 10_000; performance.now() < end; ) {
    await sleep(250)
    readings.push(memoryOf(pid))
    const last = readings.slice(-4).map((r) => r.rss)
    if (last.length === 4 && Math.max(...last) - Math.min(...last) <= MiB) break
  }
  return readings.at(-1) as { rss: number; peak: number }
}

/** User + system CPU time of `pid`, in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces): state is the first, utime the 12th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
}

/** Seconds since `pid` started (/proc gives its start in clock ticks since boot). */
function ageOf(pid: number): number {
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0])
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const started = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]) / CLOCK_TICKS
  return uptime - started
}

/** The process `npm`/`npx` ended up running: the one descendant of `pid` with no children. */
function serviceProcess(pid: number): number {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)])
    } catch {
      // It exited while we looked.
    }
  }
  let current = pid
  for (let next = children.get(current); next?.length; next = children.get(current)) {
    if (next.length > 1) throw new Error(`process ${current} has ${next.length} children`)
    current = next[0] as number
  }
  return current
}

/** Spawns `way` (or its inner command) with `args`; resolves with the seconds until it exits. */
async function timeToExit(way: Way, args: string[], inner: boolean): Promise<number> {
  const began = performance.now()
  const child = spawnWay(inner ? { ...way, ...way.inner } : way, args, 'ignore')
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
  if (code !== 0) throw new Error(`${way.command} ${args.join(' ')} exited with ${code}`)
  return (performance.now() - began) / 1000
}

function spawnWay(way: Way, args: string[], output: 'ignore' | number): ChildProcess {
  return spawn(way.file, [...way.args, ...args], {
    cwd: way.cwd,
    env: way.env,
    stdio: ['ignore', output, output],
    ...(way.user ?? {}),
  })
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN

/** The runtime stage of the Dockerfile: its WORKDIR, ENV, COPY sources and CMD. */
interface ImageStage {
  workdir: string
  env: Record<string, string>
  /** Repository path → path inside WORKDIR. */
  copies: { from: string; to: string }[]
  cmd: string[]
  user: { uid: number; gid: number } | undefined
}

/** Reads the Dockerfile's last stage; a COPY --from=STAGE maps back to STAGE's WORKDIR. */
export function readImageStage(dockerfile: string): ImageStage {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
  const workdirs = new Map<string, string>()
  let stage = ''
  let current: ImageStage = { workdir: '/', env: {}, copies: [], cmd: [], user: undefined }
  for (const line of lines) {
    const [, op = '', args = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? []
    const verb = op.toUpperCase()
    if (verb === 'FROM') {
      stage = args.split(/\s+/)[2] ?? ''
      current = { workdir: '/', env: {}, copies: [], cmd: [], user: undefined }
    } else if (verb === 'WORKDIR') {
      current.workdir = posix.resolve(current.workdir, args)
      workdirs.set(stage, current.workdir)
    } else if (verb === 'ENV') {
      for (const [, key = '', value = ''] of args.matchAll(/(\w+)=("[^"]*"|\S+)/g))
        current.env[key] = value.replace(/^"|"$/g, '')
    } else if (verb === 'COPY') {
      const words = args.split(/\s+/)
      const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length)
      const paths = words.filter((w) => !w.startsWith('--'))
      const dest = posix.resolve(current.workdir, paths.at(-1) ?? '.')
      for (const source of paths.slice(0, -1)) {
        const repoPath = from ? posix.relative(workdirs.get(from) ?? '/', source) : source
        const name = posix.basename(repoPath)
        const to = paths.at(-1)?.endsWith('/') ? posix.join(dest, name) : dest
        current.copies.push({ from: repoPath, to: posix.relative(current.workdir, to) })
      }
    } else if (verb === 'CMD') {
      current.cmd = JSON.parse(args) as string[]
    } else if (verb === 'USER') {
      const [uid, gid = uid] = args.split(':').map(Number)
      current.user = { uid: uid as number, gid: gid as number }
    }
  }
  return current
}

/** The three ways, the image's staged in a fresh directory (removed by the caller). */
function theWays(stageDir: string): { ways: Way[]; imageReadOnly: string } {
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir() }
  const image = readImageStage(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))
  for (const { from, to } of image.copies)
    cpSync(join(ROOT, from), join(stageDir, to), { recursive: true })
  chmodSync(stageDir, 0o755)
  const asRoot = process.getuid?.() === 0
  const [node, ...cmdArgs] = image.cmd
  if (node !== 'node') throw new Error(`the image's CMD runs ${node}, not node`)
  // npm start and npx put node_modules/.bin first on the PATH: its node is the one they run.
  const localNode = join(ROOT, 'node_modules/.bin/node')
  const start = startCommand()
  return {
    ways: [
      {
        name: 'npm start',
        command: 'npm start -- --config FILE',
        file: 'npm',
        args: ['start', '--silent', '--'],
        inner: {
          file: localNode,
          args: [...start.flags, 'bin/kubeding.js'],
          env: { ...env, ...start.env },
        },
        cwd: ROOT,
        env,
      },
      {
        name: 'npx kubeding',
        command: 'npx kubeding --config FILE',
        file: 'npx',
        args: ['kubeding'],
        inner: { file: localNode, args: ['bin/kubeding.js'] },
        cwd: ROOT,
        env,
      },
      {
        name: 'image',
        command: `${image.cmd.join(' ')} --config FILE (in ${image.workdir}: ${image.copies.map((c) => c.from).join(', ')})`,
        file: process.execPath,
        args: cmdArgs,
        inner: { file: process.execPath, args: cmdArgs },
        cwd: stageDir,
        env: { PATH: env.PATH, HOME: stageDir, ...image.env },
        ...(asRoot && image.user ? { user: image.user } : {}),
      },
    ],
    imageReadOnly:
      asRoot && image.user
        ? `read-only: run as uid ${image.user.uid}, files owned by root`
        : 'not read-only: the bench is not root, so it cannot run as the image user',
  }
}

/** Five thousand nodes; every 20th has a problem condition, as in bench/chatops.ts. */
function addNodes(kube: FakeKubeApi, n: number): void {
  for (let i = 0; i < n; i++) {
    const name = `cn-hangzhou.10.0.${Math.floor(i / 250)}.${i % 250}`
    kube.addNode(
      buildNode(
        name,
        i % 20 === 0
          ? [{ type: 'KernelDeadlock', status: 'True', reason: 'DockerHung', message: 'task hung' }]
          : [],
      ),
    )
  }
}

/** A service started against fresh fakes and a fresh state dir, ready. */
interface Launched {
  stateDir: string
  kube: FakeKubeApi
  url: string
  pid: number
  /** kubeding's own process, from its start to the first 200 from /readyz. */
  startSeconds: number
  /** From spawning the command to the first 200. */
  commandStartSeconds: number
  /** Stops the service and the fakes and removes the state. */
  stop(): Promise<void>
}

/** Starts `way` as a user does and resolves once /readyz answers 200. */
async function launch(way: Way): Promise<Launched> {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-bench-footprint-'))
  chmodSync(dir, 0o755)
  const stateDir = join(dir, 'state')
  mkdirSync(stateDir)
  if (way.user) chownSync(stateDir, way.user.uid, way.user.gid)
  const kube = await createFakeKubeApi({ token: KUBE_TOKEN })
  const dingtalk = await createFakeDingTalk({ robots: [{ token: 'token-ops', secret: SECRET }] })
  const port = await freePort()
  const kubeconfig = join(dir, 'kubeconfig')
  writeFileSync(kubeconfig, kube.kubeconfigYaml())
  const config = join(dir, 'kubeding.yaml')
  // JSON is YAML.
  writeFileSync(
    config,
    JSON.stringify({
      cluster: 'bench',
      kubernetes: { kubeconfig },
      server: { host: '127.0.0.1', port },
      state: { dir: stateDir },
      dingtalk: {
        robots: [{ name: 'ops', webhook: dingtalk.webhook('token-ops'), secret: SECRET }],
        outgoing: { token: OUTGOING_TOKEN },
      },
    }),
  )
  const log = openSync(join(dir, 'service.log'), 'w')
  const began = performance.now()
  const child = spawnWay(way, ['--config', config], log)
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  let pid = 0
  const stop = async () => {
    if (pid) process.kill(pid, 'SIGTERM')
    else child.kill('SIGTERM')
    await Promise.race([exited, sleep(15_000)])
    if (child.exitCode === null) child.kill('SIGKILL')
    closeSync(log)
    await kube.stop()
    await dingtalk.close()
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    for (;;) {
      if (child.exitCode !== null)
        throw new Error(
          `${way.command} exited (${child.exitCode}): ${readFileSync(join(dir, 'service.log'), 'utf8').slice(-2_000)}`,
        )
      if ((await readyzStatus(port)) === 200) break
      await sleep(2)
    }
    const commandStartSeconds = (performance.now() - began) / 1000
    pid = serviceProcess(child.pid as number)
    const startSeconds = ageOf(pid)
    return {
      stateDir,
      kube,
      url: `http://127.0.0.1:${port}`,
      pid,
      startSeconds,
      commandStartSeconds,
      stop,
    }
  } catch (err) {
    await stop()
    throw err
  }
}

/** The timed figures of one way: medians of SAMPLES. */
export interface TimedFigures {
  startSeconds: number
  commandStartSeconds: number
  versionSeconds: number
  helpSeconds: number
  commandVersionSeconds: number
}

/**
 * Times every way SAMPLES times, the ways taking turns: this machine's speed drifts over the half
 * hour the bench takes, and timed one way after the other, the way measured last (after two runs
 * of a million events) started ~0.1 s slower in every run, while started in turn with the others
 * it was not slower. Each start is on fresh fakes and state, stopped once ready.
 */
async function timeWays(ways: readonly Way[]): Promise<Map<string, TimedFigures>> {
  const samples = new Map(ways.map((w) => [w.name, [] as TimedFigures[]]))
  for (let i = 0; i < SAMPLES; i++)
    for (const way of ways) {
      const versionSeconds = await timeToExit(way, ['--version'], true)
      const helpSeconds = await timeToExit(way, ['--help'], true)
      const commandVersionSeconds = await timeToExit(way, ['--version'], false)
      const started = await launch(way)
      await started.stop()
      samples.get(way.name)?.push({
        startSeconds: started.startSeconds,
        commandStartSeconds: started.commandStartSeconds,
        versionSeconds,
        helpSeconds,
        commandVersionSeconds,
      })
    }
  return new Map(
    [...samples].map(([name, of]) => {
      const mid = (key: keyof TimedFigures) => median(of.map((f) => f[key]))
      return [
        name,
        {
          startSeconds: mid('startSeconds'),
          commandStartSeconds: mid('commandStartSeconds'),
          versionSeconds: mid('versionSeconds'),
          helpSeconds: mid('helpSeconds'),
          commandVersionSeconds: mid('commandVersionSeconds'),
        },
      ]
    }),
  )
}

/** Measures one way's memory and CPU figures, start to stop, against fresh fakes and state. */
export async function measureWay(
  way: Way,
  o: Required<FootprintOptions>,
  timed: TimedFigures,
): Promise<WayFigures> {
  const service = await launch(way)
  const { stateDir, kube, url, pid } = service
  let store: DatabaseSync | undefined
  try {
    await sleep(2_000)
    const idle = memoryOf(pid)
    store = new DatabaseSync(join(stateDir, STORE_FILE), { readOnly: true })
    // Asked every few milliseconds while events stream: prepared once.
    const lastRow = store.prepare('SELECT max(rowid) AS n FROM events')
    const lastRowGone = store.prepare(
      'SELECT gone_at IS NOT NULL AS gone FROM events WHERE rowid = (SELECT max(rowid) FROM events)',
    )
    const archived = () => Number((lastRow.get()?.n as number) ?? 0)

    let fed = 0
    let names: { namespace: string; name: string }[] = []
    /** Streams events on distinct objects through the open watch until `total` are archived. */
    const feed = async (total: number, type: 'Warning' | 'Normal' = 'Warning') => {
      while (fed < total) {
        await until(() => fed - archived() < MAX_LAG, 'the archive to catch up', 120_000, 5)
        for (const end = Math.min(total, fed + 1_000); fed < end; fed++) {
          const namespace = `shop-${fed % 50}`
          const event = kube.addEvent(anEvent(type, namespace, podName('web'), fed))
          names.push({ namespace, name: event.metadata.name })
        }
        await sleep(0)
      }
      await until(() => archived() >= total, 'the archive', 300_000, 5)
    }
    /** Whether the service marked gone the last event fed (the watch delivers in order). */
    const lastGone = () => lastRowGone.get()?.gone === 1
    /**
     * Kubernetes deletes Events after an hour; the fake forgets what was fed too, so that its own
     * memory stays bounded: the service gets DELETED (and marks the rows gone), then a bookmark.
     * Resolves once the service marked them all: a figure "after N events" is read with the
     * deletions taken in, not in the middle of them (the peak still covers that moment).
     */
    const forget = async () => {
      for (const { namespace, name } of names) kube.deleteEvent(namespace, name)
      names = []
      kube.compact({ expireOpenWatches: false })
      kube.bookmark()
      await until(lastGone, 'the deletions to be taken in', 300_000, 5)
    }

    // The CPU figure covers taking in the first events, not the deletions the fake sends after.
    const cpuBefore = cpuOf(pid)
    await feed(o.firstEvents)
    const cpuSeconds = cpuOf(pid) - cpuBefore
    await forget()
    const after100k = await settledMemoryOf(pid)
    // What the archive costs without alerts: Normal events match no route (routes alert Warnings).
    const normalCpuBefore = cpuOf(pid)
    await feed(fed + o.firstEvents, 'Normal')
    const normalCpuSeconds = cpuOf(pid) - normalCpuBefore
    await forget()
    for (let next = fed + o.firstEvents; fed < o.totalEvents; next += o.firstEvents) {
      await feed(Math.min(next, o.totalEvents))
      await forget()
    }
    const after1M = await settledMemoryOf(pid)

    addNodes(kube, o.nodes)
    let queriesRss = 0
    const sampler = setInterval(() => {
      queriesRss = Math.max(queriesRss, memoryOf(pid).rss)
    }, 20)
    const questions = ['events ns=shop-7', 'events ns=shop-7 level=all since=7d limit=50', 'nodes']
    for (let i = 0; i < o.queries; i++) {
      const res = await fetch(`${url}/dingtalk/outgoing`, {
        method: 'POST',
        headers: { token: OUTGOING_TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify({
          msgtype: 'text',
          text: { content: questions[i % questions.length] },
          msgId: `bench-${i}`,
          conversationId: 'cid-bench',
          // A new sender each time: one sender gets 10 answers a minute.
          senderId: `sender-${i}`,
          senderNick: 'bench',
        }),
      })
      if (res.status !== 200) throw new Error(`query answered ${res.status}: ${await res.text()}`)
      await res.arrayBuffer()
    }
    clearInterval(sampler)
    const last = memoryOf(pid)
    queriesRss = Math.max(queriesRss, last.rss)
    const mib = (bytes: number) => round(bytes / MiB)
    const storeBytes = readdirSync(stateDir)
      .filter((f) => f.startsWith(STORE_FILE))
      .reduce((sum, f) => sum + (statSize(join(stateDir, f)) ?? 0), 0)
    return {
      way: way.name,
      command: way.command,
      startSeconds: round(timed.startSeconds, 2),
      commandStartSeconds: round(timed.commandStartSeconds, 2),
      commandVersionSeconds: round(timed.commandVersionSeconds, 2),
      versionSeconds: round(timed.versionSeconds, 3),
      helpSeconds: round(timed.helpSeconds, 3),
      idleMiB: mib(idle.rss),
      after100kMiB: mib(after100k.rss),
      after1MMiB: mib(after1M.rss),
      flatPercent: round(((after1M.rss - after100k.rss) / after100k.rss) * 100),
      queriesMiB: mib(queriesRss),
      peakMiB: mib(last.peak),
      eventsPerCpuSecond: Math.round(o.firstEvents / cpuSeconds),
      cpuSeconds: round(cpuSeconds, 2),
      normalEventsPerCpuSecond: Math.round(o.firstEvents / normalCpuSeconds),
      normalCpuSeconds: round(normalCpuSeconds, 2),
      archived: archived(),
      firstEvents: o.firstEvents,
      queries: o.queries,
      nodes: o.nodes,
      storeMiB: mib(storeBytes),
    }
  } finally {
    store?.close()
    await service.stop()
  }
}

/**
 * One keep-alive connection for the readiness polls: a fetch() every 2 ms while the service
 * starts (a failed connect, then a 503) kept this process busy enough on 2 cores to delay the
 * start it measures by ~25 ms.
 */
const probeAgent = new Agent({ keepAlive: true, maxSockets: 1 })

/** GET /readyz on `port`: its status, 0 when nothing answers. */
function readyzStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/readyz', agent: probeAgent }, (res) => {
      res.resume()
      res.on('end', () => resolve(res.statusCode ?? 0))
    })
    req.on('error', () => resolve(0))
  })
}

function statSize(path: string): number | undefined {
  try {
    return statSync(path).size
  } catch {
    return undefined
  }
}

/** Builds the bundle, then measures each way in turn. */
export async function benchFootprint(options: FootprintOptions = {}): Promise<FootprintFigures> {
  const o: Required<FootprintOptions> = {
    firstEvents: options.firstEvents ?? 100_000,
    totalEvents: options.totalEvents ?? 1_000_000,
    nodes: options.nodes ?? 5_000,
    queries: options.queries ?? 300,
    ways: options.ways ?? ['npm start', 'npx kubeding', 'image'],
  }
  const began = performance.now()
  const machine = describeMachine()
  // What `npm start` and `npx kubeding` run, and what the image's build stage makes.
  await buildBundle()
  const stageDir = mkdtempSync(join(tmpdir(), 'kubeding-bench-image-'))
  try {
    const { ways, imageReadOnly } = theWays(stageDir)
    const figures: WayFigures[] = []
    const chosen = ways.filter((w) => o.ways.includes(w.name))
    const timed = await timeWays(chosen)
    for (const way of chosen)
      figures.push(await measureWay(way, o, timed.get(way.name) as TimedFigures))
    return {
      ways: figures,
      imageReadOnly,
      machine,
      seconds: round((performance.now() - began) / 1000),
    }
  } finally {
    rmSync(stageDir, { recursive: true, force: true })
  }
}

/** The figures as printed lines, each with its target and whether it was met. */
export function formatFootprint(f: FootprintFigures): string[] {
  const lines = [
    'Footprint: kubeding started as a user starts it, against the fakes over loopback HTTP',
  ]
  for (const w of f.ways) {
    const k = (n: number) => n.toLocaleString('en-US')
    lines.push(
      `  ${w.way}: ${w.command}`,
      row('start to ready', `${w.startSeconds} s (${w.commandStartSeconds} s from ${w.way})`, {
        text: '< 0.5 s',
        met: w.startSeconds < 0.5,
      }),
      row('--version', `${w.versionSeconds} s`, { text: '< 0.15 s', met: w.versionSeconds < 0.15 }),
      row('--help', `${w.helpSeconds} s`, { text: '< 0.15 s', met: w.helpSeconds < 0.15 }),
      row('RSS idle', `${w.idleMiB} MiB`, { text: '< 80 MiB', met: w.idleMiB < 80 }),
      row(`RSS ${w.firstEvents / 1_000}k archived`, `${w.after100kMiB} MiB`, {
        text: '< 110 MiB',
        met: w.after100kMiB < 110,
      }),
      row('RSS 1M + queries', `${w.queriesMiB} MiB`, {
        text: '< 128 MiB',
        met: w.queriesMiB < 128,
      }),
      row('RSS flat', `${w.flatPercent > 0 ? '+' : ''}${w.flatPercent} % (${w.after1MMiB} MiB)`, {
        text: '± 10 %',
        met: Math.abs(w.flatPercent) <= 10,
      }),
      row('ingest cost', `${k(w.eventsPerCpuSecond)} events/CPU-s`, {
        text: '>= 40,000',
        met: w.eventsPerCpuSecond >= 40_000,
      }),
      row('  without alerts', `${k(w.normalEventsPerCpuSecond)} events/CPU-s`),
      ...note(
        `Ready: kubeding's process from its start to the first 200 from /readyz, median of ${SAMPLES} starts on fresh state, the ways taking turns (in brackets: from spawning the command). --version/--help: ${w.way === 'image' ? 'the command' : `the node process ${w.way} starts`}, spawn to exit, median of ${SAMPLES} (through ${w.way}: ${w.commandVersionSeconds} s). Idle: 2 s after ready. Ingest: Warnings on distinct objects streamed over the watch, each archived and routed to one robot; the cost is the service's user + system CPU (${w.cpuSeconds} s) over the first ${k(w.firstEvents)}. Without alerts: then ${k(w.firstEvents)} Normal events, archived and matched against the routes, none routed (${w.normalCpuSeconds} s): what the archive and the watch cost alone. RSS after so many events: read once the service took in the deletion of what was fed (Kubernetes deletes Events after an hour, the fake at once) and its RSS settled (four readings in a second within 1 MiB, at most 10 s); RSS flat compares after ${k(w.firstEvents)} with after ${k(w.archived)}; then ${k(w.nodes)} nodes added and ${w.queries} events/nodes queries through the outgoing route. Peak RSS ${w.peakMiB} MiB; store ${w.storeMiB} MiB on disk.`,
      ),
    )
  }
  lines.push(
    row('image files', f.imageReadOnly),
    row('machine', f.machine),
    row('took', `${f.seconds} s`),
  )
  return lines
}

if (import.meta.main) {
  const ways = process.argv.slice(2)
  const figures = await benchFootprint(ways.length > 0 ? { ways } : {})
  for (const line of formatFootprint(figures)) console.log(line)
}
