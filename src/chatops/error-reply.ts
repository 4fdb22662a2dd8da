/**
 * The replies to commands that were refused or failed, in the chat's language. Their titles are
 * sentences for people, never a code (`unknown_command`); the code stays on the reply for tests
 * and logs. An unknown command is answered with the commands there are.
 */
import type { Strings } from '../i18n/strings.ts'
import type { CommandInfo, Reply } from './context.ts'
import { md } from './markdown.ts'
import type { UserError } from './user-error.ts'

/** The reply to a refusal; `command` is the command it was for, when one was found. */
export function toErrorReply(
  err: UserError,
  command: CommandInfo | undefined,
  commands: readonly CommandInfo[],
  strings: Strings,
): Reply {
  const s = strings.chat
  const lines = [md`${err.toText?.(strings) ?? err.message}`]
  if (command) lines.push(md`${s.usage}: ${command.usage}`)
  if (err.code === 'unknown_command') {
    lines.push(md`**${s.commandList}**`)
    for (const c of commands) lines.push(md`${c.name} (${c.aliases.join(', ')}): ${c.usage}`)
  }
  return { title: s.errorTitle[err.code] ?? err.message, lines, code: err.code }
}

/** The apology for a failure on our side, with the reference the operator finds in the log. */
export function toSorryReply(ref: string, strings: Strings): Reply {
  return {
    title: strings.chat.sorryTitle,
    lines: [md`${strings.chat.sorry(ref)}`],
    code: 'internal_error',
  }
}
