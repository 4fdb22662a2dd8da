/** `events` (事件): the newest matching events from the archive, newest first. */
import { z } from 'zod'
import {
  countArg,
  durationArg,
  kindArg,
  levelArg,
  nameArg,
  namespaceArg,
  reasonArg,
} from '../src/chatops/arg-values.ts'
import type { EventFilter } from '../src/chatops/context.ts'
import { defineCommand } from '../src/chatops/define-command.ts'
import { clip, md } from '../src/chatops/markdown.ts'
import { toDurationText } from '../src/config/duration.ts'

const HOUR = 3_600_000
/** The interface contract: `limit` at most 50. */
export const MAX_EVENTS = 50
/** Characters of each event's message the list shows. */
const MESSAGE_CHARS = 200

export const events = defineCommand({
  name: 'events',
  aliases: ['事件'],
  usage: 'events [ns=] [kind=] [name=] [reason=] [level=Warning|Normal|all] [since=1h] [limit=10]',
  example: 'events ns=prod reason=BackOff since=6h',
  write: false,
  args: z.strictObject({
    ns: namespaceArg.optional(),
    kind: kindArg.optional(),
    name: nameArg.optional(),
    reason: reasonArg.optional(),
    level: levelArg.default('Warning'),
    since: durationArg(60_000, 366 * 24 * HOUR).default(HOUR),
    limit: countArg(MAX_EVENTS).default(10),
  }),
  run(args, ctx) {
    const filter: EventFilter = { since: ctx.now - args.since, limit: args.limit + 1 }
    if (args.level !== 'all') filter.type = args.level
    if (args.ns !== undefined) filter.namespace = args.ns
    if (args.kind !== undefined) filter.kind = args.kind
    if (args.name !== undefined) filter.name = args.name
    if (args.reason !== undefined) filter.reason = args.reason
    const found = ctx.events.find(filter)
    const shown = found.slice(0, args.limit)
    const s = ctx.strings
    const t = s.commands.events
    const what = t.what(args.level, args.ns)
    const window = t.window(toDurationText(args.since))
    if (shown.length === 0) {
      return { title: t.noneTitle(what), lines: [md`${t.none(what, window)}`] }
    }
    const lines = shown.map(
      (e) =>
        md`**${e.reason}** ${e.kind}/${e.name} · ${e.namespace || t.clusterWide} · ×${e.count} · ${s.ago(ctx.now - e.lastSeen)}  \n${clip(e.message, MESSAGE_CHARS) || s.alert.noMessage}`,
    )
    if (found.length > shown.length) lines.push(md`${t.more(MAX_EVENTS)}`)
    return { title: t.title(shown.length, what, window), lines }
  },
})
