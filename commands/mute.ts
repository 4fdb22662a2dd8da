/** `mute` (静默): hold back alerts that match every given key, for a while. */
import { z } from 'zod'
import {
  durationArg,
  kindArg,
  nameArg,
  namespaceArg,
  reasonArg,
} from '../src/chatops/arg-values.ts'
import type { MuteSelector } from '../src/chatops/context.ts'
import { defineCommand } from '../src/chatops/define-command.ts'
import { md } from '../src/chatops/markdown.ts'
import { toSelectorText } from '../src/chatops/mute-text.ts'
import { UserError } from '../src/chatops/user-error.ts'

const MINUTE = 60_000
/** The interface contract: default 1h, at most 7d. */
export const DEFAULT_MUTE_MS = 60 * MINUTE
export const MAX_MUTE_MS = 7 * 24 * 60 * MINUTE
/**
 * Mutes on at once, at most. Every routed event is matched against each, and `mutes` lists them
 * all: without a bound, the chat's own limits still let a group set ~300,000 in 7 days. A group
 * needs a few; more than this is a loop or an attack, not a way of working.
 */
export const MAX_ACTIVE_MUTES = 100

export const mute = defineCommand({
  name: 'mute',
  aliases: ['静默'],
  usage: 'mute [ns=] [kind=] [name=] [reason=] [for=1h]',
  example: 'mute ns=prod name=web-* reason=BackOff for=2h',
  write: true,
  args: z.strictObject({
    ns: namespaceArg.optional(),
    kind: kindArg.optional(),
    name: nameArg.optional(),
    reason: reasonArg.optional(),
    for: durationArg(MINUTE, MAX_MUTE_MS).default(DEFAULT_MUTE_MS),
  }),
  async run(args, ctx) {
    const selector: MuteSelector = {}
    if (args.ns !== undefined) selector.namespace = args.ns
    if (args.kind !== undefined) selector.kind = args.kind
    if (args.name !== undefined) selector.name = args.name
    if (args.reason !== undefined) selector.reason = args.reason
    if (Object.keys(selector).length === 0) {
      throw new UserError('missing_key', (s) => s.commands.mute.missingKey)
    }
    // nameArg folds `***` to `*`, so `*` is the only name that matches every alert.
    if (Object.keys(selector).length === 1 && selector.name === '*') {
      throw new UserError('matches_everything', (s) => s.chat.matchesEverything)
    }
    if (ctx.mutes.active(ctx.now).length >= MAX_ACTIVE_MUTES) {
      throw new UserError('too_many_mutes', (s) => s.commands.mute.tooMany(MAX_ACTIVE_MUTES))
    }
    const record = await ctx.mutes.shared(
      ctx.mutes.add({
        selector,
        createdBy: ctx.sender.id,
        createdByName: ctx.sender.name,
        conversationId: ctx.conversationId,
        createdAt: ctx.now,
        endsAt: ctx.now + args.for,
      }),
    )
    const t = ctx.strings.commands
    return {
      title: t.mute.title(record.id),
      lines: [
        t.mute.on(record.id, toSelectorText(selector), t.until(record.endsAt - ctx.now)),
        md`${t.mute.after(record.id)}`,
      ],
    }
  },
})
