/**
 * A message's identity, the same on every replica: each replica's pipeline puts the same messages
 * in its own outbox (own row ids), so the checkpoint names them by what they say instead. An
 * alert is its robot, kind, event uid and the event's count; a mute that ran out its robot and
 * mute id (the held-back count may differ between replicas); a node condition its robot, node,
 * condition and times; a lost watch its robot and when it was lost; another notice its robot and
 * title. Ten characters of a SHA-256 keep the checkpoint small (collisions: about one
 * in 10^18 per pair).
 */
import { createHash } from 'node:crypto'
import type { OutboxMessage } from '../notify/outbox-message.ts'

/** The identity of `message` queued for `robot`. */
export function toMessageIdentity(robot: string, message: OutboxMessage): string {
  return createHash('sha256').update(toKey(robot, message)).digest('base64url').slice(0, 10)
}

function toKey(robot: string, m: OutboxMessage): string {
  switch (m.kind) {
    case 'notice':
      if (m.topic === 'mute-ended') return `${robot}\nmute-ended\n${m.mute.id}`
      if (m.topic === 'test') return `${robot}\ntest`
      // One outage is one identity: a second outage is told again.
      if (m.topic === 'watch-down' || m.topic === 'watch-back')
        return `${robot}\n${m.topic}\n${m.since}`
      return `${robot}\nnotice\n${m.title}`
    case 'node-problem':
    case 'node-resolved':
      return `${robot}\n${m.kind}\n${m.node}\n${m.condition}\n${m.since}\n${m.endedAt ?? ''}`
    default:
      return `${robot}\n${m.kind}\n${m.event.uid}\n${m.event.count}`
  }
}
