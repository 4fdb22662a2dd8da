/**
 * The Dockerfile, checked without Docker: every COPY source exists (in the repo, or in an earlier
 * stage that produced it) and is not excluded by .dockerignore; the build stage bundles the
 * sources it copied (scripts/build.ts), the runtime stage copies the bundle and runs it, and the
 * bundle loads nothing but Node's own modules and its own chunks; the image runs as a numeric
 * non-root user.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, posix, relative } from 'node:path'
import t from 'tap'
import { buildBundle, COMPILE_CACHE_DIR, ENTRY_FILE, startCommand } from '../../../scripts/build.ts'
import { ConfigSchema } from '../../../src/config/schema.ts'

const root = join(import.meta.dirname, '../../..')
// This file builds the whole bundle (esbuild, then the compile cache): ~15 s alone, twice that
// beside three other test files on 2 cores, past tap's 30 s for a file.
t.setTimeout(120_000)
const read = (path: string) => readFileSync(join(root, path), 'utf8')

type Instruction = { op: string; args: string }
type Stage = { image: string; name: string; instructions: Instruction[] }
type Copy = { from?: string; sources: string[]; dest: string }

/** Instructions by stage, with line continuations joined and comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = []
  const lines = text.replace(/\\\n/g, ' ').split('\n')
  for (const line of lines.map((l) => l.trim())) {
    if (line === '' || line.startsWith('#')) continue
    const [, op = '', args = ''] = /^(\S+)\s+(.*)$/.exec(line) ?? []
    if (op.toUpperCase() === 'FROM') {
      const [image = '', , name = ''] = args.split(/\s+/)
      stages.push({ image, name, instructions: [] })
    } else {
      stages.at(-1)?.instructions.push({ op: op.toUpperCase(), args })
    }
  }
  return stages
}

function parseCopy(args: string): Copy {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/)
  const from = words.find((w) => w.startsWith('--from='))?.slice('--from='.length)
  const paths = words.filter((w) => !w.startsWith('--'))
  return { ...(from ? { from } : {}), sources: paths.slice(0, -1), dest: paths.at(-1) ?? '' }
}

function workdirOf(stage: Stage): string {
  return stage.instructions.findLast((i) => i.op === 'WORKDIR')?.args ?? '/'
}

/** Where each repo path a stage copies from the build context lands in the image. */
function imagePaths(stage: Stage): (repoPath: string) => string | undefined {
  const copies = stage.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => parseCopy(i.args))
    .filter((c) => !c.from)
  const workdir = workdirOf(stage)
  return (repoPath) => {
    for (const { sources, dest } of copies) {
      const target = posix.resolve(workdir, dest)
      for (const source of sources) {
        if (repoPath === source) return dest.endsWith('/') ? posix.join(target, source) : target
        if (repoPath.startsWith(`${source}/`))
          return posix.join(target, repoPath.slice(source.length))
      }
    }
    return undefined
  }
}

const IMPORT = /(?:^|\n)[ \t]*(?:import|export)\s+(type\s+)?[^'"]*?from\s*['"]([^'"]+)['"]/g
const SIDE_EFFECT_IMPORT = /(?:^|\n)[ \t]*import\s*['"]([^'"]+)['"]/g
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g

/** The specifiers a module loads at run time (`import type` is erased, so it is left out). */
function runtimeImports(code: string): string[] {
  return [
    ...[...code.matchAll(IMPORT)].filter((m) => !m[1]).map((m) => m[2] as string),
    ...[...code.matchAll(SIDE_EFFECT_IMPORT)].map((m) => m[1] as string),
    ...[...code.matchAll(DYNAMIC_IMPORT)].map((m) => m[1] as string),
  ]
}

/** The package a bare specifier names: `yaml`, `@kubernetes/client-node`, `pino/file` → `pino`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/')
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/')
}

/** Repo-relative paths of every module reachable from `entry`, and the packages they import. */
function importGraph(entry: string): { files: string[]; packages: string[]; missing: string[] } {
  const files = new Set<string>()
  const packages = new Set<string>()
  const missing: string[] = []
  const queue = [entry]
  for (let file = queue.pop(); file !== undefined; file = queue.pop()) {
    if (files.has(file)) continue
    files.add(file)
    for (const specifier of runtimeImports(read(file))) {
      if (specifier.startsWith('.')) {
        const target = relative(root, join(root, dirname(file), specifier))
        if (existsSync(join(root, target))) queue.push(target)
        else missing.push(`${target} (imported by ${file})`)
      } else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) {
        packages.add(packageName(specifier))
      }
    }
  }
  return { files: [...files], packages: [...packages], missing }
}

const stages = parseDockerfile(read('Dockerfile'))
const runtime = stages.at(-1) as Stage
const ignored = read('.dockerignore')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'))

const build = stages.find((s) => s.name === 'build')

t.test('multi-stage on Node 24 slim: a build stage, and a runtime stage with no npm', async (t) => {
  t.ok(stages.length >= 2, 'more than one stage')
  for (const stage of stages) t.equal(stage.image, 'node:24-slim', `${stage.name} is node:24-slim`)
  const installs = (build?.instructions ?? []).filter((i) => /\bnpm (ci|install|i)\b/.test(i.args))
  t.equal(installs.length, 1, 'the build stage installs the dependencies once')
  t.match(installs[0]?.args, /^npm ci\b/, 'from the lockfile')
  t.notOk(
    runtime.instructions.some((i) => /\bnpm\b/.test(i.args)),
    'the runtime stage installs nothing: the bundle holds its dependencies',
  )
  t.notOk(
    runtime.instructions.some((i) => i.op === 'COPY' && i.args.includes('node_modules')),
    'and copies no node_modules',
  )
  for (const name of ['node_modules', 'dist', '.git'])
    t.ok(ignored.includes(name), `the host's ${name} stays out`)
})

t.test('every COPY source exists and is in the build context', async (t) => {
  stages.forEach((stage, index) => {
    for (const copy of stage.instructions
      .filter((i) => i.op === 'COPY')
      .map((i) => parseCopy(i.args))) {
      if (copy.from) {
        const producer = stages.slice(0, index).find((s) => s.name === copy.from)
        t.ok(producer, `stage ${copy.from} comes earlier`)
        if (!producer) continue
        const workdir = workdirOf(producer)
        for (const source of copy.sources) {
          t.ok(source.startsWith(`${workdir}/`), `${source} is in ${copy.from}'s WORKDIR`)
          const name = source.slice(workdir.length + 1)
          const made =
            (name === 'dist' &&
              producer.instructions.some((i) => i.args === 'node scripts/build.ts')) ||
            imagePaths(producer)(name) !== undefined
          t.ok(made, `${copy.from} produces ${name}`)
        }
        continue
      }
      for (const source of copy.sources) {
        t.ok(existsSync(join(root, source)), `${source} exists in the repo`)
        const first = source.split('/')[0] ?? ''
        t.notOk(
          ignored.includes(first) || ignored.includes(source),
          `.dockerignore keeps ${source}`,
        )
      }
    }
  })
})

t.test('the build stage bundles what it copied; the command runs that bundle', async (t) => {
  const inBuild = build ? imagePaths(build) : () => undefined
  t.ok(
    build?.instructions.some((i) => i.op === 'RUN' && i.args === 'node scripts/build.ts'),
    'the build stage runs the build',
  )
  const graph = importGraph('scripts/build.ts')
  t.same(graph.missing, [], 'every relative import of the build exists')
  for (const input of ['package.json', 'package-lock.json', ...graph.files, 'src/main.ts'])
    t.ok(inBuild(input), `${input} is copied into the build stage`)
  t.ok(inBuild('commands/index.ts'), 'the chat commands too')

  const cmd = runtime.instructions.findLast((i) => i.op === 'CMD')
  const argv = JSON.parse(cmd?.args ?? 'null') as string[] | null
  t.ok(Array.isArray(argv), 'CMD is in exec form, so node gets SIGTERM itself')
  t.equal(argv?.[0], 'node', "the base image's own node")
  const flags = argv?.slice(1, -1) ?? []
  t.ok(
    flags.every((f) => f.startsWith('--')),
    'only V8/Node flags before the script',
  )
  // The malloc setting the image's ENV gives node: npm start and the shebang give it too.
  const malloc = runtime.instructions
    .filter((i) => i.op === 'ENV')
    .map((i) => /\bMALLOC_MMAP_THRESHOLD_=(\d+)/.exec(i.args)?.[0])
    .find((v) => v !== undefined)
  t.ok(malloc, 'the image sets MALLOC_MMAP_THRESHOLD_')
  const { scripts } = JSON.parse(read('package.json')) as { scripts: Record<string, string> }
  t.equal(
    scripts.start,
    [malloc, 'node', ...flags, 'bin/kubeding.js'].join(' '),
    'npm start runs with the same flags and malloc setting as the image (bench/footprint.ts measures both)',
  )
  t.equal(
    read('bin/kubeding.js').split('\n')[0],
    ['#!/usr/bin/env -S', malloc, 'node', ...flags].join(' '),
    'and so does npx kubeding, through the shebang',
  )
  // Node's built-in modules come with V8's compiled code, which V8 accepts only under the flags it
  // was made with: the flags that change compiled code kubeding sets itself (src/memory-flags.ts).
  const builtins = spawnSync(process.execPath, [...flags, '-e', "require('node:https')"], {
    encoding: 'utf8',
    env: { ...process.env, NODE_DEBUG_NATIVE: 'CODE_CACHE' },
  }).stderr
  t.match(
    builtins,
    /Code cache of https \S+ is accepted/,
    "under these flags Node's built-in modules load with their compiled code",
  )
  t.notMatch(builtins, /is rejected/, 'none of them is compiled again')
  t.equal(argv?.at(-1), `dist/${ENTRY_FILE}`, 'the script is the bundle')
  const copy = runtime.instructions
    .filter((i) => i.op === 'COPY')
    .map((i) => parseCopy(i.args))
    .find((c) => c.from === 'build')
  t.same(
    copy?.sources,
    [`${workdirOf(build as Stage)}/dist`],
    'the runtime copies dist/ from build',
  )
  t.equal(
    posix.resolve(workdirOf(runtime), copy?.dest ?? ''),
    posix.resolve(workdirOf(runtime), 'dist'),
    'to where CMD runs it',
  )
  t.equal(
    imagePaths(runtime)('package.json'),
    posix.resolve(workdirOf(runtime), 'package.json'),
    'package.json (type: module, the version) beside it',
  )
})

// One build for the tests of what it makes, in dist/ as in the build stage.
const built = mkdtempSync(join(tmpdir(), 'kubeding-bundle-'))
t.teardown(() => rmSync(built, { recursive: true, force: true }))
const bundle = buildBundle(join(built, 'dist'))

t.test('the bundle loads only Node built-ins and its own chunks', async (t) => {
  const metafile = await bundle
  const outputs = Object.keys(metafile.outputs)
  t.ok(
    outputs.some((o) => o.endsWith(`/${ENTRY_FILE}`)),
    `${ENTRY_FILE} is built`,
  )
  const loaded = Object.entries(metafile.outputs).flatMap(([file, o]) =>
    o.imports.map((i) => ({ file, ...i })),
  )
  // ws (the Stream SDK's WebSocket) tries these native add-ons in a try/catch and works without.
  const optional = new Set(['bufferutil', 'utf-8-validate'])
  const foreign = loaded.filter(
    (i) =>
      i.external &&
      !i.path.startsWith('node:') &&
      !builtinModules.includes(i.path) &&
      !optional.has(i.path),
  )
  t.same(foreign, [], 'no package is left for node_modules to provide')
  t.same(
    loaded.filter((i) => i.external && i.kind !== 'require-call'),
    [],
    "built-ins are required, never imported: an import builds the module's ES facade, which reads every export (node:http's loads Node's undici)",
  )
  const chunks = loaded.filter((i) => !i.external)
  t.ok(chunks.length > 0, 'the bundle is split into chunks')
  t.same(
    chunks.filter((i) => !outputs.includes(i.path)),
    [],
    'every chunk it imports is built',
  )
  t.ok(
    chunks.some((i) => i.kind === 'dynamic-import'),
    'some chunks are loaded only when their code runs',
  )
  const inputs = Object.values(metafile.outputs).flatMap((o) => Object.keys(o.inputs))
  t.same(
    inputs.filter((i) =>
      /node_modules\/(axios\/|mime-db\/|ajv\/|@fastify\/ajv-compiler|.*-stringify-compiler|fast-json-stringify\/index|undici\/|@opentelemetry\/)/.test(
        i,
      ),
    ),
    [],
    "fastify's schema compilers, axios, undici and OpenTelemetry are left out (no route declares a JSON schema; kubeding gives its own HTTP clients; its metrics record no exemplars)",
  )
})

t.test("the bundle carries V8's compiled code, used where a copy of it runs", async (t) => {
  await bundle
  const copy = mkdtempSync(join(tmpdir(), 'kubeding-bundle-copy-'))
  t.teardown(() => rmSync(copy, { recursive: true, force: true }))
  t.ok(existsSync(join(built, 'dist', COMPILE_CACHE_DIR)), 'the build makes the cache')
  // As the image does: dist/ copied elsewhere, package.json beside it.
  cpSync(built, copy, { recursive: true })
  writeFileSync(join(copy, 'package.json'), JSON.stringify({ type: 'module', version: '0.0.0' }))
  writeFileSync(join(copy, 'kubeding.yaml'), 'cluster: bench\n')
  const run = (flags: string[]) =>
    spawnSync(
      process.execPath,
      [...flags, `dist/${ENTRY_FILE}`, '--check-config', '--config', 'kubeding.yaml'],
      { cwd: copy, encoding: 'utf8', env: { ...process.env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' } },
    ).stderr
  const withStartFlags = run(startCommand().flags)
  t.match(
    withStartFlags,
    /V8 code cache for ESM \S+\/chunks\/load-config-\w+\.js was accepted/,
    'the config loader, loaded after the command line is read, comes from the cache',
  )
  t.notMatch(withStartFlags, /rejected/, 'nothing in it is rejected')
  t.notMatch(
    run(['--optimize-for-size']),
    /load-config-\w+\.js was accepted/,
    'under flags that change compiled code the cache is not used (it is made under those of npm start and the image)',
  )
})

t.test('the image runs as a numeric non-root user', async (t) => {
  const user = runtime.instructions.findLast((i) => i.op === 'USER')?.args ?? ''
  t.match(user, /^[1-9][0-9]*(:[0-9]+)?$/, 'numeric, so runAsNonRoot can check it')
  const userAt = runtime.instructions.findLastIndex((i) => i.op === 'USER')
  const cmdAt = runtime.instructions.findLastIndex((i) => i.op === 'CMD')
  t.ok(userAt >= 0 && userAt < cmdAt, 'USER is set before the command')
})

t.test(
  'a config without state.dir keeps its store on the volume, writable by the user',
  async (t) => {
    const volume = '/var/lib/kubeding'
    const user = runtime.instructions.findLast((i) => i.op === 'USER')?.args ?? ''
    const runs = runtime.instructions.filter((i) => i.op === 'RUN').map((i) => i.args)
    const defaultDir = posix.resolve(workdirOf(runtime), ConfigSchema.parse({}).state.dir)
    t.ok(
      runs.some((r) => r.includes(`chown ${user} ${volume}`)),
      `${volume} belongs to ${user}`,
    )
    t.ok(
      runs.some((r) => r.includes(`ln -s ${volume} ${defaultDir}`)),
      `the default state.dir (${defaultDir}) is the volume`,
    )
  },
)

t.test('the parsers see what a broken Dockerfile would do wrong', async (t) => {
  const broken = parseDockerfile(
    'FROM node:24-slim AS a\nWORKDIR /w\nCOPY --from=b /w/x ./\nCOPY \\\n  missing ./\nFROM b\n',
  )
  t.equal(broken.length, 2)
  t.same(
    broken[0]?.instructions.map((i) => i.op),
    ['WORKDIR', 'COPY', 'COPY'],
  )
  t.same(parseCopy('--from=b /w/x ./'), { from: 'b', sources: ['/w/x'], dest: './' })
  t.same(parseCopy('missing ./'), { sources: ['missing'], dest: './' })
  t.notOk(existsSync(join(root, 'missing')))
  t.same(
    runtimeImports(
      "import type { A } from './a.ts'\nimport b from 'pino/file'\nimport './c.ts'\nawait import('d')",
    ),
    ['pino/file', './c.ts', 'd'],
  )
  t.equal(packageName('@kubernetes/client-node/dist/x'), '@kubernetes/client-node')
})
