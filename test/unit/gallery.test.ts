/**
 * The message gallery in docs/gallery/ is what kubeding sends today: one file per message kind and
 * language, rebuilt here and compared, so a change of layout shows up in review as a changed file.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { buildGallery } from '../../scripts/build-gallery.ts'
import { LANGUAGES } from '../../src/i18n/language.ts'

const dir = join(import.meta.dirname, '..', '..', 'docs', 'gallery')

t.test('docs/gallery is up to date (npm run gallery rewrites it)', async (t) => {
  const built = await buildGallery()
  const onDisk = readdirSync(dir).filter((f) => f.endsWith('.md'))
  t.same(onDisk.toSorted(), [...built.keys()].toSorted(), 'the same files')
  for (const [name, text] of built) {
    t.equal(readFileSync(join(dir, name), 'utf8'), text, name)
  }
})

t.test('every kind exists in every language', async (t) => {
  const built = await buildGallery()
  const kinds = new Set([...built.keys()].map((f) => f.replace(/\.[^.]+\.md$/, '')))
  for (const kind of [
    'alert',
    'digest',
    'node-problem',
    'node-resolved',
    'mute-ended',
    'reply-help',
    'reply-events',
    'reply-mute',
    'reply-unmute',
    'reply-mutes',
    'reply-nodes',
    'reply-status',
    'reply-unknown-command',
  ]) {
    t.ok(kinds.has(kind), kind)
  }
  for (const kind of kinds) {
    for (const language of LANGUAGES)
      t.ok(built.has(`${kind}.${language}.md`), `${kind} ${language}`)
  }
  t.match(built.get('alert.zh-CN.md'), /【警告】/)
  t.match(built.get('alert.en.md'), /【Warning】/)
  t.match(built.get('node-resolved.zh-CN.md'), /【恢复】/)
  t.notMatch(built.get('reply-unknown-command.en.md'), /unknown_command/)
})
