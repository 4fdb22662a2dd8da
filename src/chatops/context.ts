/**
 * What a chat command can see: the context object it is handed, and the shapes of the parts
 * other modules provide (node cache, status figures), kept narrow so commands depend on nothing
 * else. Commands return a `Reply`; they never send anything.
 */
import type { Strings } from '../i18n/strings.ts'
import type { NodeInfo as CachedNode } from '../kube/node-cache.ts'
import type { AuditLog } from '../store/audit.ts'
import type { EventsQuery } from '../store/events-query.ts'
import type { MuteStore } from '../store/mutes.ts'
import type { Markdown } from './markdown.ts'
import type { UserErrorCode } from './user-error.ts'

export type { NodeProblem } from '../kube/node-cache.ts'
export type { AuditEntry, AuditLog } from '../store/audit.ts'
export type { EventFilter, EventSummary, EventsQuery } from '../store/events-query.ts'
export type { MuteRecord, MuteSelector, MuteStore } from '../store/mutes.ts'

/** A reply to one chat command; the transport has it rendered for the chat platform. */
export interface Reply {
  /** Plain text, shown in the notification. */
  title: string
  /** One paragraph each. */
  lines: Markdown[]
  /** Set when the command was refused or failed, so tests and logs can tell why. */
  code?: UserErrorCode | 'internal_error'
}

/** A node as `nodes` shows it: its Ready status and its problems. */
export type NodeInfo = Pick<CachedNode, 'name' | 'ready' | 'problems'>

/** The watched Node cache, as `nodes` reads it. */
export interface NodeReader {
  /** Nodes that are not Ready or have a problem condition. */
  problemNodes(): NodeInfo[]
  /** How many nodes the cache holds. */
  size(): number
}

/** The state of the Kubernetes event watch. */
export type WatchState = 'starting' | 'watching' | 'down'

/** Every figure `status` shows, filled by the composition root when asked. Times are epoch ms. */
export interface StatusSnapshot {
  cluster: string
  version: string
  startedAt: number
  watch: {
    state: WatchState
    /** Since when the watch has been in `state`. */
    since: number
    /** When the last complete list (resync) was taken in; undefined before the first. */
    lastResync: number | undefined
  }
  /** Events taken in since the start. */
  eventsTakenIn: number
  alerts: {
    sent: number
    /** Waiting in the outbox now. */
    queued: number
    /** Held back by mutes since the start. */
    muted: number
    /**
     * Messages given up since the start: content DingTalk will never take, or a stored message
     * this version cannot read or render (each is logged with why).
     */
    dropped: number
    /**
     * Messages DingTalk refused, by errcode; `errcode` null for an HTTP answer that was not
     * DingTalk's (its `errmsg` says which: `HTTP 502 (not a DingTalk answer)`).
     */
    refused: ReadonlyArray<{ errcode: number | null; errmsg: string; count: number }>
  }
  /** Robots DingTalk is throttling now (130101/410100), and until when if known. */
  throttledRobots: ReadonlyArray<{ robot: string; until: number | undefined }>
  storeBytes: number
  /** Why the store cannot be written or trusted now; absent while it is healthy. */
  storeProblem?: string
  /** With leader election: who leads, this replica's name, and each replica as last heard of. */
  replicas?: ReplicasStatus
}

/** The replicas of a leader-elected deployment, for `status`. */
export interface ReplicasStatus {
  /** The Lease's holder ('' when none). */
  leader: string
  self: string
  members: ReadonlyArray<{ name: string; watch: string; seenAt: number }>
}

/** Who sent the command. */
export interface Sender {
  /** senderStaffId when DingTalk gives one, else senderId: what mutes and the audit record. */
  id: string
  /** Display name (senderNick). */
  name: string
}

/** A command's name, aliases and usage, for `help` and error replies. */
export interface CommandInfo {
  name: string
  aliases: readonly string[]
  usage: string
  example: string
  /** Write commands change state: gated by `admins` and recorded in the audit. */
  write: boolean
}

/** Everything a command may use. One instance per command run. */
export interface CommandContext {
  /** The instant the command is run at (read once from the injected clock). */
  now: number
  sender: Sender
  conversationId: string
  events: EventsQuery
  mutes: MuteStore
  audit: AuditLog
  nodes: NodeReader
  status(): StatusSnapshot
  /** Every registered command, for `help`. */
  commands: readonly CommandInfo[]
  /** The chat's language: every reply is worded with these. */
  strings: Strings
}
