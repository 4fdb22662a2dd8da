// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write config text holding ${VAR} references
import t from 'tap'
import { parseConfigYaml } from '../../../src/config/parse-config-yaml.ts'

const env = { TOKEN: 'abc123', PORT: '9090', FLAG: 'false', KEY: 'cluster', HASH: 'a # b: c' }

t.test('values are interpolated, keys are not', async (t) => {
  const text =
    'cluster: ${KEY}\n${KEY}: x\nlist: [a, "${TOKEN}"]\nnested:\n  deep: pre-${TOKEN}-post\n'
  t.same(parseConfigYaml(text, 'f.yaml', env), {
    ok: true,
    value: {
      cluster: 'cluster',
      '${KEY}': 'x',
      list: ['a', 'abc123'],
      nested: { deep: 'pre-abc123-post' },
    },
  })
})

t.test(
  'an unquoted number or boolean after interpolation is typed; a quoted one stays text',
  async (t) => {
    const text = 'a: ${PORT}\nb: "${PORT}"\nc: ${FLAG}\nd: ${NOPE:-8080}\ne: ${NOPE}\nf: ${PORT}x\n'
    t.same(parseConfigYaml(text, 'f.yaml', env), {
      ok: true,
      value: { a: 9090, b: '9090', c: false, d: 8080, e: '', f: '9090x' },
    })
  },
)

t.test('a value holding YAML syntax stays one string', async (t) => {
  t.same(parseConfigYaml('secret: ${HASH}\n', 'f.yaml', env), {
    ok: true,
    value: { secret: 'a # b: c' },
  })
})

t.test('anchors and aliases see the interpolated value', async (t) => {
  t.same(parseConfigYaml('a: &t ${TOKEN}\nb: *t\n', 'f.yaml', env), {
    ok: true,
    value: { a: 'abc123', b: 'abc123' },
  })
})

t.test('an empty or comment-only document is an empty config', async (t) => {
  t.same(parseConfigYaml('', 'f.yaml', env), { ok: true, value: {} })
  t.same(parseConfigYaml('# nothing yet\n', 'f.yaml', env), { ok: true, value: {} })
})

t.test('a document that is not a mapping is a problem', async (t) => {
  for (const text of ['- a\n- b\n', 'just text\n', '42\n']) {
    const result = parseConfigYaml(text, 'f.yaml', env)
    t.equal(result.ok, false, text)
    if (!result.ok) {
      t.equal(result.problems.length, 1)
      t.equal(result.problems[0]?.path, 'f.yaml')
      t.match(result.problems[0]?.message, /must hold a YAML mapping/)
    }
  }
})

t.test('a syntax error names the file, line and column, without the source line', async (t) => {
  const text = 'cluster: a\ndingtalk:\n  robots:\n   - secret: "SEC-do-not-print\n'
  const result = parseConfigYaml(text, 'conf/k.yaml', env)
  t.equal(result.ok, false)
  if (!result.ok) {
    t.match(result.problems[0]?.path, /^conf\/k\.yaml:\d+:\d+$/)
    t.notMatch(JSON.stringify(result.problems), /SEC-do-not-print/)
  }
})

t.test('a syntax error reports the line where it is', async (t) => {
  const result = parseConfigYaml('a: 1\nb:\n  c: 1\n d: 2\n', 'k.yaml', env)
  t.equal(result.ok, false)
  if (!result.ok) t.equal(result.problems[0]?.path, 'k.yaml:4:1')
})

t.test('a duplicate key is an error', async (t) => {
  const result = parseConfigYaml('cluster: a\ncluster: b\n', 'k.yaml', env)
  t.equal(result.ok, false)
  if (!result.ok) t.match(result.problems[0], { path: 'k.yaml:2:1', message: /unique/ })
})

t.test('a malformed reference is a problem at its key', async (t) => {
  const result = parseConfigYaml('dingtalk:\n  robots:\n    - secret: ${oops\n', 'k.yaml', env)
  t.same(result.ok, false)
  if (!result.ok) t.equal(result.problems[0]?.path, 'dingtalk.robots.0.secret')
})

t.test('an unquoted reference inside [...] gets a hint to quote it', async (t) => {
  const result = parseConfigYaml('keywords: [${KW}]\n', 'k.yaml', { KW: 'alert' })
  t.equal(result.ok, false)
  if (!result.ok) t.match(result.problems[0]?.message, /quote a reference/)
  t.same(parseConfigYaml('keywords: ["${KW}"]\n', 'k.yaml', { KW: 'alert' }), {
    ok: true,
    value: { keywords: ['alert'] },
  })
})

t.test('a key with no value counts as not written, at any depth', async (t) => {
  const text =
    'server:\n  # port: 80\ncluster:\nstate:\n  dir: d\n  retention: ~\nlist: [a, null]\n'
  t.same(parseConfigYaml(text, 'k.yaml', env), {
    ok: true,
    value: { state: { dir: 'd' }, list: ['a', null] },
  })
})
