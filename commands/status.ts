/** `status` (状态): how kubeding is doing, from the snapshot the composition root fills. */
import { z } from 'zod'
import type { ReplicasStatus, StatusSnapshot } from '../src/chatops/context.ts'
import { defineCommand } from '../src/chatops/define-command.ts'
import { md } from '../src/chatops/markdown.ts'
import type { Strings } from '../src/i18n/strings.ts'

export const status = defineCommand({
  name: 'status',
  aliases: ['状态'],
  usage: 'status',
  example: 'status',
  write: false,
  args: z.strictObject({}),
  run(_args, ctx) {
    const s = ctx.status()
    const t = ctx.strings.commands.status
    const ago = (at: number) => ctx.strings.ago(ctx.now - at)
    const resync = s.watch.lastResync === undefined ? undefined : ago(s.watch.lastResync)
    return {
      title: t.title(s.cluster, s.watch.state),
      lines: [
        md`**${t.cluster}** ${s.cluster}`,
        md`**${t.watchLabel}** ${t.watch(s.watch.state, ago(s.watch.since), resync)}`,
        md`**${t.eventsTakenIn}** ${s.eventsTakenIn}`,
        md`**${t.alertsLabel}** ${t.alerts(s.alerts.sent, s.alerts.queued, s.alerts.muted, s.alerts.dropped, toRefusedText(s, t))}`,
        md`**${t.throttled}** ${toThrottledText(s, ctx.now, ctx.strings)}`,
        s.storeProblem
          ? md`**${t.store}** ${formatBytes(s.storeBytes)} · ${t.storeFailing(s.storeProblem)}`
          : md`**${t.store}** ${formatBytes(s.storeBytes)}`,
        md`**${t.versionLabel}** ${t.version(s.version, ctx.strings.span(ctx.now - s.startedAt))}`,
        ...(s.replicas ? [md`**${t.replicasLabel}** ${toReplicasText(s.replicas, ago, t)}`] : []),
      ],
    }
  },
})

/** `leader pod-a · pod-a: watching, seen 3s ago · pod-b (this one): …` */
function toReplicasText(
  r: ReplicasStatus,
  ago: (at: number) => string,
  t: Strings['commands']['status'],
): string {
  const members = r.members
    .map((m) => t.replica(m.name, m.name === r.self, m.watch, ago(m.seenAt)))
    .join(' · ')
  return t.replicas(r.leader, members)
}

function toRefusedText(s: StatusSnapshot, t: Strings['commands']['status']): string {
  const refused = s.alerts.refused.filter((r) => r.count > 0)
  if (refused.length === 0) return '0'
  return refused
    .map((r) =>
      r.errcode === null
        ? `${r.count}× ${t.refusal(r.errmsg)}`
        : `${r.count}× errcode ${r.errcode} (${t.refusal(r.errmsg)})`,
    )
    .join(', ')
}

function toThrottledText(s: StatusSnapshot, now: number, strings: Strings): string {
  const t = strings.commands.status
  if (s.throttledRobots.length === 0) return t.none
  return s.throttledRobots
    .map((r) =>
      r.until === undefined ? r.robot : t.until(r.robot, strings.commands.until(r.until - now)),
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
