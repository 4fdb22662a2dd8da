/**
 * A node condition told from the node watch (`node-problem`, `node-resolved`) as a DingTalk
 * message, in the alerts' style: title `Warning Node node-2: KernelDeadlock`, then what the
 * on-call engineer needs (condition, reason, message, since, the node's state, the mute link).
 */
import { formatSpan } from '../chatops/format-age.ts'
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import { composeMessage, type DraftLine, type RenderOptions } from './compose-message.ts'
import { formatTime } from './format-time.ts'
import { renderMuteLink, toMuteCommand } from './mute-link.ts'
import { toOccurrences } from './outbox.ts'
import type { AlertMessage, NodeConditionMessage } from './outbox-message.ts'

/** What a mute of this node condition names: the condition is the reason routes and mutes see. */
const toSubject = (m: NodeConditionMessage) => ({
  namespace: '',
  kind: 'Node',
  name: m.node,
  reason: m.condition,
})

/** `Ready, schedulable` / `NotReady (Unknown), cordoned` */
const toNodeState = (m: NodeConditionMessage): string =>
  `${m.ready === 'True' ? 'Ready' : `NotReady (${m.ready})`}, ${m.schedulable ? 'schedulable' : 'cordoned'}`

/** Renders a node problem, or its return to normal with how long it lasted. */
export function renderNodeCondition(
  message: NodeConditionMessage,
  options: RenderOptions,
): DingTalkMessage {
  const resolved = message.kind === 'node-resolved'
  const endedAt = message.endedAt ?? message.since
  const lasted = formatSpan(endedAt - message.since)
  const why = message.reason ? ` (${message.reason})` : ''
  const lines: DraftLine[] = [
    { label: 'Cluster', value: options.cluster },
    { label: 'Node', value: message.node },
    {
      label: 'Condition',
      value: resolved
        ? `${message.condition} is ${message.status} again${why}`
        : `${message.condition} = ${message.status}${why}`,
    },
    { label: 'Message', value: message.message || '(no message)', fill: true },
  ]
  if (resolved) {
    lines.push(
      { label: 'Lasted', value: lasted },
      {
        label: 'From',
        value: `${formatTime(message.since, options.timeZone)} to ${formatTime(endedAt, options.timeZone)}`,
      },
    )
    if (message.flips > 1)
      lines.push({ label: 'Flapping', value: `turned into a problem ${message.flips} times` })
  } else {
    lines.push({ label: 'Since', value: formatTime(message.since, options.timeZone) })
  }
  lines.push({ label: 'Node state', value: toNodeState(message) })
  if (options.muteLinks) {
    const subject = toSubject(message)
    lines.push({
      trusted: { markdown: renderMuteLink(subject), text: `To mute: ${toMuteCommand(subject)}` },
    })
  }
  const title = resolved
    ? `Resolved (恢复) Node ${message.node}: ${message.condition} after ${lasted}`
    : `Warning Node ${message.node}: ${message.condition}`
  return composeMessage({ title, lines, at: message.at }, options)
}

/**
 * A node message as one entry of a digest: kind Node, the condition as its reason (`… resolved`
 * for an end), one occurrence per flip of a problem and one per end, as the outbox counts them.
 */
export function toDigestEntry(message: NodeConditionMessage): AlertMessage {
  const resolved = message.kind === 'node-resolved'
  const occurrences = toOccurrences(message)
  const at = resolved ? (message.endedAt ?? message.since) : message.since
  return {
    kind: 'alert',
    event: {
      uid: `node-condition/${message.node}/${message.condition}`,
      kind: 'Node',
      namespace: '',
      name: message.node,
      reason: resolved ? `${message.condition} resolved` : message.condition,
      message: message.message,
      type: resolved ? 'Normal' : 'Warning',
      count: occurrences,
      firstSeen: message.since,
      lastSeen: at,
      component: 'node watch',
      host: message.node,
    },
    occurrences,
    at: message.at,
  }
}
