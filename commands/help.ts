/** `help` (帮助): every command with its names in both languages, usage and an example. */
import { z } from 'zod'
import { defineCommand } from '../src/chatops/define-command.ts'
import { md } from '../src/chatops/markdown.ts'

export const help = defineCommand({
  name: 'help',
  aliases: ['帮助'],
  usage: 'help',
  example: 'help',
  write: false,
  args: z.strictObject({}),
  run(_args, ctx) {
    const s = ctx.strings
    return {
      title: s.chat.helpTitle,
      lines: [
        ...ctx.commands.map((c) => {
          const aliases = c.aliases.length > 0 ? md` (${c.aliases.join(', ')})` : md``
          const summary = s.commands.summary[c.name] ?? ''
          return md`**${c.name}**${aliases}: ${summary}  \n${c.usage}  \n${s.commands.help.example} ${c.example}`
        }),
        md`${s.chat.helpKeys}`,
        md`${s.chat.helpBothLanguages}`,
      ],
    }
  },
})
