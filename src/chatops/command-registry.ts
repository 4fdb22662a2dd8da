/** The registered chat commands, looked up by name or alias (any case). */
import type { CommandInfo } from './context.ts'
import type { Command } from './define-command.ts'

export interface CommandRegistry {
  find(word: string): Command | undefined
  /** Every command, in the order registered. */
  readonly list: readonly CommandInfo[]
}

/**
 * Builds the registry. Throws at start-up when two commands share a name or alias, or when one
 * is empty: a later command silently shadowing an earlier one would be a bug nobody sees.
 */
export function createCommandRegistry(commands: readonly Command[]): CommandRegistry {
  const byWord = new Map<string, Command>()
  for (const command of commands) {
    for (const word of [command.name, ...command.aliases]) {
      const key = word.toLowerCase()
      if (key.trim() === '' || /\s/.test(key)) {
        throw new Error(
          `chat command "${command.name}": name or alias "${word}" is empty or has spaces`,
        )
      }
      const taken = byWord.get(key)
      if (taken) {
        throw new Error(
          `chat commands "${taken.name}" and "${command.name}" both answer to "${word}": rename one`,
        )
      }
      byWord.set(key, command)
    }
  }
  return {
    find: (word) => byWord.get(word.toLowerCase()),
    list: commands.map(({ name, aliases, usage, example, write }) => ({
      name,
      aliases,
      usage,
      example,
      write,
    })),
  }
}
