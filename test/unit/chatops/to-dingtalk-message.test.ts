import t from 'tap'
import { md } from '../../../src/chatops/markdown.ts'
import { MAX_TEXT_BYTES, toDingTalkMessage } from '../../../src/chatops/to-dingtalk-message.ts'

t.test('a markdown message: plain one-line title, heading, one paragraph per line', async (t) => {
  const message = toDingTalkMessage({ title: 'Muted\nm1 @all', lines: [md`a`, md`**b**`] })
  t.same(message, {
    msgtype: 'markdown',
    markdown: { title: 'Muted m1 @all', text: '#### Muted m1 ＠all\n\na\n\n**b**' },
  })
})

t.test('always under the size limit: lines that do not fit are left out and counted', async (t) => {
  const line = md`${'镜像拉取失败'.repeat(100)}`
  const lines = Array.from({ length: 50 }, () => line)
  const message = toDingTalkMessage({ title: 'big', lines })
  const bytes = Buffer.byteLength(JSON.stringify(message), 'utf8')
  t.ok(bytes < 20_000, `${bytes} bytes`)
  t.ok(Buffer.byteLength(message.markdown.text) <= MAX_TEXT_BYTES)
  const shown = message.markdown.text.split('\n\n').length - 2
  t.match(
    message.markdown.text,
    new RegExp(`… ${50 - shown} more lines left out: narrow the query$`),
  )
})

t.test('a reply that fits is not cut', async (t) => {
  const lines = Array.from({ length: 50 }, (_, i) => md`line ${i}`)
  t.notMatch(toDingTalkMessage({ title: 't', lines }).markdown.text, /left out/)
})
