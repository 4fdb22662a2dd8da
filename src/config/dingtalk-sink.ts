/**
 * kube-eventer's `dingtalk:` sink (sinks/dingtalk/dingtalk.go): one robot and one route.
 */
import type { Level } from './schema.ts'
import { firstParam, SinkError, type SinkParams, toParamList } from './sink-params.ts'

/** The parameters kube-eventer's DingTalk sink takes, plus the Helm chart's two aliases. */
export const DINGTALK_PARAMS = [
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
] as const

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

/**
 * `access_token` (required) and `sign` make the robot (the webhook keeps only the token:
 * kube-eventer's own parameters are not DingTalk's); `level` (default Warning, either case),
 * `kinds`/`monitorkinds` and `namespaces`/`monitornamespaces` make the route; `msg_type` is
 * markdown or text (left out: kubeding's default, markdown, where kube-eventer sent text).
 * `region` is accepted and unused: kube-eventer only put it in Alibaba console links.
 */
export function toDingTalkSink(url: URL, params: SinkParams): DingTalkSink {
  const token = firstParam(params, 'access_token')
  if (token === undefined) throw new SinkError('needs access_token (the robot webhook token)')
  const levelText = firstParam(params, 'level') ?? 'Warning'
  const level = (['Normal', 'Warning'] as const).find(
    (l) => l.toLowerCase() === levelText.toLowerCase(),
  )
  if (level === undefined) {
    throw new SinkError(`level must be Normal or Warning, not "${levelText}"`)
  }
  const msgTypeText = firstParam(params, 'msg_type')
  const msgType = (['markdown', 'text'] as const).find((m) => m === msgTypeText?.toLowerCase())
  if (msgTypeText !== undefined && msgType === undefined) {
    throw new SinkError(`msg_type must be markdown or text, not "${msgTypeText}"`)
  }
  const secret = firstParam(params, 'sign')
  const clusterId = firstParam(params, 'cluster_id')
  return {
    kind: 'dingtalk',
    robot: {
      webhook: `${url.protocol}//${url.host}${url.pathname}?access_token=${encodeURIComponent(token)}`,
      ...(secret !== undefined ? { secret } : {}),
      ...(msgType !== undefined ? { msgType } : {}),
    },
    route: {
      level,
      kinds: toParamList(params, 'kinds', 'monitorkinds'),
      namespaces: toParamList(params, 'namespaces', 'monitornamespaces'),
    },
    labels: (params.get('label') ?? []).map((l) => l.trim()).filter((l) => l !== ''),
    ...(clusterId !== undefined ? { clusterId } : {}),
  }
}
