/**
 * Nodes and their problem conditions, kept current by list+watch, for the `nodes` command and as
 * the source of node condition alerts (`pipeline/node-conditions.ts` listens). Node status is
 * rewritten every heartbeat, so with thousands of nodes MODIFIED arrives many times a second:
 * each change recomputes that node's problems and only invalidates the sorted answer (and tells
 * the listener) when they actually changed.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { listPageOf } from './list-page.ts'
import { createListWatch } from './list-watch.ts'
import type { Backoff, KubeLogger, WatchState } from './watch-state.ts'

/** One node condition. `since` is its lastTransitionTime (epoch ms). */
export interface NodeCondition {
  type: string
  status: string
  reason: string
  message: string
  since: number
}

/** A condition that makes a node a problem. */
export type NodeProblem = NodeCondition

/** A node with its Ready status and its problems (empty when healthy). */
export interface NodeInfo {
  name: string
  ready: 'True' | 'False' | 'Unknown'
  /** False when the node is cordoned (`spec.unschedulable`). */
  schedulable: boolean
  problems: NodeProblem[]
  /**
   * The conditions the node reports, problems or not, in its order: at most MAX_CONDITIONS,
   * chosen Ready first, then the problems (True), then the healthy ones.
   */
  conditions: NodeCondition[]
  /** How many conditions the cap left out (healthy ones first); absent when none. */
  cut?: number
}

/** Told about nodes as they change; a throw makes the watch list again, so nothing is lost. */
export interface NodeListener {
  /** A complete list: every node there is. */
  onList(nodes: readonly NodeInfo[]): void
  /** A node whose Ready status, schedulability or problems changed (heartbeats are not told). */
  onChange(node: NodeInfo): void
  onDelete(name: string): void
}

/**
 * Bounds on what a node object controls: the conditions read per node and the length of their
 * texts. Kubernetes sets a handful; a hostile or broken agent may write thousands, or megabytes.
 */
export const MAX_CONDITIONS = 32
export const MAX_TYPE_CHARS = 128
export const MAX_REASON_CHARS = 128
export const MAX_MESSAGE_CHARS = 1_024

/** What the node cache needs. */
export interface NodeCacheOptions {
  kc: KubeConfig
  logger: KubeLogger
  now?: () => number
  backoff?: Backoff
  watchTimeoutSeconds?: number
  listener?: NodeListener
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

/** At most `max` UTF-16 units, never ending inside a surrogate pair; `…` when cut. */
function clipText(text: string, max: number): string {
  if (text.length <= max) return text
  const end = /[\uD800-\uDBFF]/.test(text.charAt(max - 1)) ? max - 1 : max
  return `${text.slice(0, end)}…`
}

/**
 * The kubelet's pressure conditions and node-problem-detector's conditions are problems when
 * True; Ready is the one condition whose problem is not being True (False, Unknown, or absent).
 */
export function toNodeInfo(raw: unknown, now: number): NodeInfo | undefined {
  if (!isRecord(raw) || !isRecord(raw.metadata)) return undefined
  const name = str(raw.metadata.name)
  if (!name) return undefined
  const status = isRecord(raw.status) ? raw.status : {}
  const spec = isRecord(raw.spec) ? raw.spec : {}
  const created = Date.parse(str(raw.metadata.creationTimestamp))
  const fallback = Number.isNaN(created) ? now : created
  const { kept, cut } = pickConditions(Array.isArray(status.conditions) ? status.conditions : [])
  const conditions: NodeCondition[] = kept.map((c) => {
    const t = Date.parse(str(c.lastTransitionTime))
    return {
      type: clipText(str(c.type), MAX_TYPE_CHARS),
      status: str(c.status) || 'Unknown',
      reason: clipText(str(c.reason), MAX_REASON_CHARS),
      message: clipText(str(c.message), MAX_MESSAGE_CHARS),
      since: Number.isNaN(t) ? fallback : t,
    }
  })
  const problems: NodeProblem[] = []
  let ready: NodeInfo['ready'] = 'Unknown'
  const readyCondition = conditions.find((c) => c.type === 'Ready')
  if (readyCondition?.status === 'True' || readyCondition?.status === 'False')
    ready = readyCondition.status
  if (ready !== 'True') {
    problems.push(
      readyCondition ?? {
        type: 'Ready',
        status: 'Unknown',
        reason: 'NoReadyCondition',
        message: 'the node reports no Ready condition',
        since: fallback,
      },
    )
  }
  for (const c of conditions) if (c.type !== 'Ready' && c.status === 'True') problems.push(c)
  const info: NodeInfo = {
    name,
    ready,
    schedulable: spec.unschedulable !== true,
    problems,
    conditions,
  }
  if (cut > 0) info.cut = cut
  return info
}

/**
 * At most MAX_CONDITIONS of a node's conditions, in the node's order, chosen so that the cap
 * never hides what matters for one that does not: the (first) Ready condition, then the problems
 * (True, besides Ready), then the healthy rest. The kubelet writes Ready last, after
 * node-problem-detector's custom conditions, so the first 32 of a node with 33 would lack it (a
 * healthy node told NotReady) and drop a problem written late. One pass, whatever the count.
 */
function pickConditions(all: readonly unknown[]): { kept: Raw[]; cut: number } {
  let ready: number | undefined
  const problems: number[] = []
  const healthy: number[] = []
  let count = 0
  for (let i = 0; i < all.length; i++) {
    const c = all[i]
    if (!isRecord(c) || str(c.type) === '') continue
    count++
    if (ready === undefined && c.type === 'Ready') ready = i
    else if (c.type !== 'Ready' && c.status === 'True') {
      if (problems.length < MAX_CONDITIONS) problems.push(i)
    } else if (healthy.length < MAX_CONDITIONS) healthy.push(i)
  }
  const chosen = [...(ready === undefined ? [] : [ready]), ...problems, ...healthy]
    .slice(0, MAX_CONDITIONS)
    .sort((a, b) => a - b)
  return { kept: chosen.map((i) => all[i] as Raw), cut: count - chosen.length }
}

const signature = (info: NodeInfo) => JSON.stringify([info.ready, info.schedulable, info.problems])

const byNotReadyThenName = (a: NodeInfo, b: NodeInfo) =>
  Number(a.ready === 'True') - Number(b.ready === 'True') ||
  (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

/**
 * The most pages of 500 a node list may take: 20,000 nodes, four times the most Kubernetes
 * supports. The cache holds a list's pages until its last one, so a server whose continue tokens
 * never end would otherwise fill it with up to MAX_LIST_PAGES pages (measured ~360 MB).
 */
const NODE_LIST_MAX_PAGES = 40

/** Builds the node cache; nothing is requested until `start()`. */
export function createNodeCache(opts: NodeCacheOptions): NodeCache {
  const now = opts.now ?? Date.now
  /** Every known node's name → the signature of its problems ('' when healthy). */
  const known = new Map<string, string>()
  const problems = new Map<string, NodeInfo>()
  let sorted: NodeInfo[] | undefined = []
  /** The pages of the list being taken, until its last page is in. */
  let listing = new Map<string, NodeInfo>()

  /** True when the node changed. Healthy nodes share the empty signature, cordoned or not. */
  const put = (info: NodeInfo): boolean => {
    const sig = info.problems.length ? signature(info) : ''
    if (known.get(info.name) === sig) return false
    known.set(info.name, sig)
    // Said when the node changes, not at every heartbeat.
    if (info.cut)
      opts.logger.warn(
        { node: info.name, read: info.conditions.length, cut: info.cut },
        `node ${info.name} reports more conditions than the ${MAX_CONDITIONS} read: Ready and the problems are read first, ${info.cut} are not (healthy ones before problems)`,
      )
    if (sig) problems.set(info.name, info)
    else problems.delete(info.name)
    sorted = undefined
    return true
  }
  const remove = (name: string): boolean => {
    if (!known.delete(name)) return false
    if (problems.delete(name)) sorted = undefined
    return true
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
    maxPages: NODE_LIST_MAX_PAGES,
    onListPage: (items, page) => {
      // Replacing what is known needs the complete list: pages are gathered (nodes are bounded
      // by the cluster's size, and all are kept anyway) and applied once the last one is in.
      if (page.first) listing = new Map()
      for (const raw of items) {
        const info = toNodeInfo(raw, now())
        if (info) listing.set(info.name, info)
        else skip(raw)
      }
      if (!page.last) return
      const listed = listing
      listing = new Map()
      for (const info of listed.values()) put(info)
      // Nodes deleted while the watch was down are only noticed here.
      for (const name of [...known.keys()]) if (!listed.has(name)) remove(name)
      // The listener reconciles the whole list itself (its own memory may be older than ours).
      opts.listener?.onList([...listed.values()])
    },
    onChange: (type, raw) => {
      const info = toNodeInfo(raw, now())
      if (!info) return skip(raw)
      if (type === 'DELETED') {
        if (remove(info.name)) opts.listener?.onDelete(info.name)
      } else if (put(info)) opts.listener?.onChange(info)
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
