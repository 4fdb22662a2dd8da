import t from 'tap'
import {
  escapeMarkdown,
  escapeMarkdownChar,
  escapeText,
  fitEscaped,
  jsonBytes,
} from '../../../src/dingtalk/escape-markdown.ts'

t.test('links and images cannot be injected', async (t) => {
  const out = escapeMarkdown('click [x](http://evil) ![img](http://evil/p.png) <http://evil>')
  t.notMatch(out, /[[\]<>]/, 'no bracket is left to form a link')
  t.equal(out, 'click ［x］(http://evil) \\!［img］(http://evil/p.png) ‹http://evil›')
})

t.test('mentions cannot be written: @ becomes the full-width ＠', async (t) => {
  t.equal(escapeMarkdown('@all please'), '＠all please')
  t.equal(escapeText('ping @13800000000'), 'ping ＠13800000000')
  t.notMatch(escapeMarkdown('a@b @all'), /@/)
})

t.test('no fake lines or headings: line breaks become spaces, # is escaped', async (t) => {
  const out = escapeMarkdown('ok\n# fake\r\n> quote\u2028- item')
  t.notMatch(out, /[\r\n\u2028]/)
  t.equal(out, 'ok \\# fake  › quote - item')
  t.equal(escapeText('a\nb'), 'a b')
})

t.test('emphasis, code and backslashes are inert; invisible controls are dropped', async (t) => {
  t.equal(
    escapeMarkdown('**b** _i_ `c` a\\b ~~s~~ |t|'),
    '\\*\\*b\\*\\* \\_i\\_ \\`c\\` a\\\\b \\~\\~s\\~\\~ \\|t\\|',
  )
  t.equal(escapeMarkdown('a\u0000b\u202ec\u0007'), 'abc')
  t.equal(escapeMarkdown('日本語 ✓ api-7d9f.ns'), '日本語 ✓ api-7d9f.ns', 'ordinary text unchanged')
})

t.test('fitEscaped cuts between characters, never inside one or an escape', async (t) => {
  t.equal(fitEscaped('short', 100, escapeMarkdownChar), 'short')
  const cjk = '事件'.repeat(1000)
  const cut = fitEscaped(cjk, 100, escapeMarkdownChar)
  t.ok(jsonBytes(cut) <= 100)
  t.ok(cut.endsWith('…'))
  t.notOk(cut.includes('\ufffd'))
  t.match(cut, /^(事件)*事?…$/)
  const escapes = fitEscaped('*'.repeat(100), 21, escapeMarkdownChar)
  t.ok(jsonBytes(escapes) <= 21)
  t.match(escapes, /^(\\\*)+…$/, 'no dangling backslash')
  const emoji = fitEscaped('😀'.repeat(50), 30, escapeMarkdownChar)
  t.match(emoji, /^(😀)+…$/u, 'no half of a surrogate pair')
  t.ok(jsonBytes(emoji) <= 30)
  t.equal(fitEscaped('abc', 1, escapeMarkdownChar), '', 'no room even for the ellipsis')
})
