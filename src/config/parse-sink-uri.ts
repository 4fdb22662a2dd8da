/**
 * kube-eventer's `--sink` URIs, taken as they are so a kube-eventer user migrates by copying one
 * flag. Parameter names and meanings follow kube-eventer's own parsers (sinks/dingtalk/dingtalk.go,
 * sinks/sls/sls.go); where kube-eventer silently ignored a mistake, kubeding refuses it clearly.
 */
import type { Level } from './schema.ts'

/** A `dingtalk:` sink: one robot and one route to it, plus kube-eventer's cluster labels. */
export type DingTalkSink = {
  kind: 'dingtalk'
  robot: { webhook: string; secret?: string; msgType?: 'markdown' | 'text' }
  route: { level: Level; kinds: string[]; namespaces: string[] }
  /** Every `label=` in order; kube-eventer printed each at the top of every message. */
  labels: string[]
  /** kube-eventer's `cluster_id` (it titled messages with it); the cluster name of last resort. */
  clusterId?: string
}

/** An `sls:` sink: the raw `archive.sls` section it stands for. */
export type SlsSink = {
  kind: 'sls'
  sls: {
    endpoint: string
    project: string
    logstore: string
    topic: string
    accessKeyId: string
    accessKeySecret: string
    labels?: Record<string, string>
  }
}

/** A parsed sink, or what is wrong with it (never a parameter's value: it may be a secret). */
export type ParsedSink = { ok: true; sink: DingTalkSink | SlsSink } | { ok: false; problem: string }

class SinkError extends Error {}

type Params = Map<string, string[]>

const DINGTALK_PARAMS = [
  'access_token',
  'level',
  'label',
  'kinds',
  'monitorkinds',
  'namespaces',
  'monitornamespaces',
  'msg_type',
  'sign',
  'cluster_id',
  'region',
]
const SLS_PARAMS = [
  'project',
  'logStore',
  'logstore',
  'topic',
  'regionId',
  'internal',
  'accessKeyId',
  'accessKeySecret',
  'label',
]
/** Parameters that may be given more than once; the others must be given at most once. */
const REPEATABLE = new Set(['label', 'kinds', 'monitorkinds', 'namespaces', 'monitornamespaces'])

/**
 * Parses `dingtalk:https://oapi.dingtalk.com/robot/send?access_token=...&level=Warning...` or
 * `sls:https://cn-hangzhou.log.aliyuncs.com?project=...&logStore=...`. `env` supplies the
 * access keys an `sls:` URI leaves out, as kube-eventer did.
 */
export function parseSinkUri(text: string, env: NodeJS.ProcessEnv): ParsedSink {
  try {
    const colon = text.indexOf(':')
    const scheme = colon > 0 ? text.slice(0, colon).trim() : ''
    if (scheme !== 'dingtalk' && scheme !== 'sls') {
      throw new SinkError('must start with dingtalk: or sls: (kube-eventer sink URIs)')
    }
    const url = toUrl(text.slice(colon + 1).trim(), scheme)
    const params = toParams(url, scheme === 'dingtalk' ? DINGTALK_PARAMS : SLS_PARAMS, scheme)
    const sink = scheme === 'dingtalk' ? toDingTalkSink(url, params) : toSlsSink(url, params, env)
    return { ok: true, sink }
  } catch (error) {
    if (error instanceof SinkError) return { ok: false, problem: error.message }
    throw error
  }
}

function toUrl(text: string, scheme: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new SinkError(`the part after "${scheme}:" is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SinkError(`the part after "${scheme}:" must be an http(s) URL`)
  }
  return url
}

function toParams(url: URL, known: string[], scheme: string): Params {
  const params: Params = new Map()
  for (const [name, value] of url.searchParams) {
    if (!known.includes(name)) {
      throw new SinkError(`unknown parameter "${name}" (${scheme} sinks take ${known.join(', ')})`)
    }
    const values = params.get(name) ?? []
    if (values.length > 0 && !REPEATABLE.has(name)) {
      throw new SinkError(`parameter "${name}" is given more than once`)
    }
    params.set(name, [...values, value])
  }
  return params
}

function first(params: Params, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = params.get(name)?.[0]
    if (value !== undefined && value !== '') return value
  }
  return undefined
}

/** kube-eventer splits `kinds=Pod,Node` on commas; an empty value means all. */
function toList(params: Params, ...names: string[]): string[] {
  return names
    .flatMap((name) => params.get(name) ?? [])
    .flatMap((value) => value.split(','))
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

function toDingTalkSink(url: URL, params: Params): DingTalkSink {
  const token = first(params, 'access_token')
  if (token === undefined) throw new SinkError('needs access_token (the robot webhook token)')
  const levelText = first(params, 'level') ?? 'Warning'
  const level = (['Normal', 'Warning'] as const).find(
    (l) => l.toLowerCase() === levelText.toLowerCase(),
  )
  if (level === undefined)
    throw new SinkError(`level must be Normal or Warning, not "${levelText}"`)
  const msgTypeText = first(params, 'msg_type')
  const msgType = (['markdown', 'text'] as const).find((m) => m === msgTypeText?.toLowerCase())
  if (msgTypeText !== undefined && msgType === undefined) {
    throw new SinkError(`msg_type must be markdown or text, not "${msgTypeText}"`)
  }
  const secret = first(params, 'sign')
  const clusterId = first(params, 'cluster_id')
  return {
    kind: 'dingtalk',
    robot: {
      // Only the token travels in the webhook; kube-eventer's own parameters are not DingTalk's.
      webhook: `${url.protocol}//${url.host}${url.pathname}?access_token=${encodeURIComponent(token)}`,
      ...(secret !== undefined ? { secret } : {}),
      ...(msgType !== undefined ? { msgType } : {}),
    },
    route: {
      level,
      kinds: toList(params, 'kinds', 'monitorkinds'),
      namespaces: toList(params, 'namespaces', 'monitornamespaces'),
    },
    labels: (params.get('label') ?? []).map((l) => l.trim()).filter((l) => l !== ''),
    ...(clusterId !== undefined ? { clusterId } : {}),
  }
}

/** Go's strconv.ParseBool, which kube-eventer used for `internal`. */
function toBoolean(text: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'True', 'TRUE'].includes(text)) return true
  if (['0', 'f', 'F', 'false', 'False', 'FALSE'].includes(text)) return false
  return undefined
}

/**
 * Endpoint: with `regionId`, the region's public endpoint, or its `-intranet` one with
 * `internal=true` (kube-eventer defaulted to intranet, which works only inside Alibaba Cloud;
 * kubeding runs anywhere, so public is the default). Without, the URI's host, unless it is the
 * placeholder `sls.aliyuncs.com` from kube-eventer's docs, which names no region.
 */
function toSlsEndpoint(url: URL, params: Params): string {
  const internalText = first(params, 'internal')
  const internal = internalText === undefined ? false : toBoolean(internalText)
  if (internal === undefined) throw new SinkError('internal must be true or false')
  const regionId = first(params, 'regionId')
  if (regionId !== undefined) {
    if (!/^[a-z0-9-]+$/.test(regionId)) throw new SinkError('regionId must look like cn-hangzhou')
    return `${regionId}${internal ? '-intranet' : ''}.log.aliyuncs.com`
  }
  if (url.hostname === 'sls.aliyuncs.com') {
    throw new SinkError(
      'sls.aliyuncs.com names no region: add regionId=cn-hangzhou, or write the endpoint as https://cn-hangzhou.log.aliyuncs.com',
    )
  }
  return url.host
}

function toSlsSink(url: URL, params: Params, env: NodeJS.ProcessEnv): SlsSink {
  const project = first(params, 'project')
  if (project === undefined) throw new SinkError('needs project')
  const logstore = first(params, 'logStore', 'logstore')
  if (logstore === undefined) throw new SinkError('needs logStore')
  const accessKeyId =
    first(params, 'accessKeyId') ?? (env.AccessKeyId || env.ALIBABA_CLOUD_ACCESS_KEY_ID)
  const accessKeySecret =
    first(params, 'accessKeySecret') ?? (env.AccessKeySecret || env.ALIBABA_CLOUD_ACCESS_KEY_SECRET)
  if (!accessKeyId || !accessKeySecret) {
    throw new SinkError(
      'needs accessKeyId and accessKeySecret, in the URI or as ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    )
  }
  const labels: Record<string, string> = {}
  for (const label of params.get('label') ?? []) {
    // kube-eventer: `label=key,value`, one field added to every log.
    const parts = label.split(',')
    if (parts.length !== 2 || !parts[0]) throw new SinkError('label must be written key,value')
    labels[parts[0]] = parts[1] ?? ''
  }
  return {
    kind: 'sls',
    sls: {
      endpoint: toSlsEndpoint(url, params),
      project,
      logstore,
      topic: first(params, 'topic') ?? '',
      accessKeyId,
      accessKeySecret,
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    },
  }
}
