/**
 * One alert as a draft, for a phone: the first line says everything (level, cluster, object,
 * reason), then the event's message, then one line of count, first/last seen and source, a hint
 * of what to check first, and the mute link.
 */
import type { CommandLink, DraftBlock, MessageDraft } from '../draft/message-draft.ts'
import { md } from '../draft/rich-text.ts'
import {
  type DraftContext,
  toHeading,
  toMuteLink,
  toNodesLink,
  toObjectRef,
  toWhen,
} from './draft-context.ts'
import { formatClock } from './format-time.ts'
import { toHint } from './hints.ts'
import type { AlertEvent, AlertMessage } from './outbox-message.ts'

/** `Warning Pod payments/api-7d9f: BackOff` in the group's language. */
export const toAlertTitle = (
  e: Pick<AlertEvent, 'type' | 'kind' | 'namespace' | 'name' | 'reason'>,
  ctx: DraftContext,
): string => `${ctx.strings.level(e.type)} ${e.kind} ${toObjectRef(e)}: ${e.reason}`

/**
 * Drafts an `alert` or its `repeat`. Each message shows one number, so none can disagree: an
 * alert the event's own count, a repeat how many more times it happened since its window began.
 */
export function toAlertDraft(message: AlertMessage, ctx: DraftContext): MessageDraft {
  const e = message.event
  const s = ctx.strings
  const facts: string[] = []
  let title = toAlertTitle(e, ctx)
  if (message.kind === 'repeat') {
    const repeat = s.alert.repeat(message.occurrences, formatClock(message.since ?? e.firstSeen))
    facts.push(repeat)
    title = `${title} (${repeat})`
  } else {
    facts.push(s.alert.times(e.count))
    if (e.count > 1 && e.firstSeen < e.lastSeen)
      facts.push(s.alert.first(...toWhen(e.firstSeen, ctx)))
  }
  facts.push(s.alert.last(...toWhen(e.lastSeen, ctx, true)))
  const source = s.alert.source(e.component, e.host)
  if (source) facts.push(source)
  const blocks: DraftBlock[] = [
    {
      kind: 'heading',
      text: toHeading(s.level(e.type), ctx.cluster, `${e.kind} ${toObjectRef(e)}`, e.reason),
    },
    e.message
      ? { kind: 'fill', text: e.message }
      : { kind: 'text', text: md`${s.alert.noMessage}` },
    { kind: 'text', text: md`${facts.join(' · ')}` },
  ]
  const hint = toHint(e, s)
  if (hint) blocks.push({ kind: 'text', text: hint })
  const links: CommandLink[] = []
  if (ctx.muteLinks) links.push(toMuteLink(e, ctx))
  if (e.kind === 'Node') links.push(toNodesLink(ctx))
  blocks.push({ kind: 'links', links })
  return { title, blocks, at: message.at }
}
