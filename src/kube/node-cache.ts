/**
 * Nodes and their problem conditions, kept current by list+watch, for the `nodes` command.
 * Node status is rewritten every heartbeat, so with thousands of nodes MODIFIED arrives many
 * times a second: each change recomputes that node's problems and only invalidates the sorted
 * answer when they actually changed.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { listPageOf } from './list-page.ts'
import { createListWatch } from './list-watch.ts'
import type { Backoff, KubeLogger, WatchState } from './watch-state.ts'

/** One condition that makes a node a problem. `since` is its lastTransitionTime (epoch ms). */
export interface NodeProblem {
  type: string
  status: string
  reason: string
  message: string
  since: number
}

/** A node with its Ready status and its problems (empty when healthy). */
export interface NodeInfo {
  name: string
  ready: 'True' | 'False' | 'Unknown'
  problems: NodeProblem[]
}

/** What the node cache needs. */
export interface NodeCacheOptions {
  kc: KubeConfig
  logger: KubeLogger
  now?: () => number
  backoff?: Backoff
  watchTimeoutSeconds?: number
}

/** A running node cache. */
export interface NodeCache {
  start(): void
  stop(): Promise<void>
  /** Nodes with a problem: NotReady first, then by name. */
  problemNodes(): NodeInfo[]
  /** How many nodes are known. */
  size(): number
  state(): WatchState
}

type Raw = Record<string, unknown>
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v)
const str = (v: unknown): string => (typeof v === 'string' ? v : '')

/**
 * The kubelet's pressure conditions and node-problem-detector's conditions are problems when
 * True; Ready is the one condition whose problem is not being True (False, Unknown, or absent).
 */
export function toNodeInfo(raw: unknown, now: number): NodeInfo | undefined {
  if (!isRecord(raw) || !isRecord(raw.metadata)) return undefined
  const name = str(raw.metadata.name)
  if (!name) return undefined
  const status = isRecord(raw.status) ? raw.status : {}
  const conditions = Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : []
  const created = Date.parse(str(raw.metadata.creationTimestamp))
  const sinceOf = (c: Raw) => {
    const t = Date.parse(str(c.lastTransitionTime))
    return Number.isNaN(t) ? (Number.isNaN(created) ? now : created) : t
  }
  const problems: NodeProblem[] = []
  let ready: NodeInfo['ready'] = 'Unknown'
  const readyCondition = conditions.find((c) => c.type === 'Ready')
  if (readyCondition?.status === 'True' || readyCondition?.status === 'False')
    ready = readyCondition.status
  if (ready !== 'True') {
    problems.push({
      type: 'Ready',
      status: readyCondition ? str(readyCondition.status) || 'Unknown' : 'Unknown',
      reason: readyCondition ? str(readyCondition.reason) : 'NoReadyCondition',
      message: readyCondition ? str(readyCondition.message) : 'the node reports no Ready condition',
      since: readyCondition ? sinceOf(readyCondition) : Number.isNaN(created) ? now : created,
    })
  }
  for (const c of conditions) {
    if (c.type === 'Ready' || c.status !== 'True' || !str(c.type)) continue
    problems.push({
      type: str(c.type),
      status: 'True',
      reason: str(c.reason),
      message: str(c.message),
      since: sinceOf(c),
    })
  }
  return { name, ready, problems }
}

const signature = (info: NodeInfo) => JSON.stringify([info.ready, info.problems])

const byNotReadyThenName = (a: NodeInfo, b: NodeInfo) =>
  Number(a.ready === 'True') - Number(b.ready === 'True') ||
  (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/** Builds the node cache; nothing is requested until `start()`. */
export function createNodeCache(opts: NodeCacheOptions): NodeCache {
  const now = opts.now ?? Date.now
  /** Every known node's name → the signature of its problems ('' when healthy). */
  const known = new Map<string, string>()
  const problems = new Map<string, NodeInfo>()
  let sorted: NodeInfo[] | undefined = []

  const put = (info: NodeInfo) => {
    const sig = info.problems.length ? signature(info) : ''
    if (known.get(info.name) === sig) return
    known.set(info.name, sig)
    if (sig) problems.set(info.name, info)
    else problems.delete(info.name)
    sorted = undefined
  }
  const remove = (name: string) => {
    if (!known.delete(name)) return
    if (problems.delete(name)) sorted = undefined
  }
  const skip = (raw: unknown) =>
    opts.logger.warn(
      { object: JSON.stringify(raw)?.slice(0, 200) },
      'skipped a Node without a name',
    )

  const loop = createListWatch({
    kc: opts.kc,
    what: 'nodes',
    path: '/api/v1/nodes',
    listPage: listPageOf(opts.kc, '/api/v1/nodes'),
    onList: (items) => {
      const seen = new Set<string>()
      for (const raw of items) {
        const info = toNodeInfo(raw, now())
        if (!info) {
          skip(raw)
          continue
        }
        seen.add(info.name)
        put(info)
      }
      // Nodes deleted while the watch was down are only noticed here.
      for (const name of [...known.keys()]) if (!seen.has(name)) remove(name)
    },
    onChange: (type, raw) => {
      const info = toNodeInfo(raw, now())
      if (!info) return skip(raw)
      if (type === 'DELETED') remove(info.name)
      else put(info)
    },
    logger: opts.logger,
    now,
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
    ...(opts.watchTimeoutSeconds ? { watchTimeoutSeconds: opts.watchTimeoutSeconds } : {}),
  })

  return {
    start: loop.start,
    stop: loop.stop,
    state: loop.state,
    size: () => known.size,
    problemNodes: () => {
      sorted ??= [...problems.values()].sort(byNotReadyThenName)
      return sorted.slice()
    },
  }
}
