/**
 * The composition root: the only file that reads process.env, listens, and handles signals.
 * Only the command line is imported up front: `--help`, `--version` and `--check-config` never
 * load the service, its HTTP server or the Kubernetes client.
 */
import { readFileSync } from 'node:fs'
import { runCli } from './cli.ts'

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

const { version } = JSON.parse(
  readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
) as { version: string }
const [{ default: pino }, { createService }, { loadKubeConfig }] = await Promise.all([
  import('pino'),
  import('./service.ts'),
  import('./kube/load-kube-config.ts'),
])
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
  loadKubeConfig: () =>
    loadKubeConfig(
      {
        context: config.kubernetes.context,
        ...(config.kubernetes.kubeconfig ? { kubeconfig: config.kubernetes.kubeconfig } : {}),
      },
      process.env,
    ),
})
await service.app.listen({ host: config.server.host, port: config.server.port })
service.start()

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
