/**
 * ChatOps as the composition root assembles it, on an in-memory store with a settable clock:
 * the real commands, mute store, events query and audit; the node cache and status snapshot
 * are plain values the test sets. `ask` sends one text @-mention and returns the reply.
 */
import pino from 'pino'
import { commands } from '../../../commands/index.ts'
import { createChatOps } from '../../../src/chatops/chat-ops.ts'
import type { NodeInfo, Reply, StatusSnapshot } from '../../../src/chatops/context.ts'
import type { ChatMemoryLimits } from '../../../src/chatops/dispatcher.ts'
import { parseInboundMessage } from '../../../src/chatops/inbound-message.ts'
import type { MarkdownMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import type { Language } from '../../../src/i18n/language.ts'
import { createAuditLog } from '../../../src/store/audit.ts'
import { createEventArchive } from '../../../src/store/events.ts'
import { createEventsQuery } from '../../../src/store/events-query.ts'
import { createMuteStore } from '../../../src/store/mutes.ts'
import { openStore } from '../../../src/store/open-store.ts'
import { aTextMessage } from '../../helpers/dingtalk-callback.ts'

export const START = Date.UTC(2026, 10, 24, 12)

export interface HarnessOptions {
  admins?: string[]
  conversations?: string[]
  perSenderPerMinute?: number
  memoryLimits?: ChatMemoryLimits
  /** The store directory; default in memory. */
  dir?: string
  /** The chat's language; default English, which most command tests read. */
  language?: Language
  /** Robot webhooks whose hosts sessionWebhooks may be on (a fake's, in tests). */
  robotWebhooks?: string[]
}

/** A snapshot with every figure filled; tests override what they look at. */
export const aStatusSnapshot = (overrides: Partial<StatusSnapshot> = {}): StatusSnapshot => ({
  cluster: 'prod-hangzhou',
  version: '0.1.0',
  startedAt: START - 3 * 3_600_000,
  watch: { state: 'watching', since: START - 3 * 3_600_000, lastResync: START - 5 * 60_000 },
  eventsTakenIn: 1234,
  alerts: { sent: 56, queued: 2, muted: 7, dropped: 0, refused: [] },
  throttledRobots: [],
  storeBytes: 3 * 1024 * 1024,
  ...overrides,
})

export function createChatHarness(
  t: { teardown(fn: () => void): void },
  options: HarnessOptions = {},
) {
  const clock = { now: START }
  const store = openStore(options.dir ?? ':memory:')
  const mutes = createMuteStore(store)
  const archive = createEventArchive(store)
  const audit = createAuditLog(store)
  const nodeState: { problems: NodeInfo[]; total: number } = { problems: [], total: 3 }
  let snapshot = aStatusSnapshot()
  /** Every log line, parsed. */
  const logs: Array<Record<string, unknown>> = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line)) })
  const chat = createChatOps({
    commands,
    services: {
      events: createEventsQuery(store),
      mutes,
      audit,
      nodes: { problemNodes: () => nodeState.problems, size: () => nodeState.total },
      status: () => snapshot,
    },
    admins: options.admins ?? [],
    conversations: options.conversations ?? [],
    language: options.language ?? 'en',
    robotWebhooks: options.robotWebhooks ?? [],
    fetch,
    now: () => clock.now,
    logger,
    ...(options.perSenderPerMinute === undefined
      ? {}
      : { perSenderPerMinute: options.perSenderPerMinute }),
    ...(options.memoryLimits === undefined ? {} : { memoryLimits: options.memoryLimits }),
  })
  t.teardown(() => store.close())

  /** Sends `content` as a text @-mention; `overrides` change message fields (sender, msgId, ...). */
  const ask = async (content: string, overrides: Record<string, unknown> = {}): Promise<Reply> => {
    const parsed = parseInboundMessage(aTextMessage(content, overrides))
    if (!parsed.ok) throw new Error(`test message is invalid: ${parsed.reason}`)
    return (await chat.dispatch(parsed.message)).reply
  }
  /** The markdown text DingTalk would show for the reply. */
  const say = async (content: string, overrides: Record<string, unknown> = {}) =>
    (chat.toMessage(await ask(content, overrides)) as MarkdownMessage).markdown.text

  return {
    clock,
    store,
    mutes,
    archive,
    audit,
    chat,
    logger,
    logs,
    nodes: nodeState,
    setStatus: (s: StatusSnapshot) => {
      snapshot = s
    },
    ask,
    say,
  }
}
