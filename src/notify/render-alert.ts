/**
 * One alert as a DingTalk message: title `Warning Pod payments/api-7d9f: BackOff`, then cluster,
 * namespace, object, reason, message, count and last seen, one per line so a phone reads it.
 */
import type { DingTalkMessage } from '../dingtalk/dingtalk-message.ts'
import { composeMessage, type DraftLine, type RenderOptions } from './compose-message.ts'
import { formatClock, formatTime } from './format-time.ts'
import { renderMuteLink, toMuteCommand } from './mute-link.ts'
import type { AlertEvent, AlertMessage } from './outbox-message.ts'

/** `payments/api-7d9f`, or `node-1` for cluster-scoped objects. */
export const toObjectRef = (e: Pick<AlertEvent, 'namespace' | 'name'>): string =>
  e.namespace ? `${e.namespace}/${e.name}` : e.name

/** `Warning Pod payments/api-7d9f: BackOff` */
export const toAlertTitle = (
  e: Pick<AlertEvent, 'type' | 'kind' | 'namespace' | 'name' | 'reason'>,
): string => `${e.type} ${e.kind} ${toObjectRef(e)}: ${e.reason}`

/** Renders an `alert` or its `repeat` ("still happening, ×N since HH:MM"). */
export function renderAlert(message: AlertMessage, options: RenderOptions): DingTalkMessage {
  const e = message.event
  const repeat = message.kind === 'repeat'
  const since = formatClock(message.since ?? e.firstSeen, options.timeZone)
  const stillHappening = `still happening, ×${message.occurrences} since ${since}`
  const lines: DraftLine[] = [
    { label: 'Cluster', value: options.cluster },
    { label: 'Namespace', value: e.namespace || '(cluster-scoped)' },
    { label: 'Object', value: `${e.kind}/${e.name}` },
    { label: 'Reason', value: e.reason },
  ]
  if (repeat) lines.push({ label: 'Repeats', value: stillHappening })
  lines.push(
    { label: 'Message', value: e.message || '(no message)', fill: true },
    { label: 'Count', value: String(e.count) },
    { label: 'Last seen', value: formatTime(e.lastSeen, options.timeZone) },
  )
  const source = [e.component, e.host].filter((s) => s !== '').join(' on ')
  if (source) lines.push({ label: 'Source', value: source })
  if (options.muteLinks) {
    lines.push({
      trusted: { markdown: renderMuteLink(e), text: `To mute: ${toMuteCommand(e)}` },
    })
  }
  const title = repeat ? `${toAlertTitle(e)} (${stillHappening})` : toAlertTitle(e)
  return composeMessage({ title, lines, at: message.at }, options)
}
