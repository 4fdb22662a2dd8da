/** `nodes` (节点): nodes that are NotReady or report a problem condition, from the Node cache. */
import { z } from 'zod'
import type { NodeInfo } from '../src/chatops/context.ts'
import { defineCommand } from '../src/chatops/define-command.ts'
import { clip, type Markdown, md } from '../src/chatops/markdown.ts'
import type { Strings } from '../src/i18n/strings.ts'

/** Nodes listed in one reply; the rest are counted. */
export const MAX_NODES = 30

export const nodes = defineCommand({
  name: 'nodes',
  aliases: ['节点'],
  usage: 'nodes',
  example: 'nodes',
  write: false,
  args: z.strictObject({}),
  run(_args, ctx) {
    const t = ctx.strings.commands.nodes
    const total = ctx.nodes.size()
    const troubled = ctx.nodes.problemNodes().toSorted(byUrgency)
    if (troubled.length === 0) {
      return { title: t.allFineTitle(total), lines: [md`${t.allFine(total)}`] }
    }
    const lines = troubled.slice(0, MAX_NODES).map((n) => toNodeLines(n, ctx.now, ctx.strings))
    if (troubled.length > MAX_NODES) lines.push(md`${t.more(troubled.length - MAX_NODES)}`)
    return { title: t.title(troubled.length, total), lines }
  },
})

/** NotReady nodes first, then by name. */
function byUrgency(a: NodeInfo, b: NodeInfo): number {
  const rank = (n: NodeInfo) => (n.ready === 'True' ? 1 : 0)
  return rank(a) - rank(b) || a.name.localeCompare(b.name)
}

function toNodeLines(node: NodeInfo, now: number, s: Strings): Markdown {
  const t = s.commands.nodes
  const problems = node.problems.map(
    (p) =>
      md`${t.problem(p.type, p.status, s.ago(now - p.since), p.reason)}${p.message ? md`, ${clip(p.message, 160)}` : md``}`,
  )
  let text = md`**${node.name}** ${t.ready(node.ready)}`
  for (const p of problems) text = md`${text}  \n${p}`
  return text
}
