/**
 * A node condition from the node watch as a draft: the problem (what, since when, whether the
 * node is still Ready and schedulable, the hint, a mute link and a link asking for `nodes`), or
 * its return to normal (恢复 / Resolved) and how long it lasted.
 */
import type { CommandLink, DraftBlock, MessageDraft } from '../draft/message-draft.ts'
import { md } from '../draft/rich-text.ts'
import { type DraftContext, toHeading, toMuteLink, toNodesLink, toWhen } from './draft-context.ts'
import { formatStamp } from './format-time.ts'
import { toNodeHint } from './hints.ts'
import type { NodeConditionMessage } from './outbox-message.ts'

/** Drafts a `node-problem` or `node-resolved` message. */
export function toNodeDraft(message: NodeConditionMessage, ctx: DraftContext): MessageDraft {
  return message.kind === 'node-resolved'
    ? toResolvedDraft(message, ctx)
    : toProblemDraft(message, ctx)
}

function toProblemDraft(m: NodeConditionMessage, ctx: DraftContext): MessageDraft {
  const s = ctx.strings
  const level = s.level('Warning')
  const facts = [s.node.since(m.condition, m.status, ...toWhen(m.since, ctx, true))]
  if (m.reason) facts.push(m.reason)
  facts.push(s.node.state(m.ready, m.schedulable))
  if (m.flips > 1) facts.push(s.node.flips(m.flips))
  const blocks: DraftBlock[] = [
    { kind: 'heading', text: toHeading(level, ctx.cluster, `Node ${m.node}`, m.condition) },
  ]
  if (m.message) blocks.push({ kind: 'fill', text: m.message })
  blocks.push(
    { kind: 'text', text: md`${facts.join(' · ')}` },
    { kind: 'text', text: toNodeHint(m.node, m.condition, s) },
  )
  const links: CommandLink[] = []
  // Every alert about the node, whatever the condition: what `mute kind=Node name=node-2` means.
  if (ctx.muteLinks)
    links.push(toMuteLink({ namespace: '', kind: 'Node', name: m.node, reason: '' }, ctx))
  links.push(toNodesLink(ctx))
  blocks.push({ kind: 'links', links })
  return { title: `${level} Node ${m.node}: ${m.condition}`, blocks, at: m.at }
}

function toResolvedDraft(m: NodeConditionMessage, ctx: DraftContext): MessageDraft {
  const s = ctx.strings
  const ended = m.endedAt ?? ctx.now
  const stamp = (at: number, zone: boolean) => formatStamp(at, ctx.now, { zone })
  const blocks: DraftBlock[] = [
    { kind: 'heading', text: toHeading(s.resolved, ctx.cluster, `Node ${m.node}`, m.condition) },
    {
      kind: 'text',
      text: md`${s.node.resolved(m.condition, s.span(ended - m.since), stamp(m.since, false), stamp(ended, true))}`,
    },
    { kind: 'text', text: md`${toResolvedFacts(m, ctx).join(' · ')}` },
    { kind: 'links', links: [toNodesLink(ctx)] },
  ]
  const title = s.node.resolvedTitle(`Node ${m.node}`, m.condition, s.span(ended - m.since))
  return { title, blocks, at: m.at }
}

/** The node's state now, why the condition changed (`NodeDeleted` too), and how often it flapped. */
function toResolvedFacts(m: NodeConditionMessage, ctx: DraftContext): string[] {
  const s = ctx.strings
  const facts = [s.node.state(m.ready, m.schedulable)]
  if (m.reason) facts.push(m.reason)
  if (m.flips > 1) facts.push(s.node.flips(m.flips))
  return facts
}
