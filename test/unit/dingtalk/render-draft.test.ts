/**
 * The one DingTalk renderer, on drafts of every shape: chat replies keep under the size budget
 * by leaving lines out and counting them, in the chat's language; titles stay one line.
 */
import t from 'tap'
import { md } from '../../../src/chatops/markdown.ts'
import { toReplyDraft } from '../../../src/chatops/to-reply-draft.ts'
import type { MarkdownMessage, TextMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { DINGTALK_MAX_BYTES, toWireBytes } from '../../../src/dingtalk/dingtalk-message.ts'
import { DEFAULT_MAX_BYTES, renderDraft } from '../../../src/dingtalk/render-draft.ts'
import { en } from '../../../src/i18n/en.ts'
import { zhCN } from '../../../src/i18n/zh-cn.ts'

const markdown = { msgType: 'markdown' as const, keywords: [] }

t.test('a reply: plain one-line title, heading, one paragraph per line', async (t) => {
  const message = renderDraft(
    toReplyDraft({ title: 'Muted\nm1 @all', lines: [md`a`, md`**b**`] }, en),
    markdown,
  )
  t.same(message, {
    msgtype: 'markdown',
    markdown: { title: 'Muted m1 ＠all', text: '#### Muted m1 ＠all\n\na\n\n**b**' },
  })
})

t.test('always under the size limit: lines that do not fit are left out and counted', async (t) => {
  const line = md`${'镜像拉取失败'.repeat(100)}`
  const lines = Array.from({ length: 50 }, () => line)
  for (const strings of [en, zhCN]) {
    const message = renderDraft(toReplyDraft({ title: 'big', lines }, strings), markdown)
    const bytes = toWireBytes(message)
    t.ok(bytes <= DEFAULT_MAX_BYTES && bytes < DINGTALK_MAX_BYTES, `${bytes} bytes`)
    t.ok(bytes > DEFAULT_MAX_BYTES - 2_000, 'and uses most of the room')
    const text = (message as MarkdownMessage).markdown.text
    const shown = text.split('\n\n').length - 2
    t.match(
      text,
      strings === en
        ? new RegExp(`… ${50 - shown} more lines left out: narrow the query$`)
        : new RegExp(`…… 另有 ${50 - shown} 行未显示：请缩小查询范围$`),
    )
  }
})

t.test('a reply that fits is not cut', async (t) => {
  const lines = Array.from({ length: 50 }, (_, i) => md`line ${i}`)
  const message = renderDraft(toReplyDraft({ title: 't', lines }, en), markdown)
  t.notMatch((message as MarkdownMessage).markdown.text, /left out/)
})

t.test(
  'a text message: no markup, no title line of its own, mentions and keywords kept',
  async (t) => {
    const message = renderDraft(
      {
        title: 'T',
        blocks: [
          { kind: 'heading', text: md`head ${'@x'}` },
          { kind: 'text', text: md`**bold** ${'[l](u)'}` },
          { kind: 'list', bullet: true, items: [md`a`, md`b`], overflow: (n) => md`${n} more` },
          { kind: 'links', links: [{ label: 'Mute', command: 'mute kind=Pod for=1h' }] },
        ],
        at: { mobiles: ['138'], userIds: [], all: false },
      },
      { msgType: 'text', keywords: ['k8s'] },
    ) as TextMessage
    t.same(message.text.content.split('\n'), [
      'head ＠x',
      'bold [l](u)',
      '- a',
      '- b',
      'Mute: mute kind=Pod for=1h',
      '@138',
      'k8s',
    ])
    t.same(message.at, { atMobiles: ['138'] })
  },
)

t.test('a list that cannot fit at all still says how much it left out', async (t) => {
  const message = renderDraft(
    {
      title: 'T',
      blocks: [
        { kind: 'heading', text: md`h` },
        {
          kind: 'list',
          bullet: true,
          items: Array.from({ length: 3 }, () => md`${'x'.repeat(400)}`),
          more: 7,
          overflow: (n) => md`${n} left`,
        },
      ],
      at: { mobiles: [], userIds: [], all: false },
    },
    { ...markdown, maxBytes: 300 },
  ) as MarkdownMessage
  t.equal(message.markdown.text, '#### h\n\n10 left')
})
