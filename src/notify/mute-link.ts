/**
 * The click-to-mute link at the end of an alert (`alerting.muteLinks`): DingTalk's
 * `dtmd://dingtalkclient/sendMessage?content=…` makes the clicking user's client post the mute
 * command into the chat.
 */
import type { AlertEvent } from './outbox-message.ts'

/** The chat command that mutes this object+reason: `mute ns=payments kind=Pod name=api-7d9f reason=BackOff for=1h`. */
export function toMuteCommand(
  event: Pick<AlertEvent, 'namespace' | 'kind' | 'name' | 'reason'>,
  duration = '1h',
): string {
  const keys = [
    event.namespace ? `ns=${event.namespace}` : undefined,
    `kind=${event.kind}`,
    `name=${event.name}`,
    `reason=${event.reason}`,
    `for=${duration}`,
  ]
  return `mute ${keys.filter((k) => k !== undefined).join(' ')}`
}

/**
 * encodeURIComponent leaves `( ) ! ' *` as they are; a `)` would end the markdown link early, so
 * they are encoded too and nothing from the event can leave the URL.
 */
const encodeStrict = (text: string): string =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )

/** `[mute 1h](dtmd://dingtalkclient/sendMessage?content=mute%20ns%3D…)` */
export function renderMuteLink(
  event: Pick<AlertEvent, 'namespace' | 'kind' | 'name' | 'reason'>,
  duration = '1h',
): string {
  const content = encodeStrict(toMuteCommand(event, duration))
  return `[mute ${duration}](dtmd://dingtalkclient/sendMessage?content=${content})`
}
