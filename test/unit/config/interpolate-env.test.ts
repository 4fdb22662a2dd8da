// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the tests write config text holding ${VAR} references
import t from 'tap'
import { interpolateEnv } from '../../../src/config/interpolate-env.ts'

const env = { TOKEN: 'abc123', EMPTY: '', PORT: '9090' }

t.test('a set variable is replaced by its value', async (t) => {
  t.same(interpolateEnv('${TOKEN}', env), { ok: true, text: 'abc123' })
})

t.test('an unset variable with no default becomes empty', async (t) => {
  t.same(interpolateEnv('${NOPE}', env), { ok: true, text: '' })
})

t.test('a default is used when the variable is unset or empty, as in the shell', async (t) => {
  t.same(interpolateEnv('${NOPE:-8080}', env), { ok: true, text: '8080' })
  t.same(interpolateEnv('${EMPTY:-fallback}', env), { ok: true, text: 'fallback' })
  t.same(interpolateEnv('${PORT:-8080}', env), { ok: true, text: '9090' })
  t.same(interpolateEnv('${NOPE:-}', env), { ok: true, text: '' })
  t.same(interpolateEnv('${NOPE:-a:b c}', env), { ok: true, text: 'a:b c' })
})

t.test('references inside a longer string are all replaced', async (t) => {
  t.same(
    interpolateEnv('https://oapi.dingtalk.com/robot/send?access_token=${TOKEN}&x=${PORT}', env),
    { ok: true, text: 'https://oapi.dingtalk.com/robot/send?access_token=abc123&x=9090' },
  )
})

t.test('$${ writes a literal ${ and a lone $ is kept', async (t) => {
  t.same(interpolateEnv('$${TOKEN} costs $5', env), { ok: true, text: '${TOKEN} costs $5' })
})

t.test('a value is not interpolated again', async (t) => {
  t.same(interpolateEnv('${A}', { A: '${TOKEN}' }), { ok: true, text: '${TOKEN}' })
})

t.test('malformed references are problems that do not echo the text', async (t) => {
  for (const text of ['${}', '${1ABC}', '${A B}', '${TOKEN:=x}', 'key ${TOKEN']) {
    const result = interpolateEnv(text, env)
    t.equal(result.ok, false, text)
    if (!result.ok) {
      t.match(result.problem, /\$\{/, text)
      t.notMatch(result.problem, /TOKEN|1ABC|A B/, text)
    }
  }
})
