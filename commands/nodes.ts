/** `nodes` (节点): nodes that are NotReady or report a problem condition, from the Node cache. */
import { z } from 'zod'
import type { NodeInfo } from '../src/chatops/context.ts'
import { defineCommand } from '../src/chatops/define-command.ts'
import { formatAge } from '../src/chatops/format-age.ts'
import { clip, type Markdown, md } from '../src/chatops/markdown.ts'

/** Nodes listed in one reply; the rest are counted. */
export const MAX_NODES = 30

export const nodes = defineCommand({
  name: 'nodes',
  aliases: ['节点'],
  summary: 'nodes that are NotReady or report a problem (node-problem-detector included)',
  usage: 'nodes',
  example: 'nodes',
  write: false,
  args: z.strictObject({}),
  run(_args, ctx) {
    const total = ctx.nodes.size()
    const troubled = ctx.nodes.problemNodes().toSorted(byUrgency)
    if (troubled.length === 0) {
      return {
        title: `All ${total} nodes fine`,
        lines: [md`All ${total} nodes are Ready and report no problem condition.`],
      }
    }
    const lines = troubled.slice(0, MAX_NODES).map((n) => toNodeLines(n, ctx.now))
    if (troubled.length > MAX_NODES) {
      lines.push(md`… and ${troubled.length - MAX_NODES} more nodes with problems.`)
    }
    return { title: `${troubled.length} of ${total} nodes need attention`, lines }
  },
})

const READY_TEXT: Readonly<Record<NodeInfo['ready'], string>> = {
  True: 'Ready',
  False: 'NotReady',
  Unknown: 'NotReady (Unknown: the kubelet stopped reporting)',
}

/** NotReady nodes first, then by name. */
function byUrgency(a: NodeInfo, b: NodeInfo): number {
  const rank = (n: NodeInfo) => (n.ready === 'True' ? 1 : 0)
  return rank(a) - rank(b) || a.name.localeCompare(b.name)
}

function toNodeLines(node: NodeInfo, now: number): Markdown {
  const problems = node.problems.map(
    (p) =>
      md`${p.type}=${p.status} since ${formatAge(p.since, now)}: ${p.reason}${p.message ? md`, ${clip(p.message, 160)}` : md``}`,
  )
  let text = md`**${node.name}** ${READY_TEXT[node.ready]}`
  for (const p of problems) text = md`${text}  \n${p}`
  return text
}
