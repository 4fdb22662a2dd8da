/** A notice to the group (a mute ended, a test message, or free text) as a draft. */

import { toSelectorText } from '../chatops/mute-text.ts'
import type { MessageDraft } from '../draft/message-draft.ts'
import { NO_MENTIONS } from '../draft/message-draft.ts'
import { clip, md } from '../draft/rich-text.ts'
import type { DraftContext } from './draft-context.ts'
import { formatStamp } from './format-time.ts'
import type { NoticeMessage } from './outbox-message.ts'

/** Lines shown of a free-text notice, and their length: a notice is a few lines. */
const MAX_LINES = 30
const MAX_LINE_CHARS = 400

/** Drafts a notice: the cluster and what happened, then its lines (escaped: they may quote chat input). */
export function toNoticeDraft(message: NoticeMessage, ctx: DraftContext): MessageDraft {
  const s = ctx.strings
  const { title, lines } = toWords(message, ctx)
  const shown = lines.slice(0, MAX_LINES).map((line) => md`${clip(line, MAX_LINE_CHARS)}`)
  return {
    title,
    blocks: [
      { kind: 'heading', text: md`${ctx.cluster} · ${title}` },
      {
        kind: 'list',
        bullet: false,
        items: shown,
        more: lines.length - shown.length,
        overflow: (n) => md`${s.notice.moreLines(n)}`,
      },
    ],
    at: NO_MENTIONS,
  }
}

const stamp = (at: number, ctx: DraftContext) => formatStamp(at, ctx.now, { zone: true })

function toWords(message: NoticeMessage, ctx: DraftContext): { title: string; lines: string[] } {
  const s = ctx.strings.notice
  switch (message.topic) {
    case 'mute-ended': {
      const m = message.mute
      const selector = toSelectorText(m.selector)
      const how =
        m.endedBy === 'expired'
          ? s.muteRanOut(m.id, selector, ctx.strings.span(m.endsAt - m.createdAt))
          : s.muteEndedBy(m.id, selector, m.endedBy)
      return { title: s.muteEndedTitle(m.id), lines: [how, s.heldBack(m.heldBack)] }
    }
    case 'test':
      return { title: s.testTitle, lines: [s.testLine(message.robot)] }
    case 'watch-down':
      return {
        title: s.watchDownTitle,
        lines: [s.watchDown(stamp(message.since, ctx), message.error), s.watchDownMeanwhile],
      }
    case 'watch-back':
      return {
        title: s.watchBackTitle,
        lines: [
          s.watchBack(
            stamp(message.since, ctx),
            ctx.strings.span(message.backAt - message.since),
            message.caught,
          ),
        ],
      }
    default:
      return { title: message.title, lines: message.lines }
  }
}
