/**
 * Node conditions as a source of alerts, from the node watch itself: NPD's condition Event may
 * be rate-limited away, the condition is not. Rules:
 * 1. A problem condition (node-cache.ts decides which) is told at once; Ready False/Unknown only
 *    once it lasted `notReadyAfterMs`, counted from the earlier of its lastTransitionTime and when
 *    kubeding first saw it (clock skew cannot postpone it).
 * 2. Told means: a `node-problem` message to each robot whose routes take kind Node with the
 *    condition as reason, unless a mute matches (`mute kind=Node name=node-2`), or an Event
 *    already told that robot (NodeProblemClaims: NPD's Event and its condition, one message).
 * 3. Back to normal (or the node deleted), it waits `settleMs` (alerting.groupWindow): coming
 *    back meanwhile is one more flip of the same problem, never a new message. After that, the
 *    robots told get one `node-resolved` with how long it lasted (`resolved: false`: none).
 * 4. Everything tracked is in the store, so a restart neither tells a problem again nor forgets
 *    one that ended meanwhile. On the very first start, the problems there already are told once:
 *    unlike past Events they are the cluster's state now, and their resolved messages need them.
 * 5. Bounded: node-cache.ts caps conditions per node and their texts; at most `maxTracked`
 *    conditions are tracked, beyond that new ones are logged, not told.
 */
import type { RouteConfig } from '../config/schema.ts'
import type { NodeCondition, NodeInfo, NodeListener } from '../kube/node-cache.ts'
import type { Mentions, NodeConditionMessage, OutboxMessage } from '../notify/outbox-message.ts'
import type { TrackedCondition } from '../store/node-condition-store.ts'
import type { Store } from '../store/open-store.ts'
import { routeToRobots } from './match-route.ts'
import { toEventCondition } from './node-problem-event.ts'
import type { MuteCheck, NodeProblemClaims } from './pipeline.ts'
import { toNodeConditionMessage } from './to-node-condition-message.ts'
import { createTrackedConditions } from './tracked-conditions.ts'

/** An Event claims a condition for this long: NPD sets both at once; Ready waits its threshold. */
const CLAIM_MS = 10 * 60_000
/** Far more than 5,000 nodes with a few problems each; a flood of condition types stops here. */
export const DEFAULT_MAX_TRACKED = 20_000

export interface NodeConditionsDeps {
  store: Store
  routes: readonly RouteConfig[]
  mutes?: MuteCheck
  /** Puts a message in a robot's outbox; called inside the source's transaction. */
  enqueue(robot: string, message: OutboxMessage, now: number): void
  /** Told after a transaction that queued messages committed (wakes the notifier). */
  onQueued?: () => void
  notReadyAfterMs: number
  settleMs: number
  resolved: boolean
  now: () => number
  logger: { warn(obj: object, msg: string): void }
  maxTracked?: number
}

/** Figures for `status`: conditions tracked, and those told so far by this process. */
export interface NodeConditionStats {
  tracked: number
  problemsQueued: number
  resolvedQueued: number
}

export interface NodeConditions extends NodeListener, NodeProblemClaims {
  /** Tells Ready problems whose wait is over and resolved messages whose settle time is. */
  tick(): void
  stats(): NodeConditionStats
}

const DELETED = { status: 'Unknown', reason: 'NodeDeleted', message: 'the node was deleted' }
const GONE = {
  status: 'Unknown',
  reason: 'ConditionRemoved',
  message: 'the node no longer reports this condition',
}

/** Creates the source over an open store, loading what it tracked before a restart. */
export function createNodeConditions(deps: NodeConditionsDeps): NodeConditions {
  const { store, now } = deps
  const tracked = createTrackedConditions(store)
  const maxTracked = deps.maxTracked ?? DEFAULT_MAX_TRACKED
  const claimWindow = CLAIM_MS + deps.notReadyAfterMs
  const stats = { problemsQueued: 0, resolvedQueued: 0 }
  let queuedInTx = 0
  let warnedFull = false

  const commit = (work: () => void) => {
    queuedInTx = 0
    store.tx(work)
    if (queuedInTx > 0) deps.onQueued?.()
  }

  /** The robots a message about `c` goes to now, and the mute holding it back, if any. */
  const routeOf = (c: TrackedCondition, t: number) => {
    const byRobot = routeToRobots(deps.routes, {
      type: 'Warning',
      kind: 'Node',
      namespace: '',
      reason: c.condition,
    })
    const subject = { namespace: '', kind: 'Node', name: c.node, reason: c.condition }
    const mute = byRobot.size > 0 ? deps.mutes?.match(subject, t) : undefined
    return { byRobot, mute }
  }

  const send = (
    robot: string,
    kind: NodeConditionMessage['kind'],
    c: TrackedCondition,
    at: Mentions,
    t: number,
  ) => {
    const node = tracked.nodeState(c.node) ?? { ready: 'Unknown', schedulable: false }
    deps.enqueue(robot, toNodeConditionMessage(kind, c, node, at), t)
    queuedInTx++
    if (kind === 'node-problem') stats.problemsQueued++
    else stats.resolvedQueued++
  }

  const tell = (c: TrackedCondition, t: number) => {
    const { byRobot, mute } = routeOf(c, t)
    c.toldAt = t
    for (const [robot, at] of byRobot) {
      if (mute) {
        deps.mutes?.recordHeldBack(mute.id, 1)
        continue
      }
      c.robots.push(robot)
      if (!tracked.claims.takeClaim(robot, c.node, c.condition, t - claimWindow))
        send(robot, 'node-problem', c, at, t)
    }
    tracked.save(c)
  }

  const tellWhenDue = (c: TrackedCondition, t: number) => {
    if (c.toldAt !== undefined) return
    if (c.condition === 'Ready' && Math.min(c.since, c.observedAt) + deps.notReadyAfterMs > t)
      return
    tell(c, t)
  }

  const resolve = (c: TrackedCondition, t: number) => {
    if (deps.resolved && c.robots.length > 0) {
      const { byRobot, mute } = routeOf(c, t)
      for (const robot of c.robots) {
        const at = byRobot.get(robot)
        if (!at) continue
        if (mute) deps.mutes?.recordHeldBack(mute.id, 1)
        else send(robot, 'node-resolved', c, at, t)
      }
    }
    tracked.remove(c)
  }

  /** A problem seen: new, back during its settle time, or still there. */
  const seeProblem = (node: string, p: NodeCondition, t: number) => {
    const c = tracked.get(node, p.type)
    if (!c) {
      if (tracked.size() >= maxTracked) {
        if (!warnedFull)
          deps.logger.warn(
            { node, condition: p.type, maxTracked },
            'too many node problem conditions to track: new ones are not alerted; see the nodes command',
          )
        warnedFull = true
        return
      }
      const fresh: TrackedCondition = {
        node,
        condition: p.type,
        status: p.status,
        reason: p.reason,
        message: p.message,
        since: p.since,
        observedAt: t,
        robots: [],
        flips: 1,
      }
      tracked.save(fresh)
      tellWhenDue(fresh, t)
      return
    }
    const changed = c.ended !== undefined || c.status !== p.status || c.reason !== p.reason
    if (c.ended) {
      delete c.ended
      c.flips++
    }
    Object.assign(c, { status: p.status, reason: p.reason, message: p.message })
    if (changed) tracked.save(c)
  }

  /** A tracked problem no longer one: forgotten if it was never told, else settling. */
  const seeEnded = (c: TrackedCondition, current: NodeCondition | typeof GONE, t: number) => {
    if (c.ended) return
    if (c.toldAt === undefined) {
      tracked.remove(c)
      return
    }
    const at =
      'since' in current && current.since >= c.since && current.since <= t ? current.since : t
    const { status, reason, message } = current
    c.ended = { at, seenAt: t, status, reason, message }
    tracked.save(c)
  }

  const observe = (info: NodeInfo, t: number) => {
    const open = tracked.ofNode(info.name)
    if (info.problems.length === 0 && open.length === 0) return
    tracked.setNodeState(info.name, { ready: info.ready, schedulable: info.schedulable })
    const problemTypes = new Set<string>()
    for (const p of info.problems) {
      problemTypes.add(p.type)
      seeProblem(info.name, p, t)
    }
    for (const c of open) {
      if (problemTypes.has(c.condition)) continue
      seeEnded(c, info.conditions.find((x) => x.type === c.condition) ?? GONE, t)
    }
    tracked.forgetNodeState(info.name)
  }

  const deleteNode = (name: string, t: number) => {
    const open = tracked.ofNode(name)
    if (open.length === 0) return
    tracked.setNodeState(name, { ready: 'Unknown', schedulable: false })
    for (const c of open) seeEnded(c, DELETED, t)
  }

  return {
    onList(nodes) {
      const t = now()
      commit(() => {
        const listed = new Set<string>()
        for (const info of nodes) {
          listed.add(info.name)
          observe(info, t)
        }
        const gone = new Set(tracked.all().map((c) => c.node))
        for (const name of gone) if (!listed.has(name)) deleteNode(name, t)
      })
    },
    onChange(info) {
      const t = now()
      commit(() => observe(info, t))
    },
    onDelete(name) {
      const t = now()
      commit(() => deleteNode(name, t))
    },
    absorbs(robot, event, t) {
      const condition = toEventCondition(event)
      if (condition === undefined) return false
      const c = tracked.get(event.name, condition)
      if (c?.toldAt !== undefined && c.robots.includes(robot)) return true
      tracked.claims.claim(robot, event.name, condition, t)
      return false
    },
    tick() {
      const t = now()
      commit(() => {
        for (const c of tracked.all()) {
          if (c.ended && c.ended.seenAt + deps.settleMs <= t) resolve(c, t)
          else tellWhenDue(c, t)
        }
        tracked.claims.purgeClaims(t - claimWindow)
      })
    },
    stats: () => ({ tracked: tracked.size(), ...stats }),
  }
}
