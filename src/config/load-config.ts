/**
 * The one way a config is made: locate, read, interpolate, merge `--sink` URIs, validate.
 * Every problem is collected and returned at once, so an operator fixes a file in one pass.
 */
import { readFile } from 'node:fs/promises'
import { applySinks, type NumberedSink } from './apply-sinks.ts'
import {
  type ConfigProblem,
  configErrorMap,
  formatProblem,
  toConfigProblems,
  toPathText,
} from './config-problem.ts'
import { ENV_KEY_NAMES, toEnvConfig } from './env-config.ts'
import { type ConfigLocation, locateConfig } from './locate-config.ts'
import { parseConfigYaml } from './parse-config-yaml.ts'
import { parseSinkUri } from './parse-sink-uri.ts'
import { type Config, ConfigSchema, findReferenceIssues } from './schema.ts'

/** What to load: the `--config` value if any, the `--sink` URIs, the environment, the cwd. */
export type LoadConfigOptions = {
  configPath: string | undefined
  sinks: readonly string[]
  env: NodeJS.ProcessEnv
  cwd: string
}

/** A valid config and where it came from (for the start-up log), or every problem. */
export type LoadedConfig =
  | { ok: true; config: Config; source: string }
  | { ok: false; problems: ConfigProblem[] }

/** Loads and validates the effective config; never throws for a bad config or a missing file. */
export async function loadConfig(options: LoadConfigOptions): Promise<LoadedConfig> {
  const problems: ConfigProblem[] = []
  const sinks: NumberedSink[] = []
  options.sinks.forEach((text, i) => {
    const parsed = parseSinkUri(text, options.env)
    if (parsed.ok) sinks.push({ index: i + 1, sink: parsed.sink })
    else problems.push({ path: `--sink[${i + 1}]`, message: parsed.problem })
  })
  const location = locateConfig(options)
  const base = await readRawConfig(location, options.env)
  if (!base.ok) return { ok: false, problems: [...problems, ...base.problems] }

  // The good sinks are still merged and validated, so a bad sink does not hide other problems.
  const merged = applySinks(base.value, sinks)
  const result = ConfigSchema.safeParse(merged.raw, { error: configErrorMap })
  if (result.success && problems.length === 0 && merged.problems.length === 0) {
    return { ok: true, config: result.data, source: describeSource(location, sinks.length) }
  }
  const found = [
    ...problems,
    ...merged.problems,
    ...(result.success
      ? []
      : [...toConfigProblems(result.error.issues), ...rawReferences(merged.raw)]),
  ].map((p) => (location.kind === 'env' ? { ...p, path: ENV_KEY_NAMES[p.path] ?? p.path } : p))
  return { ok: false, problems: dedupe(found) }
}

async function readRawConfig(
  location: ConfigLocation,
  env: NodeJS.ProcessEnv,
): Promise<
  { ok: true; value: Record<string, unknown> } | { ok: false; problems: ConfigProblem[] }
> {
  if (location.kind === 'env') return { ok: true, value: toEnvConfig(env) }
  let text: string
  try {
    text = await readFile(location.path, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const path = location.from === 'default' ? location.shown : location.from
    const message =
      code === 'ENOENT'
        ? `no such file: ${location.shown}`
        : `cannot read ${location.shown} (${code ?? (error as Error).message})`
    return { ok: false, problems: [{ path, message }] }
  }
  const parsed = parseConfigYaml(text, location.shown, env)
  return parsed.ok ? { ok: true, value: parsed.value } : parsed
}

function describeSource(location: ConfigLocation, sinkCount: number): string {
  const base = location.kind === 'file' ? location.path : 'environment variables (no config file)'
  return sinkCount === 0 ? base : `${base} + ${sinkCount} --sink URI${sinkCount === 1 ? '' : 's'}`
}

/**
 * zod runs the schema's cross-reference check only when everything else is valid; run it on
 * the raw input too, so a route naming a missing robot is reported beside a typo elsewhere.
 */
function rawReferences(raw: Record<string, unknown>): ConfigProblem[] {
  const records = (value: unknown): Record<string, unknown>[] =>
    Array.isArray(value)
      ? value.map((v) =>
          v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {},
        )
      : []
  const dingtalk = raw.dingtalk
  const robots =
    dingtalk !== null && typeof dingtalk === 'object' && 'robots' in dingtalk ? dingtalk.robots : []
  // With no readable robot list, every route would look dangling: the list's own error is enough.
  if (!Array.isArray(robots)) return []
  return findReferenceIssues(records(robots), records(raw.routes)).map((issue) => ({
    path: toPathText(issue.path),
    message: issue.message,
  }))
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>()
  return problems.filter((p) => {
    const line = formatProblem(p)
    if (seen.has(line)) return false
    seen.add(line)
    return true
  })
}
