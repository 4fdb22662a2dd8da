// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests name config text holding ${VAR} references
/**
 * The docs stay true to the code: every key of the config schema is in docs/configuration.md,
 * every example in examples/ passes `--check-config` (secrets masked), and the README sends
 * readers to both instead of a file outside the repository.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { ConfigSchema } from '../../src/config/schema.ts'
import { runCliCaptured } from '../helpers/run-cli.ts'

const root = join(import.meta.dirname, '../..')
const reference = readFileSync(join(root, 'docs/configuration.md'), 'utf8')
const readme = readFileSync(join(root, 'README.md'), 'utf8')
const examplesDir = join(root, 'examples')
const examples = readdirSync(examplesDir).filter((name) => name.endsWith('.yaml'))

/** What the walk needs of a zod 4 schema: its definition. */
type Def = {
  type: string
  shape?: Record<string, Schema>
  element?: Schema
  innerType?: Schema
  in?: Schema
  out?: Schema
}
type Schema = { _zod: { def: Def } }

/**
 * The dotted path of every leaf key (`archive.sls.ramRole`, `routes[].at.mobiles`), through the
 * wrappers zod puts around a key (optional, default, prefault, pipe: refinements and transforms).
 */
function leafKeys(schema: Schema, path = ''): string[] {
  const def = schema._zod.def
  if (def.type === 'object' && def.shape) {
    return Object.entries(def.shape).flatMap(([key, inner]) => {
      const keyPath = path ? `${path}.${key}` : key
      const below = leafKeys(inner, keyPath)
      return below.length > 0 ? below : [keyPath]
    })
  }
  if (def.type === 'array' && def.element) {
    const below = leafKeys(def.element, `${path}[]`)
    return below.length > 0 ? below : []
  }
  const wrapped = def.innerType ?? def.in
  if (wrapped) {
    const below = [...leafKeys(wrapped, path), ...(def.out ? leafKeys(def.out, path) : [])]
    return [...new Set(below)]
  }
  return []
}

t.test('every key of the schema is in docs/configuration.md', async (t) => {
  const keys = leafKeys(ConfigSchema as unknown as Schema)
  t.ok(keys.length >= 40, `${keys.length} keys, e.g. ${keys.slice(0, 3).join(', ')}`)
  for (const key of [
    'archive.sls.ramRole',
    'routes[].at.mobiles',
    'dingtalk.outgoing.stream.clientId',
  ]) {
    t.ok(keys.includes(key), `the walk finds ${key}`)
  }
  for (const key of keys) t.match(reference, `\`${key}\``, `${key} is documented`)
})

t.test(
  'the reference covers environment-only mode, kube-eventer flags, HTTP, chat, messages',
  async (t) => {
    for (const heading of [
      '## Environment-only mode',
      '## From kube-eventer: the sink flags',
      '## Log Service credentials',
      '## HTTP',
      '## Chat commands',
      '## What reaches DingTalk',
    ]) {
      t.match(reference, `\n${heading}\n`, heading)
    }
    for (const variable of [
      'DINGTALK_WEBHOOK',
      'DINGTALK_SECRET',
      'DINGTALK_OUTGOING_TOKEN',
      'DINGTALK_APP_SECRET',
      'KUBEDING_CLUSTER',
      'PORT',
    ]) {
      t.match(reference, `\`${variable}\``, `${variable} is documented`)
    }
    for (const example of examples) {
      t.match(reference, `(../examples/${example})`, `the reference links examples/${example}`)
    }
  },
)

/** A value for every `${VAR}` the example reads, distinct enough to find in the output. */
function envFor(text: string): Record<string, string> {
  const names = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1] as string)
  return Object.fromEntries(names.map((name) => [name, `v4lue-of-${name.toLowerCase()}`]))
}

for (const example of examples) {
  t.test(`examples/${example} passes --check-config`, async (t) => {
    const text = readFileSync(join(examplesDir, example), 'utf8')
    const env = envFor(text)
    const { result, stdout, stderr } = await runCliCaptured(
      ['--check-config', '--config', example],
      examplesDir,
      env,
    )
    t.equal(stderr, '', 'no problem printed')
    t.same(result, { kind: 'exit', code: 0 })
    const printed = parse(stdout) as { dingtalk: { robots: unknown[] } }
    t.ok(printed.dingtalk.robots.length > 0, 'it configures at least one robot')
    for (const [name, value] of Object.entries(env)) {
      if (/TOKEN|SECRET/.test(name)) t.notMatch(stdout, value, `${name} is masked`)
    }
  })
}

t.test(
  'the README links the reference and the examples, nothing outside the repository',
  async (t) => {
    t.match(readme, '(docs/configuration.md)')
    t.match(readme, '(examples/)')
    t.notMatch(readme, '../shared', 'no link to a file outside the repository')
    t.notMatch(readme, 'interface.md')
  },
)
