/**
 * What the core (notify, chatops) says, before any chat platform shapes it: a neutral message
 * draft. A platform's renderer (`src/dingtalk/render-draft.ts`) turns it into that platform's
 * message (markup, escaping, mentions, size budget), so a second platform is a new renderer, not
 * edits in every place that says something.
 */
import type { Markdown } from './rich-text.ts'

/** Who a message mentions (`routes[].at`). */
export interface Mentions {
  mobiles: string[]
  userIds: string[]
  all: boolean
}

/** A draft that mentions nobody. */
export const NO_MENTIONS: Mentions = { mobiles: [], userIds: [], all: false }

/** A chat command the reader can send with one click: `mute ns=prod kind=Pod ... for=1h`, `nodes`. */
export interface CommandLink {
  label: string
  command: string
}

/**
 * One block of a draft, shown in order. `fill` is untrusted free text (an event's message) that
 * is cut, never dropped, when the message would be too long; `list` loses its last items first,
 * and `overflow(n)` says how many were left out (`more`: items the core did not list at all).
 */
export type DraftBlock =
  | { kind: 'heading'; text: Markdown }
  | { kind: 'text'; text: Markdown }
  | { kind: 'fill'; text: string }
  | {
      kind: 'list'
      items: Markdown[]
      bullet: boolean
      more?: number
      overflow: (left: number) => Markdown
    }
  | { kind: 'links'; links: CommandLink[] }

/** A message as the core describes it. */
export interface MessageDraft {
  /** The notification line: plain text, untrusted parts allowed. */
  title: string
  blocks: DraftBlock[]
  at: Mentions
}
