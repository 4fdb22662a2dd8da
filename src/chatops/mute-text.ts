/** How mutes read in chat: the selector as typed, and the notice when a mute ends. */
import type { NoticeMessage } from '../notify/outbox-message.ts'
import type { MuteRecord, MuteSelector } from '../store/mutes.ts'
import { formatSpan } from './format-age.ts'

/** `ns=prod kind=Pod name=web-* reason=BackOff`, in that order; values with spaces quoted. */
export function toSelectorText(selector: MuteSelector): string {
  const parts: string[] = []
  const add = (key: string, value: string | undefined) => {
    if (value !== undefined) parts.push(`${key}=${/\s/.test(value) ? `"${value}"` : value}`)
  }
  add('ns', selector.namespace)
  add('kind', selector.kind)
  add('name', selector.name)
  add('reason', selector.reason)
  return parts.join(' ')
}

/** "held back 1 alert" / "held back 12 alerts" / "held back no alerts". */
export function toHeldBackText(n: number): string {
  if (n === 0) return 'held back no alerts'
  return `held back ${n} alert${n === 1 ? '' : 's'}`
}

/**
 * The group notice for a mute that ended (ran out, or `unmute`). Its title and lines are plain
 * text holding user-typed values: whoever renders them must escape them.
 */
export function toMuteEndedNotice(mute: MuteRecord): NoticeMessage {
  const how =
    mute.endedBy === 'expired' || mute.endedBy === undefined
      ? `it ran out after ${formatSpan(mute.endsAt - mute.createdAt)}`
      : `it was ended early by ${mute.endedBy}`
  return {
    kind: 'notice',
    title: `Mute ${mute.id} ended`,
    lines: [
      `Mute ${mute.id} (${toSelectorText(mute.selector)}) ended: ${how}.`,
      `It ${toHeldBackText(mute.heldBack)} while it was on; matching events alert again from now.`,
    ],
  }
}
