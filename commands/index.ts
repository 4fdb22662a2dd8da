/**
 * Every chat command, in the order `help` lists them. Adding one: its file, one line here, its
 * test. The registry refuses duplicates at start-up.
 */
import type { Command } from '../src/chatops/define-command.ts'
import { events } from './events.ts'
import { help } from './help.ts'
import { mute } from './mute.ts'
import { mutes } from './mutes.ts'
import { nodes } from './nodes.ts'
import { status } from './status.ts'
import { unmute } from './unmute.ts'

export const commands: readonly Command[] = [help, events, mute, unmute, mutes, nodes, status]
