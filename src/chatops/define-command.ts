/**
 * How a chat command is declared: its names, usage, argument schema and `run`. `defineCommand`
 * binds argument reading to the command, so the registry and dispatcher handle every command
 * the same way without knowing its argument types.
 */
import type { z } from 'zod'
import type { CommandContext, CommandInfo, Reply } from './context.ts'
import type { CommandLine } from './parse-command-line.ts'
import { readArgs } from './read-args.ts'

/** A command as its file writes it. */
export interface CommandSpec<S extends z.ZodObject> extends CommandInfo {
  /** One key per argument (canonical names: `ns`, `kind`, `name`, `reason`, `for`, ...). */
  args: S
  /** Keys that bare words fill, in order (`unmute m3` fills `id`). */
  positional?: readonly string[]
  run(args: z.output<S>, ctx: CommandContext): Reply | Promise<Reply>
}

/** A registered command: reads its own arguments, then runs. Throws `UserError` on bad input. */
export interface Command extends CommandInfo {
  run(line: CommandLine, ctx: CommandContext): Promise<Reply>
}

/** Declares a command; the returned object is what `commands/index.ts` lists. */
export function defineCommand<S extends z.ZodObject>(spec: CommandSpec<S>): Command {
  const { args, positional = [], run, ...info } = spec
  return {
    ...info,
    run: async (line, ctx) => run(readArgs(args, positional, line), ctx),
  }
}
