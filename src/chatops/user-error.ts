/**
 * The one kind of error a chat user is shown as it is (style habit 6): bad arguments, not
 * allowed, too many commands. Anything else is a bug or an outage: it is logged, and the chat
 * sees an apology with a reference id.
 */

import { en } from '../i18n/en.ts'
import type { Strings } from '../i18n/strings.ts'

/** Stable codes: tests and operators match on these, never on the prose. */
export const USER_ERROR_CODES = [
  'bad_syntax',
  'unknown_command',
  'unknown_key',
  'duplicate_key',
  'bad_value',
  'missing_key',
  'matches_everything',
  'too_many_mutes',
  'unexpected_argument',
  'not_found',
  'not_text',
  'not_admin',
  'conversation_not_allowed',
  'rate_limited',
  'group_rate_limited',
  'busy',
] as const

export type UserErrorCode = (typeof USER_ERROR_CODES)[number]

/** An error whose message is written for the person in the chat and safe to show there. */
export class UserError extends Error {
  readonly code: UserErrorCode
  /** The message in the chat's language, when it has been written in each (else `message`). */
  readonly toText: ((strings: Strings) => string) | undefined

  /** `text`: the message, or how to write it in each language (`message` is then the English). */
  constructor(code: UserErrorCode, text: string | ((strings: Strings) => string)) {
    super(typeof text === 'string' ? text : text(en))
    this.name = 'UserError'
    this.code = code
    this.toText = typeof text === 'string' ? undefined : text
  }
}

/** True for errors the chat may see verbatim. */
export const isUserError = (err: unknown): err is UserError => err instanceof UserError
