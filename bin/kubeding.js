#!/usr/bin/env node
// Plain JavaScript on purpose: it must run on any Node to tell an old one what to do, whereas
// kubeding itself is TypeScript that Node runs directly only from 22.19 (23.6 on the 23 line).

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
const supported = major >= 24 || (major === 23 && minor >= 6) || (major === 22 && minor >= 19)

if (!supported) {
  process.stderr.write(
    `kubeding needs Node.js 24 (22.19 or later works); this is Node.js ${process.versions.node}.\n` +
      'Run `npm ci` in the kubeding repository: it installs Node 24 into node_modules/.bin, which\n' +
      '`npx kubeding` and `npm start` use. Or install Node.js 24 LTS from https://nodejs.org.\n',
  )
  process.exit(1)
}

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
