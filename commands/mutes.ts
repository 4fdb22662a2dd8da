/** `mutes` (静默列表): the active mutes, and the latest changes made from chat. */
import { z } from 'zod'
import { defineCommand } from '../src/chatops/define-command.ts'
import { clip, md } from '../src/chatops/markdown.ts'
import { toSelectorText } from '../src/chatops/mute-text.ts'

/** How many audit entries the list ends with. */
export const RECENT_CHANGES = 5

export const mutes = defineCommand({
  name: 'mutes',
  aliases: ['静默列表'],
  usage: 'mutes',
  example: 'mutes',
  write: false,
  args: z.strictObject({}),
  run(_args, ctx) {
    const s = ctx.strings
    const t = s.commands.mutes
    const active = ctx.mutes.active(ctx.now)
    const lines = active.map((m) =>
      t.one(
        m.id,
        toSelectorText(m.selector),
        m.createdByName || m.createdBy,
        s.ago(ctx.now - m.createdAt),
        s.commands.until(m.endsAt - ctx.now),
        m.heldBack,
      ),
    )
    if (active.length === 0) lines.push(md`${t.none}`)
    const recent = ctx.audit.recent(RECENT_CHANGES)
    if (recent.length > 0) {
      lines.push(md`**${t.latest}**`)
      for (const a of recent) {
        const who = a.senderName || a.senderId
        lines.push(md`${t.change(s.ago(ctx.now - a.at), who, clip(a.command, 80), a.outcome)}`)
      }
    }
    return { title: active.length === 0 ? t.noneTitle : t.title(active.length), lines }
  },
})
