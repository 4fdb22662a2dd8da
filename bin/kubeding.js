#!/usr/bin/env -S MALLOC_MMAP_THRESHOLD_=65536 node --max-semi-space-size=1 --v8-pool-size=1
// Plain JavaScript on purpose: it must run on any Node to tell an old one what to do, whereas
// kubeding itself is TypeScript that Node runs directly only from 22.19 (23.6 on the 23 line).
// The V8 flags above are those of `npm start` and the image's CMD (bench/footprint.ts measures
// all three); the service sets the rest itself (src/memory-flags.ts). Without them `npx kubeding`
// held half as much again after 100,000 events.
import { readdirSync, statSync } from 'node:fs'

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const supported = major >= 24 || (major === 23 && minor >= 6) || (major === 22 && minor >= 19)

if (!supported) {
  // One line: after `npm ci --ignore-scripts` (or ignore-scripts=true in .npmrc) the `node`
  // devDependency never installed its binary, so `npm start` and `npx` fall back to this Node.
  process.stderr.write(
    `kubeding needs Node.js 24 (22.19 or later works); this is Node.js ${process.versions.node}: if npm ci ran with ignore-scripts, run \`npm rebuild node --ignore-scripts=false\` to get the Node 24 that npm start and npx kubeding use, or install Node.js 24 LTS from https://nodejs.org\n`,
  )
  process.exit(1)
}

/**
 * Newest modification time under `dir` (0 when it does not exist). Walked by hand, joining names
 * with a slash: a recursive readdirSync joins every entry with path.join, and those ~160 calls at
 * each start made node:path's normalizeString hot enough for TurboFan before kubeding turns it off
 * (src/memory-flags.ts), which paged ~5 MiB of TurboFan's code into the resident set of
 * `npx kubeding`.
 */
function newest(dir) {
  let latest = 0
  let entries
  try {
    entries = readdirSync(dir, { withFileTypes: true })
  } catch (error) {
    if (error?.code === 'ENOENT') return 0
    throw error
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`
    if (entry.isDirectory()) latest = Math.max(latest, newest(path))
    else if (entry.isFile()) latest = Math.max(latest, statSync(path).mtimeMs)
  }
  return latest
}

// The bundle (npm run build, run by npm ci) is what `npx kubeding` and `npm start` run: it loads
// in a fraction of the time and memory of the sources. A clone whose sources changed since,
// or was installed without scripts, runs the sources instead, and says so.
const bundle = new URL('../dist/kubeding.js', import.meta.url)
const built = (() => {
  try {
    return statSync(bundle).mtimeMs
  } catch {
    return 0
  }
})()
const root = new URL('..', import.meta.url).pathname
const sources = Math.max(newest(`${root}src`), newest(`${root}commands`))

if (built > 0 && built >= sources) {
  await import(bundle.href)
} else {
  process.stderr.write(
    `kubeding: running the TypeScript sources: dist/ is ${built ? 'older than src/' : 'not built'}; \`npm run build\` makes the bundle that starts faster in less memory\n`,
  )
  try {
    await import('../src/main.ts')
  } catch (error) {
    // Node strips TypeScript types only outside node_modules.
    if (error?.code !== 'ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING') throw error
    process.stderr.write(
      'kubeding runs from a clone of its repository (git clone, then npm ci), not from an\n' +
        'installed package under node_modules: Node.js does not run TypeScript from there.\n',
    )
    process.exit(1)
  }
}
