/**
 * The messages to the group as DingTalk shows them: the phone layout in both languages, escaping,
 * mentions, keywords and the size limit. Times are built relative to the injected `now`.
 */
import t from 'tap'
import type { MarkdownMessage, TextMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { DINGTALK_MAX_BYTES, toWireBytes } from '../../../src/dingtalk/dingtalk-message.ts'
import type { AlertMessage, Mentions } from '../../../src/notify/outbox-message.ts'
import {
  type RenderOptions,
  renderBatch,
  renderMessage,
} from '../../../src/notify/render-message.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'
import { inZone } from '../../helpers/time-zone.ts'

// Times in messages follow the process's zone.
process.env.TZ = 'UTC'
const noOne: Mentions = { mobiles: [], userIds: [], all: false }
const M = 60_000
/** The injected clock; every event time below is relative to it. */
const now = Date.UTC(2026, 10, 24, 3, 6, 5)
const options = (over: Partial<RenderOptions> = {}): RenderOptions => ({
  robot: { name: 'ops', keywords: [], msgType: 'markdown' },
  cluster: 'prod-hangzhou',
  muteLinks: false,
  language: 'en',
  now: () => now,
  ...over,
})
const at = now - 2 * M
const alert = (over: Partial<AlertMessage> = {}, event = {}): AlertMessage => ({
  kind: 'alert',
  event: aClusterEvent({
    namespace: 'payments',
    name: 'api-7d9f',
    count: 4,
    lastSeen: at,
    firstSeen: at - 10 * M,
    ...event,
  }),
  occurrences: 1,
  at: noOne,
  ...over,
})
const md = (m: unknown) => (m as MarkdownMessage).markdown
const lines = (text: string) => text.split('\n\n')
const render = (m: AlertMessage, o = options()) => renderMessage(m, o)

t.test(
  'an alert, English: the first line says everything, then message, facts, hint',
  async (t) => {
    const m = render(alert())
    t.equal(m.msgtype, 'markdown')
    t.equal(md(m).title, 'Warning Pod payments/api-7d9f: BackOff')
    t.same(lines(md(m).text), [
      '#### 【Warning】prod-hangzhou · Pod payments/api-7d9f · BackOff',
      'Back-off restarting failed container',
      '4 times · first 02:54:05 (12m ago) · last 03:04:05 UTC (2m ago) · kubelet on node-1',
      '💡 The container keeps crashing: read its last log: kubectl -n payments logs api-7d9f --previous',
    ])
    t.notMatch(md(m).text, /```|\||cluster-scoped|Count:/, 'no code blocks, tables or empty fields')
    t.notOk('at' in m, 'no mentions, no at field')
  },
)

t.test('an alert, Chinese: the same layout, level word 警告, names untouched', async (t) => {
  const m = render(alert({}, { count: 1, firstSeen: at }), options({ language: 'zh-CN' }))
  t.equal(md(m).title, '警告 Pod payments/api-7d9f: BackOff')
  t.same(lines(md(m).text), [
    '#### 【警告】prod-hangzhou · Pod payments/api-7d9f · BackOff',
    'Back-off restarting failed container',
    '共 1 次 · 最近 03:04:05 UTC（2 分钟前） · node-1 上的 kubelet',
    '💡 容器反复崩溃：先看上一次的日志：kubectl -n payments logs api-7d9f --previous',
  ])
  const normal = render(
    alert({}, { type: 'Normal', reason: 'Pulled' }),
    options({ language: 'zh-CN' }),
  )
  t.match(md(normal).text, /^#### 【正常】/)
})

t.test('relative times come from the injected clock at render time', async (t) => {
  const later = render(alert(), options({ now: () => now + 3 * 3_600_000 }))
  t.match(md(later).text, /last 03:04:05 UTC \(3h 2m ago\)/)
  const nextDay = render(alert(), options({ now: () => now + 24 * 3_600_000 }))
  t.match(md(nextDay).text, /last 11-24 03:04:05 UTC \(1d\)? ?/)
  t.match(md(nextDay).text, /\(1d ago\)|\(1d 0h ago\)|\(24h 2m ago\)|\(1d ago\)/)
})

t.test('a cluster-scoped object has no namespace field; a Node gets the nodes link', async (t) => {
  const m = render(
    alert(
      {},
      {
        kind: 'Node',
        namespace: '',
        name: 'node-1',
        reason: 'NodeNotReady',
        count: 1,
        firstSeen: at,
      },
    ),
    options({ muteLinks: true }),
  )
  t.equal(md(m).title, 'Warning Node node-1: NodeNotReady')
  t.match(md(m).text, /^#### 【Warning】prod-hangzhou · Node node-1 · NodeNotReady/)
  t.match(md(m).text, /kubectl describe node node-1/)
  t.notMatch(md(m).text, /cluster-scoped|Namespace/)
  t.match(
    lines(md(m).text).at(-1),
    /^\[Mute 1h\]\(dtmd:\/\/dingtalkclient\/sendMessage\?content=mute%20kind%3DNode%20name%3Dnode-1%20reason%3DNodeNotReady%20for%3D1h\) · \[Show nodes\]\(dtmd:\/\/dingtalkclient\/sendMessage\?content=nodes\)$/,
  )
})

t.test('mentions are written into the text and the at field', async (t) => {
  const m = render(alert({ at: { mobiles: ['13800000000'], userIds: ['manager_01'], all: false } }))
  t.match(md(m).text, /\n\n@13800000000 @manager_01$/)
  t.same(m.at, { atMobiles: ['13800000000'], atUserIds: ['manager_01'] })
  const all = render(alert({ at: { mobiles: [], userIds: [], all: true } }))
  t.same(all.at, { isAtAll: true })
  t.match(md(all).text, /@all$/)
})

t.test('one of the robot keywords is always in the text, in both languages', async (t) => {
  for (const language of ['en', 'zh-CN'] as const) {
    const robot = { name: 'ops', keywords: ['告警', 'k8s'], msgType: 'markdown' as const }
    const m = render(alert(), options({ robot, language }))
    t.ok(
      ['告警', 'k8s'].some((k) => md(m).text.includes(k)),
      language,
    )
    const already = render(alert({}, { message: 'k8s says no' }), options({ robot, language }))
    t.notMatch(md(already).text, /告警/, 'not added when one is there')
    const text = render(alert(), options({ robot: { ...robot, msgType: 'text' }, language }))
    t.match((text as TextMessage).text.content, /告警/)
    // An escaped keyword does not count: what DingTalk sees must contain it literally.
    const escaped = render(
      alert({}, { message: '[k8s]' }),
      options({ robot: { ...robot, keywords: ['[k8s]'] }, language }),
    )
    t.match(md(escaped).text, /\n\n\[k8s\]$/)
  }
})

t.test('event text cannot inject links, mentions, headings or lines', async (t) => {
  const evil = '[x](http://evil) @all\n# fake ![i](http://evil/i.png)'
  for (const language of ['en', 'zh-CN'] as const) {
    const m = render(
      alert({}, { message: evil, reason: 'Bad\n## Reason', component: '@all', host: '[h](x)' }),
      options({ language, muteLinks: true }),
    )
    const text = md(m).text
    t.notMatch(text, /\[x|\[h\]/, 'no link')
    t.notMatch(text, /@all/, 'no mention')
    t.notMatch(text, /\n#(?!### 【)/, 'no heading line but ours')
    t.equal(lines(text).length, 4, 'no extra lines (no hint for an unknown reason)')
    t.match(text, /^#### 【.+】prod-hangzhou · Pod payments\/api-7d9f · Bad \\#\\# Reason\n\n/)
    t.match(text, /\n\n［x］\(http:\/\/evil\) ＠all \\# fake \\!［i］\(http:\/\/evil\/i\.png\)\n\n/)
    t.notMatch(md(m).title, /\n/)
  }
})

t.test('an event message cannot open its paragraph with a list, a rule or a heading', async (t) => {
  // The message is a paragraph of its own: at its start these would be markdown, not text.
  const cases: [string, string][] = [
    ['- item', '\\- item'],
    ['+ item', '\\+ item'],
    ['1. first\n2. second', '\\1. first 2. second'],
    ['---', '\\---'],
    ['# heading', '\\# heading'],
    ['\u200b- hidden behind a zero-width space', '\\- hidden behind a zero-width space'],
  ]
  for (const [message, shown] of cases) {
    const text = md(render(alert({}, { message }))).text
    t.equal(lines(text)[1], shown, JSON.stringify(message))
  }
  // Cut to fit, the message still starts its paragraph escaped, and the escape is in the budget.
  for (const filler of ['-', '1.', '+ ']) {
    const message = filler.repeat(Math.ceil(100_000 / filler.length))
    const m = render(alert({}, { message }))
    t.ok(toWireBytes(m) <= 18_000, `${filler}: ${toWireBytes(m)} bytes`)
    const fill = lines(md(m).text)[1] ?? ''
    t.ok(fill.startsWith(`\\${filler.trim()}`) && fill.endsWith('…'), `${filler}: cut, escaped`)
  }
  for (let maxBytes = 560; maxBytes < 600; maxBytes++) {
    const m = render(alert({}, { message: '-'.repeat(5_000) }), options({ maxBytes }))
    t.ok(toWireBytes(m) <= maxBytes, `maxBytes ${maxBytes}: ${toWireBytes(m)}`)
    t.match(lines(md(m).text)[1], /^(\\-+…|…?)$/, `maxBytes ${maxBytes}: escaped or empty`)
  }
})

t.test('the hint names the object, escaped like every event value', async (t) => {
  const m = render(alert({}, { namespace: 'pay_ments', name: 'api_1', reason: 'FailedScheduling' }))
  t.match(
    md(m).text,
    /💡 No node can take the pod: read why \(Events at the end\): kubectl -n pay\\_ments describe pod api\\_1/,
  )
  const image = render(alert({}, { message: 'Back-off pulling image "nginx:latst"' }))
  t.match(
    md(image).text,
    /💡 The image cannot be pulled.*kubectl -n payments describe pod api-7d9f/,
  )
})

t.test('a 100 KB message is cut to fit, the other fields intact', async (t) => {
  for (const filler of ['x', '事', '[', '"', '😀']) {
    for (const msgType of ['markdown', 'text'] as const) {
      for (const language of ['en', 'zh-CN'] as const) {
        const robot = { name: 'ops', keywords: ['k8s'], msgType }
        const big = filler.repeat(Math.ceil(100_000 / Buffer.byteLength(filler)))
        const m = render(
          alert({ at: { mobiles: ['13800000000'], userIds: [], all: false } }, { message: big }),
          options({ robot, muteLinks: true, language }),
        )
        const bytes = toWireBytes(m)
        const label = `${msgType} ${language} ${filler}: ${bytes} bytes`
        t.ok(bytes <= 18_000 && bytes < DINGTALK_MAX_BYTES, label)
        t.ok(bytes > 15_000, 'the message still fills most of the room')
        const text = m.msgtype === 'markdown' ? m.markdown.text : m.text.content
        t.match(text, /…/)
        t.match(text, language === 'en' ? /4 times/ : /共 4 次/)
        t.match(text, /kubectl -n payments logs api-7d9f/)
        t.match(text, /mute ns=payments|mute%20ns%3Dpayments/)
        t.match(text, /@13800000000/)
        t.match(text, /k8s/)
        t.notMatch(text, /\ufffd/)
      }
    }
  }
  const tight = render(alert({}, { message: 'y'.repeat(5000) }), options({ maxBytes: 1000 }))
  t.ok(toWireBytes(tight) <= 1000)
})

t.test('a repeat shows one number, the same in its title and its text', async (t) => {
  const repeat = alert({ kind: 'repeat', occurrences: 7, since: now - 8 * M }, { count: 1 })
  const m = render(repeat)
  t.equal(
    md(m).title,
    'Warning Pod payments/api-7d9f: BackOff (still happening: 7 more times since 02:58)',
  )
  t.match(
    md(m).text,
    /\n\nstill happening: 7 more times since 02:58 · last 03:04:05 UTC \(2m ago\)/,
  )
  t.notMatch(md(m).text, /1 time|×/, 'no second count to disagree with')
  const zh = render(repeat, options({ language: 'zh-CN' }))
  t.equal(md(zh).title, '警告 Pod payments/api-7d9f: BackOff (仍在发生：02:58 以来又 7 次)')
})

t.test('the mute link sends the mute command, encoded so nothing leaves the URL', async (t) => {
  const m = render(alert(), options({ muteLinks: true }))
  t.equal(
    lines(md(m).text).at(-1),
    '[Mute 1h](dtmd://dingtalkclient/sendMessage?content=mute%20ns%3Dpayments%20kind%3DPod%20name%3Dapi-7d9f%20reason%3DBackOff%20for%3D1h)',
  )
  const zh = render(alert(), options({ muteLinks: true, language: 'zh-CN' }))
  t.match(lines(md(zh).text).at(-1), /^\[静默 1 小时\]\(dtmd:/)
  const odd = render(
    alert({}, { kind: 'Node', namespace: '', name: 'n1', reason: 'A)(b' }),
    options({ muteLinks: true }),
  )
  const link = lines(md(odd).text).at(-1) ?? ''
  t.notMatch(link.slice(0, link.indexOf(' · ')), /\)\(|\(b/, 'nothing from the event ends the link')
  t.notMatch(md(render(alert(), options())).text, /dtmd/, 'off when muteLinks is off')
})

t.test('text robots get a plain rendering', async (t) => {
  const m = render(
    alert(
      { at: { mobiles: ['13800000000'], userIds: [], all: false } },
      { message: '[x](y) @all\nz' },
    ),
    options({ robot: { name: 'ops', keywords: [], msgType: 'text' }, muteLinks: true }),
  )
  t.equal(m.msgtype, 'text')
  t.same((m as TextMessage).text.content.split('\n'), [
    '【Warning】prod-hangzhou · Pod payments/api-7d9f · BackOff',
    '[x](y) ＠all z',
    '4 times · first 02:54:05 (12m ago) · last 03:04:05 UTC (2m ago) · kubelet on node-1',
    '💡 The container keeps crashing: read its last log: kubectl -n payments logs api-7d9f --previous',
    'Mute 1h: mute ns=payments kind=Pod name=api-7d9f reason=BackOff for=1h',
    '@13800000000',
  ])
  t.same(m.at, { atMobiles: ['13800000000'] })
})

t.test("an empty event message says so; times follow the process's zone", async (t) => {
  const m = render(alert({}, { message: '' }), options())
  t.match(md(m).text, /\n\n\(no message\)\n\n/)
  t.match(md(m).text, /last 03:04:05 UTC \(2m ago\)/)
  const zh = render(alert({}, { message: '' }), options({ language: 'zh-CN' }))
  t.match(md(zh).text, /\n\n（无消息）\n\n/)
  inZone(t, 'Asia/Shanghai')
  t.match(md(render(alert(), options())).text, /last 11:04:05 UTC\+8 \(2m ago\)/)
})

t.test('a notice shows what happened, its lines escaped, in the group language', async (t) => {
  const m = renderMessage(
    {
      kind: 'notice',
      title: 'mute m3 ended',
      lines: ['12 alerts were held back', 'set by @all [x](y)'],
    },
    options(),
  )
  t.equal(md(m).title, 'mute m3 ended')
  t.same(lines(md(m).text), [
    '#### prod-hangzhou · mute m3 ended',
    '12 alerts were held back',
    'set by ＠all ［x］(y)',
  ])
  const text = renderMessage(
    { kind: 'notice', title: 'mute m3 ended', lines: ['12 alerts were held back'] },
    options({ robot: { name: 'ops', keywords: [], msgType: 'text' } }),
  )
  t.same((text as TextMessage).text.content.split('\n'), [
    'prod-hangzhou · mute m3 ended',
    '12 alerts were held back',
  ])
  const many = renderMessage(
    { kind: 'notice', title: 'n', lines: Array.from({ length: 100 }, () => 'z'.repeat(2000)) },
    options(),
  )
  t.ok(toWireBytes(many) <= 18_000)
  t.match(md(many).text, /… and \d+ more lines$/)
  const test = renderMessage(
    { kind: 'notice', topic: 'test', robot: 'ops' },
    options({ language: 'zh-CN' }),
  )
  t.equal(md(test).title, 'kubeding 测试消息')
  t.match(md(test).text, /机器人 ops 配置正确/)
})

t.test(
  'a digest: counts by namespace and reason, the top objects, how to see the rest',
  async (t) => {
    const messages: AlertMessage[] = [
      alert({ occurrences: 5 }, { namespace: 'payments', name: 'api-1', reason: 'BackOff' }),
      alert({ occurrences: 3 }, { namespace: 'payments', name: 'api-1', reason: 'Unhealthy' }),
      alert(
        { occurrences: 2 },
        { namespace: 'web', name: 'front-1', reason: 'BackOff', lastSeen: now - 14 * M },
      ),
      alert(
        {
          kind: 'repeat',
          occurrences: 9,
          since: at,
          at: { mobiles: ['13800000000'], userIds: [], all: false },
        },
        { kind: 'Node', namespace: '', name: 'node-1', reason: 'NodeNotReady' },
      ),
      alert(
        { occurrences: 1, at: { mobiles: ['13800000000'], userIds: ['u1'], all: false } },
        { type: 'Normal', namespace: 'web', name: 'front-2', reason: 'Pulled' },
      ),
    ]
    const m = renderBatch(messages, options())
    t.equal(md(m).title, 'Warning prod-hangzhou: 20 occurrences in 5 alerts')
    t.same(lines(md(m).text), [
      '#### 【Warning】prod-hangzhou · 20 occurrences in 5 alerts',
      '02:52:05 – 03:04:05 UTC (latest 2m ago)',
      '**By namespace** cluster-wide 9 · payments 8 · web 3',
      '**By reason** NodeNotReady 9 · BackOff 7 · Unhealthy 3 · Pulled 1',
      '**Most affected objects**',
      '- Node node-1 · NodeNotReady ×9',
      '- Pod payments/api-1 · BackOff, Unhealthy ×8',
      '- Pod web/front-1 · BackOff ×2',
      '- Pod web/front-2 · Pulled ×1',
      'See them all: events level=all since=15m limit=50',
      '[See them all](dtmd://dingtalkclient/sendMessage?content=events%20level%3Dall%20since%3D15m%20limit%3D50)',
      '@13800000000 @u1',
    ])
    t.same(m.at, { atMobiles: ['13800000000'], atUserIds: ['u1'] })
    const zh = renderBatch(messages, options({ language: 'zh-CN' }))
    t.equal(md(zh).title, '警告 prod-hangzhou: 5 条告警，共 20 次')
    t.match(md(zh).text, /\*\*按命名空间\*\* 集群级 9 · payments 8 · web 3/)
    t.match(md(zh).text, /\*\*按原因\*\* NodeNotReady 9 · BackOff 7/)
    t.match(md(zh).text, /查看全部：events level=all since=15m limit=50/)
  },
)

t.test('a digest of one namespace points events at it', async (t) => {
  const m = renderBatch(
    [alert({ occurrences: 2 }), alert({ occurrences: 3 }, { name: 'api-2' })],
    options(),
  )
  t.match(md(m).text, /See them all: events ns=payments since=3m limit=50/)
})

t.test('a digest of 2,000 alerts with long names still fits, numbers exact', async (t) => {
  const messages = Array.from({ length: 2000 }, (_, i) =>
    alert(
      { occurrences: i + 1 },
      {
        namespace: `ns-${i}-${'n'.repeat(60)}`,
        name: `${'_'.repeat(200)}${i}`,
        reason: `R${'#'.repeat(150)}${i}`,
      },
    ),
  )
  for (const language of ['en', 'zh-CN'] as const) {
    const m = renderBatch(
      messages,
      options({ robot: { name: 'ops', keywords: ['k8s'], msgType: 'markdown' }, language }),
    )
    t.ok(toWireBytes(m) <= 18_000, `${toWireBytes(m)} bytes`)
    const total = (2000 * 2001) / 2
    t.match(
      md(m).text,
      language === 'en' ? `${total} occurrences in 2000 alerts` : `2000 条告警，共 ${total} 次`,
    )
    t.match(md(m).text, language === 'en' ? /1995 others/ : /其他 1995 项/)
    t.match(md(m).text, language === 'en' ? /… and 1990 more objects/ : /另有 1990 个对象/)
    t.match(md(m).text, /k8s/)
  }
})

t.test('a digest under a tight cap lists fewer objects and says how many are left', async (t) => {
  const messages = Array.from({ length: 50 }, (_, i) =>
    alert(
      { occurrences: 1 },
      { namespace: `namespace-${i}`, name: `pod-${i}`, reason: `Reason${i}` },
    ),
  )
  const items = (maxBytes: number) => {
    const m = renderBatch(messages, options({ maxBytes }))
    t.ok(toWireBytes(m) <= maxBytes, `${toWireBytes(m)} bytes under ${maxBytes}`)
    t.match(md(m).text, /50 occurrences in 50 alerts/)
    const listed = lines(md(m).text).filter((l) => l.startsWith('- ')).length
    t.match(md(m).text, new RegExp(`… and ${50 - listed} more objects`))
    return listed
  }
  t.equal(items(5_000), 10)
  t.ok(items(1_000) < 10)
  t.equal(items(610), 0)
})
