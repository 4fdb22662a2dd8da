import t from 'tap'
import { z } from 'zod'
import { commands } from '../../../commands/index.ts'
import { createCommandRegistry } from '../../../src/chatops/command-registry.ts'
import { defineCommand } from '../../../src/chatops/define-command.ts'
import { md } from '../../../src/chatops/markdown.ts'

const aCommand = (name: string, aliases: string[] = []) =>
  defineCommand({
    name,
    aliases,
    usage: name,
    example: name,
    write: false,
    args: z.strictObject({}),
    run: () => ({ title: name, lines: [md`${name}`] }),
  })

t.test('finds commands by name or alias, in any case', async (t) => {
  const registry = createCommandRegistry([aCommand('events', ['事件']), aCommand('help')])
  t.equal(registry.find('EVENTS')?.name, 'events')
  t.equal(registry.find('事件')?.name, 'events')
  t.equal(registry.find('nope'), undefined)
  t.same(
    registry.list.map((c) => c.name),
    ['events', 'help'],
  )
})

t.test('a duplicate name or alias fails at start-up', async (t) => {
  t.throws(() => createCommandRegistry([aCommand('events'), aCommand('events')]), {
    message: /"events" and "events" both answer to "events"/,
  })
  t.throws(() => createCommandRegistry([aCommand('events', ['ev']), aCommand('eventz', ['EV'])]), {
    message: /both answer to "EV"/,
  })
  t.throws(() => createCommandRegistry([aCommand('mute', ['静默']), aCommand('silence', ['静默'])]))
  t.throws(() => createCommandRegistry([aCommand('two words')]), { message: /empty or has spaces/ })
})

t.test(
  'the shipped command list registers, with the interface names and Chinese aliases',
  async (t) => {
    const registry = createCommandRegistry(commands)
    const expected: Record<string, string> = {
      help: '帮助',
      events: '事件',
      mute: '静默',
      unmute: '取消静默',
      mutes: '静默列表',
      nodes: '节点',
      status: '状态',
    }
    for (const [name, alias] of Object.entries(expected)) {
      t.equal(registry.find(name)?.name, name)
      t.equal(registry.find(alias)?.name, name, alias)
    }
    t.same(
      registry.list.filter((c) => c.write).map((c) => c.name),
      ['mute', 'unmute'],
    )
  },
)
