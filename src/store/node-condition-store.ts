/**
 * What the node condition source must remember across a restart (`node_conditions`,
 * `node_event_claims`): each problem condition it tracks, and the node-problem-detector Events
 * that already told a robot about one.
 */
import type { Store } from './open-store.ts'

/** How a tracked problem ended: the condition as it was then (or why it is gone). */
export interface ConditionEnding {
  /** When it ended: the condition's lastTransitionTime when plausible, else when it was seen. */
  at: number
  /** When kubeding saw it back to normal: the resolved message waits a settle time from here. */
  seenAt: number
  status: string
  reason: string
  message: string
}

/** One problem condition of one node, as the source tracks it. Times are epoch ms. */
export interface TrackedCondition {
  node: string
  condition: string
  status: string
  reason: string
  message: string
  /** The condition's lastTransitionTime when it became a problem. */
  since: number
  /** When kubeding first saw it as a problem (Ready's wait counts from the earlier of the two). */
  observedAt: number
  /** When it was told (sent, muted, or no route took it); undefined while it waits. */
  toldAt?: number
  /** The robots that were told: they get the resolved message. */
  robots: string[]
  /** Times it turned into a problem since it was first seen (1 unless it flapped). */
  flips: number
  /** Set while it is back to normal and the resolved message waits out the settle time. */
  ended?: ConditionEnding
}

export interface NodeConditionStore {
  load(): TrackedCondition[]
  save(tracked: TrackedCondition): void
  remove(node: string, condition: string): void
  /** Notes that an Event told `robot` about this node's condition at `at`. */
  claim(robot: string, node: string, condition: string, at: number): void
  /** Whether an Event told `robot` about it at `since` or later; the claim is used up. */
  takeClaim(robot: string, node: string, condition: string, since: number): boolean
  /** Forgets claims older than `cutoff`. */
  purgeClaims(cutoff: number): number
}

/** Prepares the statements on an open store. */
export function createNodeConditionStore(store: Store): NodeConditionStore {
  const { db } = store
  const all = db.prepare('SELECT state FROM node_conditions')
  const upsert = db.prepare(`INSERT INTO node_conditions (node, condition, state) VALUES (?, ?, ?)
    ON CONFLICT (node, condition) DO UPDATE SET state = excluded.state`)
  const remove = db.prepare('DELETE FROM node_conditions WHERE node = ? AND condition = ?')
  const claim = db.prepare(`INSERT INTO node_event_claims (robot, node, condition, at)
    VALUES (?, ?, ?, ?) ON CONFLICT (robot, node, condition) DO UPDATE SET at = excluded.at`)
  const take = db.prepare(
    'DELETE FROM node_event_claims WHERE robot = ? AND node = ? AND condition = ? AND at >= ?',
  )
  const purge = db.prepare('DELETE FROM node_event_claims WHERE at < ?')
  return {
    load: () =>
      (all.all() as { state: string }[]).map((r) => JSON.parse(r.state) as TrackedCondition),
    save(tracked) {
      upsert.run(tracked.node, tracked.condition, JSON.stringify(tracked))
    },
    remove(node, condition) {
      remove.run(node, condition)
    },
    claim(robot, node, condition, at) {
      claim.run(robot, node, condition, at)
    },
    takeClaim: (robot, node, condition, since) =>
      Number(take.run(robot, node, condition, since).changes) > 0,
    purgeClaims: (cutoff) => Number(purge.run(cutoff).changes),
  }
}
