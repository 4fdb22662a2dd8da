/**
 * Chat on any replica, each message run once: DingTalk re-delivers a message it thinks was not
 * answered, and through the Service the second delivery may reach the other pod. Before running
 * a message, a replica claims its msgId in the shared state (a write conditioned on the
 * resourceVersion, so two pods cannot both win); a message another pod claimed is not run again.
 * The same pod may see its own message again: its reply memory answers that, as before.
 */
import { createHash } from 'node:crypto'
import type { ChatOps } from '../chatops/chat-ops.ts'
import type { Reply } from '../chatops/context.ts'
import { md } from '../chatops/markdown.ts'
import type { Strings } from '../i18n/strings.ts'
import type { SharedState } from './shared-state.ts'

/** Claims a msgId for this replica: false when another replica has it. */
export type ClaimMessage = (msgId: string) => Promise<boolean>

/** The shared state's key for a msgId: bounded and free of odd characters whatever DingTalk sends. */
export function toMsgIdKey(msgId: string): string {
  return createHash('sha256').update(msgId).digest('base64url').slice(0, 16)
}

/** A claim that cannot be written within this long lets the message run: chat stays up. */
const CLAIM_TIMEOUT_MS = 2_000

/**
 * Claims in `shared` (undefined until connected: then everything runs). A claim is a write
 * conditioned on the resourceVersion; the change re-reads the claim on every retry.
 */
export function createMessageClaims(
  shared: () => SharedState | undefined,
  identity: string,
  now: () => number,
  logger: { warn(obj: object, msg: string): void },
): ClaimMessage {
  return async (msgId) => {
    const state = shared()
    if (!state) return true
    const key = toMsgIdKey(msgId)
    const held = state.doc().msgIds[key]
    if (held && held.by !== identity) return false
    let mine = true
    const written = state.update((doc) => {
      const claim = doc.msgIds[key]
      mine = !claim || claim.by === identity
      if (mine) doc.msgIds[key] = { at: now(), by: identity }
    })
    const timedOut = new Promise<'timeout'>((resolve) =>
      setTimeout(() => resolve('timeout'), CLAIM_TIMEOUT_MS).unref(),
    )
    if ((await Promise.race([written, timedOut])) === 'timeout') {
      logger.warn(
        { msgId },
        'could not record the chat message in the shared state in time; answering anyway',
      )
      return true
    }
    return mine
  }
}

const alreadyAnswered = (strings: Strings): Reply => ({
  title: strings.chat.alreadyAnsweredTitle,
  lines: [md`${strings.chat.alreadyAnswered}`],
})

/** `chat`, running only the messages this replica could claim; `strings` word the refusal. */
export function guardChat(chat: ChatOps, claim: ClaimMessage, strings: Strings): ChatOps {
  return {
    ...chat,
    async dispatch(message) {
      if (!(await claim(message.msgId)))
        return { reply: alreadyAnswered(strings), replayed: true, quiet: false }
      return chat.dispatch(message)
    },
    async answerViaSessionWebhook(message) {
      // The other pod posted the reply to the group already.
      if (!(await claim(message.msgId))) return
      await chat.answerViaSessionWebhook(message)
    },
  }
}
