/**
 * A message's identity, the same on every replica: each replica's pipeline puts the same messages
 * in its own outbox (own row ids), so the checkpoint names them by what they say instead. An
 * alert is its robot, kind, event uid and the event's count; a notice (a mute that ran out) its
 * robot and title. Ten characters of a SHA-256 keep the checkpoint small (collisions: about one
 * in 10^18 per pair).
 */
import { createHash } from 'node:crypto'
import type { OutboxMessage } from '../notify/outbox-message.ts'

/** The identity of `message` queued for `robot`. */
export function toMessageIdentity(robot: string, message: OutboxMessage): string {
  const key =
    message.kind === 'notice'
      ? `${robot}\n${message.kind}\n${message.title}`
      : `${robot}\n${message.kind}\n${message.event.uid}\n${message.event.count}`
  return createHash('sha256').update(key).digest('base64url').slice(0, 10)
}
