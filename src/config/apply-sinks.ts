/**
 * Merges parsed `--sink` URIs into the raw config (file or environment) before validation, so
 * the merged result is checked by the same schema and reported the same way.
 */
import type { ConfigProblem } from './config-problem.ts'
import type { DingTalkSink, SlsSink } from './parse-sink-uri.ts'

/** A parsed sink and its 1-based position among the `--sink` flags. */
export type NumberedSink = { index: number; sink: DingTalkSink | SlsSink }

/** The name each sink's robot gets: `sink-<position of its --sink flag>`. */
export function toSinkRobotName(index: number): string {
  return `sink-${index}`
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

/**
 * Returns a new raw config with:
 * 1. each `dingtalk:` sink's robot appended to `dingtalk.robots` as `sink-N`, and its route
 *    appended to `routes`. When the config left `routes` out (meaning one Warning route per
 *    robot), those implicit routes are written out first, so adding a sink never silences
 *    the config's own robots.
 * 2. `cluster` set from the sinks' `label`s (all distinct ones, joined with ", ", as
 *    kube-eventer printed every label) or else the first `cluster_id`, only when the config
 *    names no cluster itself.
 * 3. the `sls:` sink as `archive.sls`; a second sls sink, or one beside a configured
 *    `archive.sls`, is a problem (there is one archive).
 * Sections of the wrong type are left alone: the schema then reports them.
 */
export function applySinks(
  raw: Record<string, unknown>,
  sinks: readonly NumberedSink[],
): { raw: Record<string, unknown>; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = []
  let merged = { ...raw }
  const dingtalkSinks = sinks.filter(
    (s): s is { index: number; sink: DingTalkSink } => s.sink.kind === 'dingtalk',
  )
  if (dingtalkSinks.length > 0) merged = withDingTalkSinks(merged, dingtalkSinks)
  for (const { index, sink } of sinks) {
    if (sink.kind !== 'sls') continue
    const archive = merged.archive === undefined ? {} : asRecord(merged.archive)
    if (archive === undefined) continue
    if (archive.sls !== undefined) {
      problems.push({
        path: `--sink[${index}]`,
        message: 'archive.sls is already set (by the config file or an earlier sls sink)',
      })
      continue
    }
    merged.archive = { ...archive, sls: sink.sls }
  }
  return { raw: merged, problems }
}

function withDingTalkSinks(
  raw: Record<string, unknown>,
  sinks: readonly { index: number; sink: DingTalkSink }[],
): Record<string, unknown> {
  const merged = { ...raw }
  if (merged.cluster === undefined || merged.cluster === null || merged.cluster === '') {
    const labels = [...new Set(sinks.flatMap((s) => s.sink.labels))]
    const clusterId = sinks.find((s) => s.sink.clusterId !== undefined)?.sink.clusterId
    if (labels.length > 0) merged.cluster = labels.join(', ')
    else if (clusterId !== undefined) merged.cluster = clusterId
  }
  const dingtalk = merged.dingtalk === undefined ? {} : asRecord(merged.dingtalk)
  const robots = dingtalk?.robots === undefined ? [] : dingtalk.robots
  const routes = merged.routes === undefined ? implicitRoutes(robots) : merged.routes
  if (dingtalk === undefined || !Array.isArray(robots) || !Array.isArray(routes)) return merged
  merged.dingtalk = {
    ...dingtalk,
    robots: [
      ...robots,
      ...sinks.map(({ index, sink }) => ({ name: toSinkRobotName(index), ...sink.robot })),
    ],
  }
  merged.routes = [
    ...routes,
    ...sinks.map(({ index, sink }) => ({ robot: toSinkRobotName(index), ...sink.route })),
  ]
  return merged
}

/** The schema's default for an omitted `routes`: one Warning route per named robot. */
function implicitRoutes(robots: unknown): unknown[] | undefined {
  if (!Array.isArray(robots)) return undefined
  return robots.flatMap((r) => {
    const name = asRecord(r)?.name
    return typeof name === 'string' ? [{ robot: name, level: 'Warning' }] : []
  })
}
