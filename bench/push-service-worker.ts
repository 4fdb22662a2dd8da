/**
 * The service under measurement, alone in its own process: bench/push.ts forks this file, so the
 * fakes (in the parent) never share its event loop and the RSS it reports is the service's own.
 * Production defaults throughout (tick, notifier tuning, watch backoff, info logging, listening);
 * only the config comes from the parent, and for one phase a clock that runs faster than ours.
 *
 * IPC, parent → child: `start` (config, kube server and token, log file), `memory`, `stop`;
 * child → parent: `ready` once /readyz says so, `memory`, `stopped`, or `failed` with the reason.
 */
import { KubeConfig } from '@kubernetes/client-node'
import pino from 'pino'
import { ConfigSchema } from '../src/config/schema.ts'
import { createService, type Service } from '../src/service.ts'
import { type FastClock, fastNow } from './fast-clock.ts'

/** What the parent asks. */
export type WorkerCommand =
  | {
      cmd: 'start'
      config: unknown
      kube: { server: string; token: string }
      logFile: string
      /** Omitted: the real clock. */
      clock?: FastClock
    }
  | { cmd: 'memory' }
  | { cmd: 'stop' }

/** Memory of this process, in bytes (`maxRss`: the peak since it started), and its CPU time. */
export interface WorkerMemory {
  rss: number
  maxRss: number
  heapUsed: number
  /** Resident once every module was loaded, before the service was built. */
  loadedRss: number
  /** CPU time since it started, in microseconds. */
  cpu: { user: number; system: number }
}

/** What the child answers. */
export type WorkerReply =
  | { kind: 'ready' }
  | ({ kind: 'memory' } & WorkerMemory)
  | { kind: 'stopped' }
  | { kind: 'failed'; error: string }

// Static imports are evaluated before this line: this is the cost of the code alone.
const loadedRss = process.memoryUsage().rss
const send = (reply: WorkerReply) => process.send?.(reply)

function toKubeConfig(server: string, token: string): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'bench', server, skipTLSVerify: true }],
    users: [{ name: 'bench', token }],
    contexts: [{ name: 'bench', cluster: 'bench', user: 'bench' }],
    currentContext: 'bench',
  })
  return kc
}

async function untilReady(service: Service): Promise<void> {
  for (;;) {
    const res = await service.app.inject({ method: 'GET', url: '/readyz' })
    if (res.statusCode === 200) return
    await new Promise((r) => setTimeout(r, 20))
  }
}

let service: Service | undefined
let stopping: Promise<void> | undefined
const stopOnce = (flushMs: number) => {
  stopping ??= service?.stop(flushMs) ?? Promise.resolve()
  return stopping
}

async function handle(command: WorkerCommand): Promise<void> {
  if (command.cmd === 'start') {
    // Synchronous, as pino's default stdout to a file or a pipe is in production.
    const logger = pino({ level: 'info' }, pino.destination({ dest: command.logFile, sync: true }))
    const kc = toKubeConfig(command.kube.server, command.kube.token)
    service = await createService({
      config: ConfigSchema.parse(command.config),
      logger,
      version: 'bench',
      loadKubeConfig: () => kc,
      // The store keeps whole milliseconds.
      ...(command.clock ? { now: () => Math.round(fastNow(command.clock as FastClock)) } : {}),
    })
    await service.app.listen({ host: '127.0.0.1', port: 0 })
    service.start()
    await untilReady(service)
    send({ kind: 'ready' })
  } else if (command.cmd === 'memory') {
    const { rss, heapUsed } = process.memoryUsage()
    // resourceUsage() gives the peak resident set in KiB.
    send({
      kind: 'memory',
      rss,
      heapUsed,
      maxRss: process.resourceUsage().maxRSS * 1024,
      loadedRss,
      cpu: process.cpuUsage(),
    })
  } else {
    await stopOnce(2_000)
    send({ kind: 'stopped' })
    process.disconnect()
  }
}

process.on('message', (command: WorkerCommand) => {
  handle(command).catch((err: unknown) => {
    send({ kind: 'failed', error: err instanceof Error ? (err.stack ?? err.message) : String(err) })
    process.exitCode = 1
    process.disconnect()
  })
})
// The parent went away without saying stop: do not linger.
process.on('disconnect', () => {
  void stopOnce(0).finally(() => process.exit())
})
