import t from 'tap'
import { z } from 'zod'
import {
  countArg,
  durationArg,
  kindArg,
  levelArg,
  nameArg,
  namespaceArg,
  reasonArg,
} from '../../../src/chatops/arg-values.ts'
import { parseCommandLine } from '../../../src/chatops/parse-command-line.ts'
import { readArgs } from '../../../src/chatops/read-args.ts'
import { UserError } from '../../../src/chatops/user-error.ts'

const schema = z.strictObject({
  ns: namespaceArg.optional(),
  kind: kindArg.optional(),
  name: nameArg.optional(),
  reason: reasonArg.optional(),
  level: levelArg.default('Warning'),
  for: durationArg(60_000, 7 * 86_400_000).default(3_600_000),
  limit: countArg(50).default(10),
  id: z.string().optional(),
})

const read = (text: string, positional: string[] = []) =>
  readArgs(schema, positional, parseCommandLine(`cmd ${text}`))

/** The UserError `fn` throws; anything else (or nothing) fails the test. */
function refusal(fn: () => unknown): UserError {
  try {
    fn()
  } catch (err) {
    if (err instanceof UserError) return err
    throw err
  }
  throw new Error('expected a UserError, nothing was thrown')
}

t.test('defaults apply and aliases map to canonical keys', async (t) => {
  t.same(read(''), { level: 'Warning', for: 3_600_000, limit: 10 })
  t.same(read('namespace=prod'), {
    ns: 'prod',
    level: 'Warning',
    for: 3_600_000,
    limit: 10,
  })
  t.equal(read('命名空间=prod').ns, 'prod')
  t.same(read('原因=BackOff 时长=2h 条数=5 级别=all 类型=Pod 名称=web-*'), {
    reason: 'BackOff',
    for: 7_200_000,
    limit: 5,
    level: 'all',
    kind: 'Pod',
    name: 'web-*',
  })
  t.same(read('type=normal duration=90m'), { level: 'Normal', for: 5_400_000, limit: 10 })
})

t.test('values are normalised', async (t) => {
  t.equal(read('ns=Prod').ns, 'prod', 'namespaces are lower-case')
  t.equal(read('level=WARNING').level, 'Warning')
  t.equal(read('for=1H').for, 3_600_000)
  t.equal(read('reason="Back Off"').reason, 'Back Off')
})

t.test('bare words fill positional keys', async (t) => {
  t.equal(read('m3', ['id']).id, 'm3')
  t.equal(refusal(() => read('m3')).code, 'unexpected_argument')
  t.equal(refusal(() => read('m3 m4', ['id'])).code, 'unexpected_argument')
  t.equal(refusal(() => read('m3 id=m4', ['id'])).code, 'duplicate_key')
})

t.test('unknown, repeated and empty keys are refused with what was wrong', async (t) => {
  const unknown = refusal(() => read('colour=red'))
  t.equal(unknown.code, 'unknown_key')
  t.match(unknown.message, /Unknown key "colour".*ns=/)
  t.equal(refusal(() => read('ns=a namespace=b')).code, 'duplicate_key')
  const empty = refusal(() => read('ns='))
  t.equal(empty.code, 'bad_value')
  t.match(empty.message, /^ns: give it a value/)
  const none = refusal(() => readArgs(z.strictObject({}), [], parseCommandLine('help x=1')))
  t.match(none.message, /This command takes no arguments/)
})

t.test('bad values name the key and what would work', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['limit=100000', /^limit: must be a whole number from 1 to 50 \(got "100000"\)/],
    ['limit=0', /^limit: must be a whole number from 1 to 50/],
    ['limit=-3', /^limit: must be a whole number/],
    ['limit=2.5', /^limit: must be a whole number/],
    ['limit=ten', /^limit: must be a whole number/],
    ['for=99y', /^for: "99y" is not a duration \(write 30m, 2h or 7d\)/],
    ['for=30d', /^for: at most 7d/],
    ['for=10s', /^for: at least 1m/],
    ['level=loud', /^level: "loud" is not a level/],
    ['ns=Prod_1', /^ns: "Prod_1" is not a namespace name/],
    ['kind=Po-d', /^kind: "Po-d" is not a kind/],
    ['name="a b"', /^name: "a b" is not an object name/],
    [
      'name=[x](dtmd://dingtalkclient/sendMessage?content=unmute)',
      /^name: .* is not an object name/,
    ],
    ['reason="x\ny"', /^reason: .* is not a reason/],
  ]
  for (const [text, message] of cases) {
    const err = refusal(() => read(text))
    t.equal(err.code, 'bad_value', text)
    t.match(err.message, message, text)
  }
})

t.test('a long bad value is quoted short', async (t) => {
  const err = refusal(() => read(`limit=${'9'.repeat(5000)}`))
  t.ok(err.message.length < 120, err.message)
})

t.test('a required key that is missing says so', async (t) => {
  const err = refusal(() =>
    readArgs(z.strictObject({ id: z.string() }), ['id'], parseCommandLine('unmute')),
  )
  t.equal(err.code, 'missing_key')
  t.equal(err.message, 'id: is required')
})
