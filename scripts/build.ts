/**
 * `npm run build` (also run by `npm ci` through `prepare`): bundles src/main.ts and what it
 * imports into dist/, the JavaScript that `npx kubeding`, `npm start` and the image run. The
 * TypeScript sources stay the source; this only makes them cheap to load:
 * - one file instead of hundreds of modules, minified and tree-shaken: of
 *   @kubernetes/client-node only KubeConfig and what it needs is kept (its index alone pulls in
 *   every generated API and model: 86 MB of resident memory before kubeding does anything);
 * - code splitting, so a dynamic `import()` (Stream mode, Log Service, pino-pretty, the service
 *   itself behind `--help`) becomes a chunk that is read only when that code runs;
 * - Node's built-ins loaded with `require` (builtinsByRequire), and V8's compiled code of what
 *   starts the service in dist/compile-cache (makeCompileCache).
 * Issue 10's figures (bench/footprint.ts) are measured on this output.
 *
 * `node scripts/build.ts [OUTDIR]`: OUTDIR defaults to dist/ beside package.json.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, resolve, sep } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, type Metafile, type Plugin } from 'esbuild'

/** The repository (this file is in scripts/). */
export const ROOT = resolve(import.meta.dirname, '..')
/** The bundle's entry: what bin/kubeding.js and the image run. */
export const ENTRY_FILE = 'kubeding.js'
/** Beside the entry: V8's compiled code of what it loads at start (src/main.ts reads it). */
export const COMPILE_CACHE_DIR = 'compile-cache'

/** The environment and Node/V8 flags of `npm start` (package.json): `NAME=value... node FLAGS... bin/kubeding.js`. */
export function startCommand(): { env: Record<string, string>; flags: string[] } {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: { start: string }
  }
  const words = scripts.start.split(' ')
  const env: Record<string, string> = {}
  for (let word = words[0]; word?.includes('='); word = words[0]) {
    const [name = '', value = ''] = word.split('=')
    env[name] = value
    words.shift()
  }
  const [node, ...args] = words
  if (node !== 'node') throw new Error(`npm start runs ${node}, not node`)
  return { env, flags: args.filter((a) => a.startsWith('--')) }
}

const CLIENT_NODE = `${sep}node_modules${sep}@kubernetes${sep}client-node${sep}`

/**
 * A plugin that gives the package whose files contain `importedBy` a stand-in for the modules
 * matching `filter`, instead of the modules themselves: `lines(path)` is the stand-in's source,
 * which throws, saying why, if what it stands for is ever used. Other importers get the real ones.
 */
function standIn(
  name: string,
  filter: RegExp,
  importedBy: string,
  lines: (path: string) => string[],
): Plugin {
  return {
    name,
    setup(b) {
      b.onResolve({ filter }, (args) =>
        args.importer.includes(importedBy) ? { path: args.path, namespace: name } : undefined,
      )
      b.onLoad({ filter: /.*/, namespace: name }, (args) => ({
        loader: 'js',
        contents: lines(args.path).join('\n'),
      }))
    },
  }
}

/**
 * @kubernetes/client-node does not declare `sideEffects: false`, so a bundler must keep every
 * module its index re-exports. Its modules only declare classes and functions (the one
 * exception, polyfill.js, sets a global File for Node 18 and is kept), so they are marked free
 * of side effects here and whatever kubeding does not reach is dropped.
 */
export const trimClientNode: Plugin = {
  name: 'trim-client-node',
  setup(b) {
    // Relative imports inside the package are where its index fans out to every module.
    b.onResolve({ filter: /^\./ }, async (args) => {
      if (!args.importer.includes(CLIENT_NODE) || args.pluginData === 'resolved') return undefined
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'resolved',
      })
      if (resolved.errors.length > 0 || resolved.path.endsWith(`${sep}polyfill.js`)) return resolved
      return { ...resolved, sideEffects: false }
    })
  },
}

/**
 * undici is imported at the top of @kubernetes/client-node's config.js and the generated APIs'
 * fetch layer, for those APIs alone (`applySecurityAuthentication`, `createDispatcher`):
 * kubeding's requests go through `applyToHTTPSOptions` and node:https (src/kube/kube-request.ts),
 * so undici (700 kB of source) is left out, and a call that would need it says so instead.
 */
export const noUndici = standIn('no-undici', /^undici$/, CLIENT_NODE, () => [
  'const missing = () => {',
  "  throw new Error('undici is not in kubeding\\'s bundle: only the generated API clients of @kubernetes/client-node use it, and kubeding does not')",
  '}',
  'export class Agent { constructor() { missing() } }',
  'export class ProxyAgent { constructor() { missing() } }',
  'export const fetch = missing',
])

/**
 * dingtalk-robot-sender requires axios (with form-data, follow-redirects and the 134 kB mime-db)
 * at load, as the HTTP client it falls back to when given none; kubeding always gives it its own
 * (src/dingtalk/fetch-http-client.ts), so the bundle carries a stand-in that says so if that
 * fallback were ever taken, instead of ~220 kB of source kept in memory for nothing.
 */
export const noAxios = standIn(
  'no-axios',
  /^axios$/,
  `${sep}node_modules${sep}dingtalk-robot-sender${sep}`,
  () => [
    'module.exports = function axios() {',
    "  throw new Error('axios is not in kubeding\\'s bundle: dingtalk-robot-sender must be given kubeding\\'s own httpclient')",
    '}',
  ],
)

/**
 * fastify requires a JSON-schema validator compiler (ajv, with its formats and URI parser) and a
 * serializer compiler (fast-json-stringify) when an instance is created, for routes that declare
 * a `schema`. kubeding's routes declare none (bodies are checked with zod), so the bundle gets a
 * compiler that says so instead: ~250 kB of modules are neither carried nor evaluated at start.
 */
export const noSchemaCompilers = standIn(
  'no-schema-compilers',
  /^@fastify\/(ajv-compiler|fast-json-stringify-compiler)$/,
  `${sep}node_modules${sep}fastify${sep}`,
  (path) => [
    'module.exports = () => () => {',
    `  throw new Error('${path} is not in kubeding\\'s bundle: a route declares a JSON schema, and kubeding validates with zod instead')`,
    '}',
  ],
)

/**
 * prom-client requires @opentelemetry/api (51 modules) at load, for one use: reading the active
 * trace span when a counter records exemplars. kubeding's metrics record none, so the bundle
 * carries a stand-in that says so if they ever did, instead of evaluating the OpenTelemetry API
 * at every start.
 */
export const noOpenTelemetry = standIn(
  'no-opentelemetry',
  /^@opentelemetry\/api$/,
  `${sep}node_modules${sep}prom-client${sep}`,
  () => [
    'const missing = () => {',
    "  throw new Error('@opentelemetry/api is not in kubeding\\'s bundle: prom-client needs it only for exemplars, which kubeding\\'s metrics do not record')",
    '}',
    'module.exports = { trace: { getSpan: missing }, context: { active: missing } }',
  ],
)

/**
 * Node's built-in modules are loaded through `require` rather than `import`. An `import` of a
 * built-in builds its ES module facade, which reads every export, lazy ones included: for
 * node:http that loads Node's own copy of undici (for `http.WebSocket`), for node:fs its streams,
 * none of which kubeding uses at start. Alone, `import('node:http')` took 120 ms and
 * `require('node:http')` 23 ms (Node 24, 2 cores); importing what the service loads at start,
 * 285 -> 262 ms (median of 5). The module is the same object either way, read when used.
 */
const BUILTINS = new RegExp(`^(node:)?(${builtinModules.join('|')})$`)
export const builtinsByRequire: Plugin = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: BUILTINS }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? {
            path: args.path.startsWith('node:') ? args.path : `node:${args.path}`,
            namespace: 'builtin',
          }
        : undefined,
    )
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      loader: 'js',
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
    }))
  },
}

/** Bundles into `outdir` (emptied first); the metafile lists what each output file imports. */
export async function buildBundle(outdir = join(ROOT, 'dist')): Promise<Metafile> {
  rmSync(outdir, { recursive: true, force: true })
  const { metafile } = await build({
    absWorkingDir: ROOT,
    entryPoints: { kubeding: 'src/main.ts' },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node22.19',
    minify: true,
    // Names stay readable in stack traces; a source map ties them back to src/.
    keepNames: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    chunkNames: 'chunks/[name]-[hash]',
    // Some CommonJS dependencies call require(); an ES module bundle has none of its own.
    banner: {
      js: "import { createRequire as __kubedingRequire } from 'node:module'; const require = __kubedingRequire(import.meta.url);",
    },
    plugins: [
      trimClientNode,
      noUndici,
      noAxios,
      noSchemaCompilers,
      noOpenTelemetry,
      builtinsByRequire,
    ],
    logLevel: 'warning',
    metafile: true,
  })
  makeCompileCache(outdir, metafile)
  return metafile
}

/**
 * Fills dist/compile-cache with V8's compiled code of every module the entry may load once the
 * command line is read (the service, the config and Kubernetes client loaders, the store, pino),
 * so that the first start reads it too: importing them took ~285 ms without it and ~210 ms with
 * it (2 cores, Node 24, median of 5). Made by Node with the V8 flags of `npm start`, which the
 * image's CMD and bin/kubeding.js share: V8 ignores a cache made under other flags. Portable (its
 * keys are paths relative to the cache), so the image's copy of dist/ finds it wherever it lies.
 * Importing only defines: nothing runs until main.ts calls it.
 */
function makeCompileCache(outdir: string, metafile: Metafile): void {
  const entry = Object.entries(metafile.outputs).find(([, o]) => o.entryPoint === 'src/main.ts')
  if (!entry) throw new Error('the build has no output for src/main.ts')
  const loaded = entry[1].imports
    .filter((i) => i.kind === 'dynamic-import')
    .map((i) => pathToFileURL(resolve(ROOT, i.path)).href)
  const script = [
    "import { enableCompileCache, flushCompileCache } from 'node:module'",
    `enableCompileCache({ directory: ${JSON.stringify(join(outdir, COMPILE_CACHE_DIR))}, portable: true })`,
    `for (const url of ${JSON.stringify(loaded)}) await import(url)`,
    'flushCompileCache()',
  ].join('\n')
  const { status, stderr } = spawnSync(
    process.execPath,
    [...startCommand().flags, '--input-type=module', '--eval', script],
    { encoding: 'utf8' },
  )
  if (status !== 0) throw new Error(`making the compile cache failed: ${stderr}`)
}

if (import.meta.main) await buildBundle(process.argv[2] ? resolve(process.argv[2]) : undefined)
