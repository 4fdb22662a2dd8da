/** `mutes` (静默列表): the active mutes, and the latest changes made from chat. */
import { z } from 'zod'
import { defineCommand } from '../src/chatops/define-command.ts'
import { formatAge, formatUntil } from '../src/chatops/format-age.ts'
import { clip, md } from '../src/chatops/markdown.ts'
import { toHeldBackText, toSelectorText } from '../src/chatops/mute-text.ts'

/** How many audit entries the list ends with. */
export const RECENT_CHANGES = 5

export const mutes = defineCommand({
  name: 'mutes',
  aliases: ['静默列表'],
  summary: 'the active mutes and the latest changes to them',
  usage: 'mutes',
  example: 'mutes',
  write: false,
  args: z.strictObject({}),
  run(_args, ctx) {
    const active = ctx.mutes.active(ctx.now)
    const lines = active.map(
      (m) =>
        md`**${m.id}** ${toSelectorText(m.selector)} · set by ${m.createdByName || m.createdBy} ${formatAge(m.createdAt, ctx.now)} · ends ${formatUntil(m.endsAt, ctx.now)} · ${toHeldBackText(m.heldBack)} so far`,
    )
    if (active.length === 0) lines.push(md`No active mutes: every matching event alerts.`)
    const recent = ctx.audit.recent(RECENT_CHANGES)
    if (recent.length > 0) {
      lines.push(md`**Latest changes**`)
      for (const a of recent) {
        lines.push(
          md`${formatAge(a.at, ctx.now)}: ${a.senderName || a.senderId} ran "${clip(a.command, 80)}" → ${a.outcome}`,
        )
      }
    }
    return {
      title:
        active.length === 0
          ? 'No active mutes'
          : `${active.length} active mute${active.length === 1 ? '' : 's'}`,
      lines,
    }
  },
})
