/** How mutes read in chat: the selector as typed, and the notice when a mute ends. */
import type { NoticeMessage } from '../notify/outbox-message.ts'
import type { MuteRecord, MuteSelector } from '../store/mutes.ts'

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

/** The group notice for a mute that ended (ran out, or `unmute`), worded when it is sent. */
export function toMuteEndedNotice(mute: MuteRecord): NoticeMessage {
  return {
    kind: 'notice',
    topic: 'mute-ended',
    mute: {
      id: mute.id,
      selector: mute.selector,
      createdAt: mute.createdAt,
      endsAt: mute.endsAt,
      endedBy: mute.endedBy ?? 'expired',
      heldBack: mute.heldBack,
    },
  }
}
