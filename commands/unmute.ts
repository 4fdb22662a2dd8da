/** `unmute ID` / `unmute all` (取消静默): end mutes early. */
import { z } from 'zod'
import { fail } from '../src/chatops/arg-values.ts'
import type { MuteRecord } from '../src/chatops/context.ts'
import { defineCommand } from '../src/chatops/define-command.ts'
import { md } from '../src/chatops/markdown.ts'
import { toSelectorText } from '../src/chatops/mute-text.ts'
import { UserError } from '../src/chatops/user-error.ts'

const ALL = new Set(['all', '全部'])

export const unmute = defineCommand({
  name: 'unmute',
  aliases: ['取消静默'],
  usage: 'unmute ID | unmute all',
  example: 'unmute m3',
  write: true,
  positional: ['id'],
  args: z.strictObject({
    id: z.string().transform((value, ctx) => {
      const id = value.toLowerCase()
      if (ALL.has(id) || /^m\d{1,9}$/.test(id)) return id
      return fail(ctx, (s) => s.args.notMuteId)
    }),
  }),
  run(args, ctx) {
    const by = ctx.sender.name || ctx.sender.id
    const ended: MuteRecord[] = ALL.has(args.id)
      ? ctx.mutes.endAll(by, ctx.now)
      : [ctx.mutes.end(args.id, by, ctx.now) ?? notActive(args.id)]
    const t = ctx.strings.commands.unmute
    if (ended.length === 0) return { title: t.noneTitle, lines: [md`${t.none}`] }
    return {
      title: t.title(ended.map((m) => m.id).join(', ')),
      lines: ended.map((m) => t.ended(m.id, toSelectorText(m.selector), m.heldBack)),
    }
  },
})

function notActive(id: string): never {
  throw new UserError('not_found', (s) => s.commands.unmute.notActive(id))
}
