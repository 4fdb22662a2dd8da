/** What every draft of a message to the group needs, and the pieces they share. */

import { type MutedObject, toMuteCommand } from '../chatops/mute-command.ts'
import type { CommandLink } from '../draft/message-draft.ts'
import { type Markdown, md } from '../draft/rich-text.ts'
import type { Strings } from '../i18n/strings.ts'
import { formatStamp } from './format-time.ts'

/** The facts a draft is written from besides the message itself. */
export interface DraftContext {
  /** The cluster label shown in every message. */
  cluster: string
  /** End alerts with a click-to-mute link (`alerting.muteLinks`). */
  muteLinks: boolean
  strings: Strings
  /** The instant of rendering, from the injected clock: relative times are counted from it. */
  now: number
}

/** `payments/api-7d9f`, or `node-1` for cluster-scoped objects. */
export const toObjectRef = (o: { namespace: string; name: string }): string =>
  o.namespace ? `${o.namespace}/${o.name}` : o.name

/** The first line, which says everything: `【警告】prod · Pod payments/api-7d9f · BackOff`. */
export const toHeading = (
  level: string,
  cluster: string,
  about: string,
  reason: string,
): Markdown => md`【${level}】${cluster} · ${about} · ${reason}`

/** `14:03:05 (2 min ago)` style pieces: the absolute time and how long ago, from `ctx.now`. */
export function toWhen(at: number, ctx: DraftContext, zone = false): [string, string] {
  const stamp = formatStamp(at, ctx.now, { zone })
  return [stamp, ctx.strings.ago(ctx.now - at)]
}

/** The click-to-mute link for an object+reason (or every alert about it, without a reason). */
export function toMuteLink(object: MutedObject, ctx: DraftContext): CommandLink {
  return {
    label: ctx.strings.alert.muteLink(ctx.strings.span(3_600_000)),
    command: toMuteCommand(object),
  }
}

/** The link that asks the bot for `nodes`. */
export const toNodesLink = (ctx: DraftContext): CommandLink => ({
  label: ctx.strings.alert.nodesLink,
  command: 'nodes',
})
