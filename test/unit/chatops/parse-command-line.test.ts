import t from 'tap'
import { parseCommandLine } from '../../../src/chatops/parse-command-line.ts'
import { UserError } from '../../../src/chatops/user-error.ts'

const args = (text: string) => parseCommandLine(text).args

t.test('command word and key=value arguments', async (t) => {
  t.same(parseCommandLine(' events ns=prod limit=5'), {
    name: 'events',
    args: [
      { key: 'ns', value: 'prod' },
      { key: 'limit', value: '5' },
    ],
    words: [],
  })
  t.same(parseCommandLine('unmute m3'), { name: 'unmute', args: [], words: ['m3'] })
  t.same(parseCommandLine(''), { name: '', args: [], words: [] })
  t.same(parseCommandLine('   '), { name: '', args: [], words: [] })
})

t.test('quoted values keep their spaces; smart quotes count as quotes', async (t) => {
  t.same(args('mute reason="Back Off" for=2h'), [
    { key: 'reason', value: 'Back Off' },
    { key: 'for', value: '2h' },
  ])
  t.same(args("mute reason='Back Off'"), [{ key: 'reason', value: 'Back Off' }])
  t.same(args('mute reason=“Back Off”'), [{ key: 'reason', value: 'Back Off' }])
  t.same(
    args('mute reason="Back Off'),
    [{ key: 'reason', value: 'Back Off' }],
    'unclosed quote runs to the end',
  )
  t.same(args('events reason=""'), [{ key: 'reason', value: '' }])
})

t.test('keys and the command word ignore case', async (t) => {
  const line = parseCommandLine('EVENTS NS=prod Namespace=x')
  t.equal(line.name, 'events')
  t.same(line.args, [
    { key: 'ns', value: 'prod' },
    { key: 'namespace', value: 'x' },
  ])
})

t.test('what phones and DingTalk add is tolerated', async (t) => {
  t.same(
    parseCommandLine('@kubeding @Bob events ns=prod'),
    parseCommandLine('events ns=prod'),
    'leading mentions',
  )
  t.same(parseCommandLine('＠kubeding events'), parseCommandLine('events'), 'full-width @')
  t.same(
    parseCommandLine('events\u3000ns＝prod\u3000limit＝５'),
    parseCommandLine('events ns=prod limit=5'),
    'full-width space, ＝ and digits',
  )
  t.same(parseCommandLine('ｅｖｅｎｔｓ'), parseCommandLine('events'), 'full-width letters')
  t.same(parseCommandLine('events ns=prod.'), parseCommandLine('events ns=prod'), 'sentence dot')
  t.same(
    parseCommandLine('events ns=prod。'),
    parseCommandLine('events ns=prod'),
    'Chinese full stop',
  )
  t.same(
    parseCommandLine('events: ns=prod, limit=5'),
    parseCommandLine('events ns=prod limit=5'),
    'colon and comma',
  )
  t.same(
    parseCommandLine('events ns=prod，limit=5；'),
    parseCommandLine('events ns=prod limit=5'),
    'full-width comma and semicolon',
  )
  t.same(
    parseCommandLine('events ns = prod'),
    parseCommandLine('events ns=prod'),
    'spaces around =',
  )
  t.same(
    parseCommandLine('/events --ns=prod'),
    parseCommandLine('events ns=prod'),
    'slash and dashes',
  )
  t.same(parseCommandLine('help?'), parseCommandLine('help'), 'question mark')
  t.same(
    parseCommandLine('events\u200b ns=\u200bprod'),
    parseCommandLine('events ns=prod'),
    'zero-width space',
  )
  t.same(
    parseCommandLine('\u00a0events\u00a0ns=prod'),
    parseCommandLine('events ns=prod'),
    'no-break space',
  )
})

t.test('Chinese command words pass through for the registry', async (t) => {
  t.equal(parseCommandLine('事件 ns=prod').name, '事件')
  t.equal(parseCommandLine('取消静默 m3').name, '取消静默')
})

t.test('an empty value before the next key stays empty instead of eating the key', async (t) => {
  t.same(args('mute ns= for=1h'), [
    { key: 'ns', value: '' },
    { key: 'for', value: '1h' },
  ])
  t.same(args('mute ns='), [{ key: 'ns', value: '' }])
})

t.test('an = with no key, or arguments before a command word, are bad syntax', async (t) => {
  for (const text of ['events =prod', 'ns=prod events', '= events', 'events ns=prod =x']) {
    t.throws(() => parseCommandLine(text), UserError, text)
    try {
      parseCommandLine(text)
    } catch (err) {
      t.equal((err as UserError).code, 'bad_syntax', text)
    }
  }
})

t.test('newlines in the text are only separators', async (t) => {
  t.same(parseCommandLine('events\nns=prod\r\nlimit=2'), parseCommandLine('events ns=prod limit=2'))
})

t.test('only the first = of a word splits key from value', async (t) => {
  t.same(args('events reason=a=b'), [{ key: 'reason', value: 'a=b' }])
  t.same(args('events name=[x](dtmd://x?content=unmute)'), [
    { key: 'name', value: '[x](dtmd://x?content=unmute)' },
  ])
})
