/** `npm run gallery`: writes the message gallery (one file per message kind and language) to docs/gallery/. */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { buildGallery } from './build-gallery.ts'

const dir = join(import.meta.dirname, '..', 'docs', 'gallery')
mkdirSync(dir, { recursive: true })
for (const old of readdirSync(dir)) if (old.endsWith('.md')) rmSync(join(dir, old))
const files = await buildGallery()
for (const [name, text] of files) writeFileSync(join(dir, name), text)
process.stdout.write(`wrote ${files.size} messages to ${dir}\n`)
