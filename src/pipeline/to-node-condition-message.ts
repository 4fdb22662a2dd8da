/** A tracked node condition as the message the outbox keeps for a robot. */
import type { Mentions, NodeConditionMessage } from '../notify/outbox-message.ts'
import type { TrackedCondition } from '../store/node-condition-store.ts'
import type { NodeState } from './tracked-conditions.ts'

/**
 * A `node-problem` shows the condition as it is; a `node-resolved` shows it as it ended (its
 * normal status, reason and message, or why it is gone), with when, and how often it turned
 * into a problem meanwhile.
 */
export function toNodeConditionMessage(
  kind: NodeConditionMessage['kind'],
  c: TrackedCondition,
  node: NodeState,
  at: Mentions,
): NodeConditionMessage {
  const ended = kind === 'node-resolved' ? c.ended : undefined
  const shown = ended ?? c
  return {
    kind,
    node: c.node,
    condition: c.condition,
    status: shown.status,
    reason: shown.reason,
    message: shown.message,
    since: c.since,
    ...(ended ? { endedAt: ended.at } : {}),
    ready: node.ready,
    schedulable: node.schedulable,
    flips: kind === 'node-resolved' ? c.flips : 1,
    at,
  }
}
