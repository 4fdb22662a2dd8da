/**
 * kube-eventer's `sls:` sink (sinks/sls/sls.go): the `archive.sls` section.
 */
import { firstParam, SinkError, type SinkParams } from './sink-params.ts'

/** The parameters kube-eventer's SLS sink takes, plus `logstore` as the config file spells it. */
export const SLS_PARAMS = [
  'project',
  'logStore',
  'logstore',
  'topic',
  'regionId',
  'internal',
  'accessKeyId',
  'accessKeySecret',
  'label',
] as const

/** An `sls:` sink: the raw `archive.sls` section it stands for. */
export type SlsSink = {
  kind: 'sls'
  sls: {
    endpoint: string
    project: string
    logstore: string
    topic: string
    accessKeyId?: string
    accessKeySecret?: string
    labels?: Record<string, string>
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
function toSlsEndpoint(url: URL, params: SinkParams): string {
  const internalText = firstParam(params, 'internal')
  const internal = internalText === undefined ? false : toBoolean(internalText)
  if (internal === undefined) throw new SinkError('internal must be true or false')
  const regionId = firstParam(params, 'regionId')
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

/**
 * `project` and `logStore` are required; the access keys fall back to the environment
 * (`AccessKeyId`/`AccessKeySecret` as kube-eventer read them, then
 * `ALIBABA_CLOUD_ACCESS_KEY_ID`/`..._SECRET`), and without either the archive uses Alibaba
 * Cloud's default credential chain (RRSA, the node's RAM role), as kube-eventer did on ACK;
 * each `label=key,value` adds a field to every log.
 */
export function toSlsSink(url: URL, params: SinkParams, env: NodeJS.ProcessEnv): SlsSink {
  const project = firstParam(params, 'project')
  if (project === undefined) throw new SinkError('needs project')
  const logstore = firstParam(params, 'logStore', 'logstore')
  if (logstore === undefined) throw new SinkError('needs logStore')
  const accessKeyId =
    firstParam(params, 'accessKeyId') ?? (env.AccessKeyId || env.ALIBABA_CLOUD_ACCESS_KEY_ID)
  const accessKeySecret =
    firstParam(params, 'accessKeySecret') ??
    (env.AccessKeySecret || env.ALIBABA_CLOUD_ACCESS_KEY_SECRET)
  if (!accessKeyId !== !accessKeySecret) {
    throw new SinkError(
      'needs accessKeyId and accessKeySecret together (in the URI or as ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET), or neither to use the RAM role or RRSA',
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
      topic: firstParam(params, 'topic') ?? '',
      ...(accessKeyId && accessKeySecret ? { accessKeyId, accessKeySecret } : {}),
      ...(Object.keys(labels).length > 0 ? { labels } : {}),
    },
  }
}
