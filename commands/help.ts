/** `help` (帮助): every command with its usage and an example. */
import { z } from 'zod'
import { defineCommand } from '../src/chatops/define-command.ts'
import { md } from '../src/chatops/markdown.ts'

export const help = defineCommand({
  name: 'help',
  aliases: ['帮助'],
  summary: 'this list',
  usage: 'help',
  example: 'help',
  write: false,
  args: z.strictObject({}),
  run(_args, ctx) {
    return {
      title: 'What I understand',
      lines: [
        ...ctx.commands.map((c) => {
          const aliases = c.aliases.length > 0 ? md` (${c.aliases.join(', ')})` : md``
          return md`**${c.name}**${aliases}: ${c.summary}  \n${c.usage}  \ne.g. ${c.example}`
        }),
        md`Keys ignore case; ns= is also namespace=; name= takes * as a wildcard; quote values with spaces: reason="Back Off".`,
      ],
    }
  },
})
