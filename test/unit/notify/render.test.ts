import t from 'tap'
import type { MarkdownMessage, TextMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { DINGTALK_MAX_BYTES, toWireBytes } from '../../../src/dingtalk/dingtalk-message.ts'
import type { RenderOptions } from '../../../src/notify/compose-message.ts'
import type { AlertMessage, Mentions } from '../../../src/notify/outbox-message.ts'
import { renderAlert } from '../../../src/notify/render-alert.ts'
import { renderDigest } from '../../../src/notify/render-digest.ts'
import { renderNotice } from '../../../src/notify/render-notice.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'

const noOne: Mentions = { mobiles: [], userIds: [], all: false }
const options = (over: Partial<RenderOptions> = {}): RenderOptions => ({
  robot: { name: 'ops', keywords: [], msgType: 'markdown' },
  cluster: 'prod-hangzhou',
  muteLinks: false,
  timeZone: 'UTC',
  ...over,
})
const at = Date.UTC(2026, 10, 24, 3, 4, 5)
const alert = (over: Partial<AlertMessage> = {}, event = {}): AlertMessage => ({
  kind: 'alert',
  event: aClusterEvent({
    namespace: 'payments',
    name: 'api-7d9f',
    count: 4,
    lastSeen: at,
    firstSeen: at - 60_000,
    ...event,
  }),
  occurrences: 1,
  at: noOne,
  ...over,
})
const md = (m: unknown) => (m as MarkdownMessage).markdown
const lines = (text: string) => text.split('\n\n')

t.test('an alert: title with level and object, one field per line', async (t) => {
  const m = renderAlert(alert(), options())
  t.equal(m.msgtype, 'markdown')
  t.equal(md(m).title, 'Warning Pod payments/api-7d9f: BackOff')
  t.same(lines(md(m).text), [
    '#### Warning Pod payments/api-7d9f: BackOff',
    '**Cluster:** prod-hangzhou',
    '**Namespace:** payments',
    '**Object:** Pod/api-7d9f',
    '**Reason:** BackOff',
    '**Message:** Back-off restarting failed container',
    '**Count:** 4',
    '**Last seen:** 2026-11-24 03:04:05 UTC',
    '**Source:** kubelet on node-1',
  ])
  t.notMatch(md(m).text, /```|\|/, 'no code blocks or tables')
  t.notOk('at' in m, 'no mentions, no at field')
})

t.test('a cluster-scoped object', async (t) => {
  const m = renderAlert(
    alert({}, { kind: 'Node', namespace: '', name: 'node-1', reason: 'NodeNotReady' }),
    options(),
  )
  t.equal(md(m).title, 'Warning Node node-1: NodeNotReady')
  t.match(md(m).text, /\*\*Namespace:\*\* \(cluster-scoped\)/)
})

t.test('mentions are written into the text and the at field', async (t) => {
  const m = renderAlert(
    alert({ at: { mobiles: ['13800000000'], userIds: ['manager_01'], all: false } }),
    options(),
  )
  t.match(md(m).text, /\n\n@13800000000 @manager_01$/)
  t.same(m.at, { atMobiles: ['13800000000'], atUserIds: ['manager_01'] })
  const all = renderAlert(alert({ at: { mobiles: [], userIds: [], all: true } }), options())
  t.same(all.at, { isAtAll: true })
  t.match(md(all).text, /@all$/)
})

t.test('one of the robot keywords is always in the text', async (t) => {
  const robot = { name: 'ops', keywords: ['告警', 'k8s'], msgType: 'markdown' as const }
  const m = renderAlert(alert(), options({ robot }))
  t.ok(['告警', 'k8s'].some((k) => md(m).text.includes(k)))
  const already = renderAlert(alert({}, { message: 'k8s says no' }), options({ robot }))
  t.notMatch(md(already).text, /告警/, 'not added when one is there')
  const text = renderAlert(alert(), options({ robot: { ...robot, msgType: 'text' } }))
  t.match((text as TextMessage).text.content, /告警/)
  // An escaped keyword does not count: what DingTalk sees must contain it literally.
  const escaped = renderAlert(
    alert({}, { message: '[k8s]' }),
    options({ robot: { ...robot, keywords: ['[k8s]'] } }),
  )
  t.match(md(escaped).text, /\n\n\[k8s\]$/)
})

t.test('event text cannot inject links, mentions, headings or lines', async (t) => {
  const evil = '[x](http://evil) @all\n# fake ![i](http://evil/i.png)'
  const m = renderAlert(alert({}, { message: evil, reason: 'Bad\n## Reason' }), options())
  const text = md(m).text
  t.notMatch(text, /\[x/, 'no link')
  t.notMatch(text, /@all/, 'no mention')
  t.notMatch(text, /\n#/, 'no heading line')
  t.equal(lines(text).length, 9, 'no extra lines')
  t.match(text, /\*\*Message:\*\* ［x］\(http:\/\/evil\) ＠all \\# fake \\!［i］/)
  t.notMatch(md(m).title, /\n/)
})

t.test('a 100 KB message is cut to fit, the other fields intact', async (t) => {
  for (const filler of ['x', '事', '[', '"', '😀']) {
    for (const msgType of ['markdown', 'text'] as const) {
      const robot = { name: 'ops', keywords: ['k8s'], msgType }
      const big = filler.repeat(Math.ceil(100_000 / Buffer.byteLength(filler)))
      const m = renderAlert(
        alert({ at: { mobiles: ['13800000000'], userIds: [], all: false } }, { message: big }),
        options({ robot, muteLinks: true }),
      )
      const bytes = toWireBytes(m)
      t.ok(bytes <= 18_000 && bytes < DINGTALK_MAX_BYTES, `${msgType} ${filler}: ${bytes} bytes`)
      t.ok(bytes > 15_000, 'the message still fills most of the room')
      const text = m.msgtype === 'markdown' ? m.markdown.text : m.text.content
      t.match(text, /…/)
      t.match(text, /Count:\**? 4/)
      t.match(text, /@13800000000/)
      t.match(text, /k8s/)
      t.notMatch(text, /\ufffd/)
    }
  }
  const tight = renderAlert(alert({}, { message: 'y'.repeat(5000) }), options({ maxBytes: 1000 }))
  t.ok(toWireBytes(tight) <= 1000)
})

t.test('a repeat says still happening, ×N since HH:MM', async (t) => {
  const m = renderAlert(
    alert({ kind: 'repeat', occurrences: 7, since: Date.UTC(2026, 10, 24, 2, 58) }),
    options(),
  )
  t.equal(md(m).title, 'Warning Pod payments/api-7d9f: BackOff (still happening, ×7 since 02:58)')
  t.match(md(m).text, /\*\*Repeats:\*\* still happening, ×7 since 02:58/)
})

t.test('the mute link sends the mute command, encoded so nothing leaves the URL', async (t) => {
  const m = renderAlert(alert(), options({ muteLinks: true }))
  const last = lines(md(m).text).at(-1) ?? ''
  t.equal(
    last,
    '[mute 1h](dtmd://dingtalkclient/sendMessage?content=mute%20ns%3Dpayments%20kind%3DPod%20name%3Dapi-7d9f%20reason%3DBackOff%20for%3D1h)',
  )
  const odd = renderAlert(
    alert({}, { kind: 'Node', namespace: '', name: 'n1', reason: 'A)(b' }),
    options({ muteLinks: true }),
  )
  const link = lines(md(odd).text).at(-1) ?? ''
  const content = /content=([^)]*)\)$/.exec(link)?.[1] ?? ''
  t.equal(decodeURIComponent(content), 'mute kind=Node name=n1 reason=A)(b for=1h')
  t.notMatch(md(renderAlert(alert(), options())).text, /dtmd/, 'off when muteLinks is off')
})

t.test('text robots get a plain rendering', async (t) => {
  const m = renderAlert(
    alert(
      { at: { mobiles: ['13800000000'], userIds: [], all: false } },
      { message: '[x](y) @all\nz' },
    ),
    options({ robot: { name: 'ops', keywords: [], msgType: 'text' }, muteLinks: true }),
  )
  t.equal(m.msgtype, 'text')
  const content = (m as TextMessage).text.content
  t.same(content.split('\n'), [
    'Warning Pod payments/api-7d9f: BackOff',
    'Cluster: prod-hangzhou',
    'Namespace: payments',
    'Object: Pod/api-7d9f',
    'Reason: BackOff',
    'Message: [x](y) ＠all z',
    'Count: 4',
    'Last seen: 2026-11-24 03:04:05 UTC',
    'Source: kubelet on node-1',
    'To mute: mute ns=payments kind=Pod name=api-7d9f reason=BackOff for=1h',
    '@13800000000',
  ])
  t.same(m.at, { atMobiles: ['13800000000'] })
})

t.test('a notice shows its title and escaped lines', async (t) => {
  const m = renderNotice(
    {
      kind: 'notice',
      title: 'mute m3 ended',
      lines: ['12 alerts were held back', 'set by @all [x](y)'],
    },
    options(),
  )
  t.equal(md(m).title, 'mute m3 ended')
  t.same(lines(md(m).text), [
    '#### mute m3 ended',
    '**Cluster:** prod-hangzhou',
    '- 12 alerts were held back',
    '- set by ＠all ［x］(y)',
  ])
  const many = renderNotice(
    { kind: 'notice', title: 'n', lines: Array.from({ length: 100 }, () => 'z'.repeat(2000)) },
    options(),
  )
  t.ok(toWireBytes(many) <= 18_000)
  t.match(md(many).text, /and 70 more lines/)
})

t.test(
  'a digest counts by namespace, kind and reason, lists top objects, totals exactly',
  async (t) => {
    const messages: AlertMessage[] = [
      alert({ occurrences: 5 }, { namespace: 'payments', name: 'api-1', reason: 'BackOff' }),
      alert({ occurrences: 3 }, { namespace: 'payments', name: 'api-1', reason: 'Unhealthy' }),
      alert({ occurrences: 2 }, { namespace: 'web', name: 'front-1', reason: 'BackOff' }),
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
    const m = renderDigest(messages, options())
    const text = md(m).text
    t.equal(md(m).title, 'Warning digest: 5 alerts, 20 occurrences')
    t.match(text, /\*\*Occurrences:\*\* 20 in 5 alerts/)
    t.match(text, /\*\*By namespace:\*\* \(cluster-scoped\) 9 · payments 8 · web 3/)
    t.match(text, /\*\*By kind:\*\* Pod 11 · Node 9/)
    t.match(text, /\*\*By reason:\*\* NodeNotReady 9 · BackOff 7 · Unhealthy 3 · Pulled 1/)
    t.match(
      text,
      /- Node node-1: NodeNotReady ×9\n\n- Pod payments\/api-1: BackOff, Unhealthy ×8\n\n- Pod web\/front-1: BackOff ×2/,
    )
    t.same(m.at, { atMobiles: ['13800000000'], atUserIds: ['u1'] })
    t.match(text, /@13800000000 @u1/)
  },
)

t.test('a digest of 2,000 alerts with long names still fits', async (t) => {
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
  const m = renderDigest(
    messages,
    options({ robot: { name: 'ops', keywords: ['k8s'], msgType: 'markdown' } }),
  )
  t.ok(toWireBytes(m) <= 18_000)
  t.match(md(m).text, new RegExp(`Occurrences:\\*\\* ${(2000 * 2001) / 2} in 2000 alerts`))
  t.match(md(m).text, /1990 others/)
  t.match(md(m).text, /k8s/)
})

t.test('times are shown in the given zone', async (t) => {
  const m = renderAlert(alert(), options({ timeZone: 'Asia/Shanghai' }))
  t.match(md(m).text, /\*\*Last seen:\*\* 2026-11-24 11:04:05 UTC\+8/)
})

t.test('an empty event message says so; the default zone works', async (t) => {
  const { timeZone: _utc, ...local } = options()
  const m = renderAlert(alert({}, { message: '' }), local)
  t.match(md(m).text, /\*\*Message:\*\* \(no message\)/)
  t.match(md(m).text, /\*\*Last seen:\*\* 2026-11-2\d \d\d:\d\d:05 UTC/)
})

t.test('a notice to a text robot lists its lines plainly', async (t) => {
  const m = renderNotice(
    { kind: 'notice', title: 'mute m3 ended', lines: ['12 alerts were held back'] },
    options({ robot: { name: 'ops', keywords: [], msgType: 'text' } }),
  )
  t.same((m as TextMessage).text.content.split('\n'), [
    'mute m3 ended',
    'Cluster: prod-hangzhou',
    '- 12 alerts were held back',
  ])
})

t.test(
  'a digest under a tight cap lists fewer objects, then none, before it overflows',
  async (t) => {
    const messages = Array.from({ length: 50 }, (_, i) =>
      alert(
        { occurrences: 1 },
        { namespace: `namespace-${i}`, name: `pod-${i}`, reason: `Reason${i}` },
      ),
    )
    const items = (maxBytes: number) => {
      const m = renderDigest(messages, options({ maxBytes }))
      t.ok(toWireBytes(m) <= maxBytes, `${toWireBytes(m)} bytes under ${maxBytes}`)
      t.match(md(m).text, /Occurrences:\*\* 50 in 50 alerts/)
      return lines(md(m).text).filter((l) => l.startsWith('- ')).length
    }
    t.equal(items(5_000), 10)
    t.equal(items(900), 5)
    t.equal(items(420), 0)
  },
)
