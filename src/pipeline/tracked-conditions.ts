/**
 * The node condition source's memory: every tracked problem condition by node+condition and by
 * node, the last Ready status and schedulability of those nodes, each write also made to the
 * store so that a restart finds them again.
 */
import {
  createNodeConditionStore,
  type NodeConditionStore,
  type TrackedCondition,
} from '../store/node-condition-store.ts'
import type { Store } from '../store/open-store.ts'

/** A node's state as the messages about it show it. */
export interface NodeState {
  ready: string
  schedulable: boolean
}

export interface TrackedConditions {
  readonly claims: Pick<NodeConditionStore, 'claim' | 'takeClaim' | 'purgeClaims'>
  get(node: string, condition: string): TrackedCondition | undefined
  /** Every tracked condition, as a copy (safe to change the index while going through it). */
  all(): TrackedCondition[]
  /** The tracked conditions of one node, as a copy. */
  ofNode(node: string): TrackedCondition[]
  size(): number
  /** Starts tracking `c`, or writes its change. */
  save(c: TrackedCondition): void
  remove(c: TrackedCondition): void
  nodeState(node: string): NodeState | undefined
  /** Remembers a node's state; forgotten with its last tracked condition. */
  setNodeState(node: string, state: NodeState): void
  /** Forgets the state of a node that has no tracked condition (left when none was tracked). */
  forgetNodeState(node: string): void
}

const keyOf = (node: string, condition: string) => `${node}\u0000${condition}`

/** Loads what was tracked before a restart. */
export function createTrackedConditions(store: Store): TrackedConditions {
  const saved = createNodeConditionStore(store)
  const tracked = new Map<string, TrackedCondition>()
  const byNode = new Map<string, Map<string, TrackedCondition>>()
  const states = new Map<string, NodeState>()
  const index = (c: TrackedCondition) => {
    tracked.set(keyOf(c.node, c.condition), c)
    const conditions = byNode.get(c.node) ?? new Map<string, TrackedCondition>()
    conditions.set(c.condition, c)
    byNode.set(c.node, conditions)
  }
  for (const c of saved.load()) index(c)

  return {
    claims: saved,
    get: (node, condition) => tracked.get(keyOf(node, condition)),
    all: () => [...tracked.values()],
    ofNode: (node) => [...(byNode.get(node)?.values() ?? [])],
    size: () => tracked.size,
    save(c) {
      index(c)
      saved.save(c)
    },
    remove(c) {
      tracked.delete(keyOf(c.node, c.condition))
      const conditions = byNode.get(c.node)
      conditions?.delete(c.condition)
      if (conditions?.size === 0) {
        byNode.delete(c.node)
        states.delete(c.node)
      }
      saved.remove(c.node, c.condition)
    },
    nodeState: (node) => states.get(node),
    setNodeState(node, state) {
      states.set(node, state)
    },
    forgetNodeState(node) {
      if (!byNode.has(node)) states.delete(node)
    },
  }
}
