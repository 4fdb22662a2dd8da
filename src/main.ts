/**
 * The composition root: the only file that reads process.env, listens, and handles signals.
 * Only the command line is imported up front: `--help`, `--version` and `--check-config` never
 * load the service, its HTTP server or the Kubernetes client.
 */
import { existsSync } from 'node:fs'
import { enableCompileCache } from 'node:module'
import { fileURLToPath } from 'node:url'
import { readVersion, runCli } from './cli.ts'

// The bundle carries V8's compiled code of what it loads next (scripts/build.ts): ~75 ms less to
// ready. The sources have none. Portable keys came with Node 24.12; older Nodes just compile.
const compileCache = fileURLToPath(new URL('./compile-cache', import.meta.url))
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
if ((major > 24 || (major === 24 && minor >= 12)) && existsSync(compileCache))
  enableCompileCache({ directory: compileCache, portable: true })

/** How long SIGTERM waits for the outbox (and the SLS queue) to drain. */
const FLUSH_ON_STOP_MS = 10_000

const io = {
  cwd: process.cwd(),
  stdout: (text: string) => process.stdout.write(text),
  stderr: (text: string) => process.stderr.write(text),
}
const cli = await runCli(process.argv.slice(2), process.env, io)
if (cli.kind === 'exit') process.exit(cli.code)
if (cli.kind === 'send-test') {
  const { sendTest } = await import('./send-test.ts')
  process.exit(await sendTest(cli.config, io))
}

const version = readVersion()
const [
  { default: pino },
  { createService },
  { loadKubeConfig },
  { StoreOpenError },
  { useMemoryFlags },
] = await Promise.all([
  import('pino'),
  import('./service.ts'),
  import('./kube/load-kube-config.ts'),
  import('./store/open-store.ts'),
  import('./memory-flags.ts'),
])
// After the service's code is loaded, so that Node's built-in modules load with their compiled code.
useMemoryFlags()
const level = process.env.LOG_LEVEL ?? 'info'
// pino-pretty as a stream in this thread, not a transport: a transport's worker loads its target
// by package name, which the bundled build (dist/) cannot, and pretty output is for a terminal.
const logger =
  process.env.LOG_FORMAT === 'pretty'
    ? pino({ level }, (await import('pino-pretty')).default())
    : pino({ level })
const { config } = cli
logger.info(
  { version, config: cli.source, cluster: config.cluster, robots: config.dingtalk.robots.length },
  'kubeding starting',
)

const service = await createService({
  config,
  logger,
  version,
  env: process.env,
  loadKubeConfig: () =>
    loadKubeConfig(
      {
        context: config.kubernetes.context,
        ...(config.kubernetes.kubeconfig ? { kubeconfig: config.kubernetes.kubeconfig } : {}),
      },
      process.env,
    ),
}).catch((err: unknown) => {
  // A store that waiting cannot heal (damaged, read-only): one line that says what to do,
  // not a stack trace. (A full disk is waited for inside createService.)
  if (!(err instanceof StoreOpenError)) throw err
  io.stderr(`kubeding: ${err.message}\n`)
  process.exit(1)
})
if (await listen()) {
  service.start()
} else {
  // Nothing was started but the store: close it and end with the failure code.
  await service.stop(0)
  process.exitCode = 1
}

/** Listens; false after one log line when the port is taken (a common mistake with a known fix). */
async function listen(): Promise<boolean> {
  const { host, port } = config.server
  try {
    await service.app.listen({ host, port })
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
    logger.fatal(
      { host, port },
      `port ${port} on ${host} is already in use: stop whatever listens there, or set server.port in the config (or PORT) to a free port`,
    )
    return false
  }
}

let stopping = false
const shutdown = (signal: NodeJS.Signals) => {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting without waiting for the flush')
    process.exit(1)
  }
  stopping = true
  logger.info({ signal, flushTimeoutMs: FLUSH_ON_STOP_MS }, 'stopping: flushing what is queued')
  service.stop(FLUSH_ON_STOP_MS).then(
    () => {
      logger.info('stopped')
      process.exit(0)
    },
    (err: unknown) => {
      logger.error({ err }, 'stopping failed')
      process.exit(1)
    },
  )
}
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
