/**
 * The command line: parses arguments, loads the config, answers `--help`, `--version` and
 * `--check-config` itself, and tells the composition root what to run. It never reads
 * `process` directly, so tests run it in-process with a fake environment and captured output.
 *
 * The config modules (zod, yaml) are imported only once `--help` and `--version` are ruled
 * out: those two answer from this file alone, in the time Node takes to start.
 */
import { readFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import type { Config } from './config/schema.ts'

/** Where the CLI writes; `main.ts` passes `process.stdout`/`stderr` writers. */
export type CliIo = { cwd: string; stdout(text: string): void; stderr(text: string): void }

/**
 * `exit`: done, exit with `code` (0 ok, 2 bad usage or config). `run`: start the service.
 * `send-test`: send a test message to every robot. `source` says where the config came from.
 */
export type CliResult =
  | { kind: 'exit'; code: number }
  | { kind: 'run'; config: Config; source: string }
  | { kind: 'send-test'; config: Config; source: string }

/** Exit status for a bad command line or an invalid config. */
export const EXIT_USAGE = 2

export const USAGE = `Usage:
  kubeding [--config FILE] [--sink URI]...      start the service
  kubeding --check-config [--config FILE]       validate and print the effective config (secrets masked)
  kubeding send-test [--config FILE]            send a test message to every robot
  kubeding --help | --version

Options:
  -c, --config FILE   the config file (default: $KUBEDING_CONFIG, else ./kubeding.yaml if present,
                      else defaults plus environment variables)
  --sink URI          a kube-eventer sink URI, repeatable:
                        dingtalk:https://oapi.dingtalk.com/robot/send?access_token=T&level=Warning&label=prod
                        sls:https://cn-hangzhou.log.aliyuncs.com?project=P&logStore=L&accessKeyId=I&accessKeySecret=K
  --check-config      validate, print the effective config with secrets masked, exit 0 (2 if invalid)
  -h, --help          show this help
  -v, --version       print the version

With no config file: DINGTALK_WEBHOOK, DINGTALK_SECRET, DINGTALK_OUTGOING_TOKEN,
DINGTALK_APP_SECRET, KUBEDING_CLUSTER and PORT build a one-robot config with one Warning route.
In a config file, \${VAR} and \${VAR:-default} are read from the environment.
`

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  sink: { type: 'string', multiple: true },
  'check-config': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

const COMMANDS = ['send-test'] as const

/** Runs the command line `argv` (without node and the script) against `env`. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CliIo,
): Promise<CliResult> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true })
  } catch (error) {
    // Node adds advice about `--` after the first sentence; the first sentence names the option.
    return usageError(io, (error as Error).message.split('. ')[0] ?? '')
  }
  const { values, positionals } = parsed
  if (values.help) {
    io.stdout(USAGE)
    return { kind: 'exit', code: 0 }
  }
  if (values.version) {
    io.stdout(`${readVersion()}\n`)
    return { kind: 'exit', code: 0 }
  }
  const [command, ...extra] = positionals
  if (command !== undefined && !(COMMANDS as readonly string[]).includes(command)) {
    return usageError(io, `unknown command ${describeArgument(command)}`)
  }
  if (extra.length > 0) return usageError(io, `unexpected argument ${describeArgument(extra[0])}`)
  if (command === 'send-test' && values['check-config']) {
    return usageError(io, '--check-config and send-test cannot be combined')
  }
  if (values.config === '') return usageError(io, '--config needs a file name')

  const [{ loadConfig }, { formatProblem }] = await Promise.all([
    import('./config/load-config.ts'),
    import('./config/config-problem.ts'),
  ])
  const loaded = await loadConfig({
    configPath: values.config,
    sinks: values.sink ?? [],
    env,
    cwd: io.cwd,
  })
  if (!loaded.ok) {
    io.stderr(loaded.problems.map((p) => `${formatProblem(p)}\n`).join(''))
    return { kind: 'exit', code: EXIT_USAGE }
  }
  if (values['check-config']) {
    const { toMaskedYaml } = await import('./config/to-masked-yaml.ts')
    io.stdout(`# kubeding effective config, from ${loaded.source}; secrets masked\n`)
    io.stdout(toMaskedYaml(loaded.config))
    return { kind: 'exit', code: 0 }
  }
  const kind = command === 'send-test' ? 'send-test' : 'run'
  return { kind, config: loaded.config, source: loaded.source }
}

function usageError(io: CliIo, message: string): CliResult {
  io.stderr(`kubeding: ${message}\nRun kubeding --help for usage.\n`)
  return { kind: 'exit', code: EXIT_USAGE }
}

/** Echoes a stray argument only when it looks like a word: it could be a pasted secret. */
function describeArgument(argument: string | undefined): string {
  return argument !== undefined && /^[\w.-]{1,40}$/.test(argument) ? `"${argument}"` : '(not shown)'
}

/** kubeding's version, from package.json beside the sources (or beside dist/). */
export function readVersion(): string {
  // node:fs is loaded with Node itself; node:fs/promises took 4 ms more of `--version`.
  const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
  return (JSON.parse(text) as { version: string }).version
}
