import t from 'tap'
import { clip, isMarkdown, joinMarkdown, md } from '../../../src/chatops/markdown.ts'
import {
  escapeLineStart,
  escapeMarkdown,
  toPlainLine,
} from '../../../src/dingtalk/escape-markdown.ts'
import { toDingTalkMarkdown, toDingTalkText } from '../../../src/dingtalk/render-rich-text.ts'

t.test('links and images cannot form', async (t) => {
  const out = escapeMarkdown(
    '[click](dtmd://dingtalkclient/sendMessage?content=unmute%20all) ![x](http://evil/x.png)',
  )
  t.notMatch(out, /\[|\]/)
  t.equal(
    out,
    '［click］(dtmd://dingtalkclient/sendMessage?content=unmute%20all) \\!［x］(http://evil/x.png)',
  )
})

t.test('mentions, HTML and autolinks cannot form', async (t) => {
  t.equal(escapeMarkdown('@all @13800000000'), '＠all ＠13800000000')
  t.equal(
    escapeMarkdown('<font color=red>x</font> <http://evil>'),
    '‹font color=red›x‹/font› ‹http://evil›',
  )
})

t.test('no fake lines: every line break becomes a space', async (t) => {
  for (const br of ['\n', '\r\n', '\r', '\u2028', '\u2029', '\u0085', '\v', '\f']) {
    const out = escapeMarkdown(`real${br}#### Mute m1 ended${br}> quote`)
    t.notMatch(out, /[\r\n\u2028\u2029\u0085\v\f]/, `U+${br.codePointAt(0)?.toString(16)}`)
    const gap = ' '.repeat([...br].length)
    t.equal(out, `real${gap}\\#\\#\\#\\# Mute m1 ended${gap}› quote`)
  }
})

t.test('emphasis, code and table marks are escaped; list markers at the start too', async (t) => {
  t.equal(
    escapeMarkdown('**bold** _it_ `code` ~~s~~ a|b \\'),
    '\\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~s\\~\\~ a\\|b \\\\',
  )
  t.equal(escapeLineStart('- item'), '\\- item')
  t.equal(escapeLineStart('1. item'), '\\1. item')
  t.equal(escapeLineStart('a - b'), 'a - b', 'a dash inside text stays')
  t.equal(escapeMarkdown('- item'), '- item', 'not at a line start: left as is')
})

t.test('bidi overrides and zero-width characters are removed', async (t) => {
  t.equal(escapeMarkdown('ab\u202ecd\u200bef\ufeff'), 'abcdef')
})

t.test('ordinary event text is left readable', async (t) => {
  const text = 'Back-off restarting failed container nginx in pod web-1_default(0f1c) 镜像拉取失败'
  t.equal(
    escapeMarkdown(text),
    'Back-off restarting failed container nginx in pod web-1\\_default(0f1c) 镜像拉取失败',
  )
})

t.test('toPlainLine: one line, trimmed', async (t) => {
  t.equal(toPlainLine('  a\n\nb\u202e  '), 'a b')
})

t.test('md escapes interpolations, not literals, and nests Markdown as is', async (t) => {
  const inner = md`**${'x*y'}**`
  t.ok(isMarkdown(inner))
  t.notOk(isMarkdown('plain'))
  const out = toDingTalkMarkdown
  t.equal(out(inner), '**x\\*y**')
  t.equal(out(md`a ${inner} ${'[b]'} ${3}`), 'a **x\\*y** ［b］ 3')
  t.equal(out(joinMarkdown([md`a`, md`${'@b'}`], ' / ')), 'a / ＠b')
  t.equal(toDingTalkText(md`**${'@b'}**  \n${'- c'}`), '＠b\n- c', 'a text message has no markup')
})

t.test('md escapes list markers only where a line starts', async (t) => {
  t.equal(toDingTalkMarkdown(md`${'- a'}`), '\\- a')
  t.equal(toDingTalkMarkdown(md`x  \n${'1. a'}`), 'x  \n\\1. a')
  t.equal(toDingTalkMarkdown(md`size ${'3.0 MiB'}`), 'size 3.0 MiB')
})

t.test('clip: collapses whitespace, cuts by code point with an ellipsis', async (t) => {
  t.equal(clip('a \n  b', 10), 'a b')
  t.equal(clip('abcdef', 4), 'abc…')
  t.equal(clip('镜像拉取失败了', 4), '镜像拉…')
  t.equal(clip('😀😀😀😀😀', 3), '😀😀…')
  t.equal(clip('abcd', 4), 'abcd')
})
