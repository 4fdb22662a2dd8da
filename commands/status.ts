/** `status` (状态): how kubeding is doing, from the snapshot the composition root fills. */
import { z } from 'zod'
import type { StatusSnapshot } from '../src/chatops/context.ts'
import { defineCommand } from '../src/chatops/define-command.ts'
import { formatAge, formatSpan, formatUntil } from '../src/chatops/format-age.ts'
import { type Markdown, md } from '../src/chatops/markdown.ts'

export const status = defineCommand({
  name: 'status',
  aliases: ['状态'],
  summary: 'watch state, events taken in, alerts sent/queued/refused/muted, version',
  usage: 'status',
  example: 'status',
  write: false,
  args: z.strictObject({}),
  run(_args, ctx) {
    const s = ctx.status()
    return {
      title: `kubeding on ${s.cluster}: watch ${s.watch.state}`,
      lines: [
        md`**Cluster** ${s.cluster}`,
        toWatchLine(s, ctx.now),
        md`**Events taken in** ${s.eventsTakenIn}`,
        md`**Alerts** sent ${s.alerts.sent} · queued ${s.alerts.queued} · muted ${s.alerts.muted} · refused by DingTalk ${toRefusedText(s)}`,
        md`**Throttled robots** ${toThrottledText(s, ctx.now)}`,
        s.storeProblem
          ? md`**Store** ${formatBytes(s.storeBytes)} · FAILING: ${s.storeProblem}`
          : md`**Store** ${formatBytes(s.storeBytes)}`,
        md`**Version** ${s.version} · up ${formatSpan(ctx.now - s.startedAt)}`,
      ],
    }
  },
})

function toWatchLine(s: StatusSnapshot, now: number): Markdown {
  const resync =
    s.watch.lastResync === undefined
      ? 'no resync yet'
      : `last resync ${formatAge(s.watch.lastResync, now)}`
  return md`**Watch** ${s.watch.state} since ${formatAge(s.watch.since, now)} · ${resync}`
}

function toRefusedText(s: StatusSnapshot): string {
  const refused = s.alerts.refused.filter((r) => r.count > 0)
  if (refused.length === 0) return '0'
  return refused
    .map((r) =>
      r.errcode === null
        ? `${r.count}× ${r.errmsg}`
        : `${r.count}× errcode ${r.errcode} (${r.errmsg})`,
    )
    .join(', ')
}

function toThrottledText(s: StatusSnapshot, now: number): string {
  if (s.throttledRobots.length === 0) return 'none'
  return s.throttledRobots
    .map((r) =>
      r.until === undefined ? r.robot : `${r.robot} (until ${formatUntil(r.until, now)})`,
    )
    .join(', ')
}

/** `512 B`, `3.2 KiB`, `41.0 MiB`, `1.3 GiB`. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`
}
