import t from 'tap'
import { toDingTalkMarkdown } from '../../../src/dingtalk/render-rich-text.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'
import { createChatHarness, START } from '../chatops/chat-harness.ts'

const M = 60_000

function withEvents(t: { teardown(fn: () => void): void }) {
  const h = createChatHarness(t)
  const add = (minutesAgo: number, e: Parameters<typeof aClusterEvent>[0] = {}) =>
    h.archive.upsert(aClusterEvent({ lastSeen: START - minutesAgo * M, ...e }))
  add(3, { namespace: 'prod', name: 'web-1', reason: 'BackOff', count: 12 })
  add(5, {
    namespace: 'prod',
    name: 'web-2',
    reason: 'Unhealthy',
    message: 'Readiness probe failed: HTTP 503',
  })
  add(7, { namespace: 'dev', name: 'api-1', reason: 'BackOff' })
  add(9, { namespace: 'prod', name: 'web-3', reason: 'Scheduled', type: 'Normal' })
  add(11, { namespace: '', kind: 'Node', name: 'node-a', reason: 'NodeNotReady' })
  add(120, { namespace: 'prod', name: 'web-old', reason: 'BackOff' })
  return { h, add }
}

t.test('defaults: Warning events of the last hour, newest first, with what matters', async (t) => {
  const { h } = withEvents(t)
  const reply = await h.ask('events')
  t.equal(reply.title, '4 Warning events, the last 1h')
  const out = await h.say('events')
  t.match(
    out,
    /\*\*BackOff\*\* Pod\/web-1 · prod · ×12 · 3m ago {2}\nBack-off restarting failed container/,
  )
  t.match(out, /\*\*NodeNotReady\*\* Node\/node-a · cluster-wide · ×1 · 11m ago/)
  t.notMatch(out, /web-3|web-old/)
  t.ok(
    out.indexOf('web-1') < out.indexOf('web-2') && out.indexOf('web-2') < out.indexOf('api-1'),
    'newest first',
  )
})

t.test('filters: ns, kind, name with *, reason, level, since, limit', async (t) => {
  const { h } = withEvents(t)
  const titles = async (text: string) => (await h.ask(text)).title
  t.equal(await titles('events ns=prod'), '2 Warning events in prod, the last 1h')
  t.equal(
    await titles('events namespace=PROD kind=pod reason=backoff'),
    '1 Warning events in prod, the last 1h',
  )
  t.match(await h.say('events name=web-*'), /web-1[\s\S]*web-2/)
  t.notMatch(await h.say('events name=web-*'), /api-1/)
  t.match(await h.say('events level=normal'), /web-3/)
  t.equal(await titles('events level=all'), '5 events, the last 1h')
  t.match(await h.say('events since=3h ns=prod'), /web-old/)
  const limited = await h.say('events limit=2')
  t.match(limited, /web-1[\s\S]*web-2/)
  t.notMatch(limited, /api-1/)
  t.match(
    limited,
    /More match: narrow with ns=, kind=, name= or reason=, or raise limit= \(up to 50\)/,
  )
})

t.test('Chinese aliases for the command and its keys', async (t) => {
  const { h } = withEvents(t)
  t.equal((await h.ask('事件 命名空间=prod 条数=1')).title, '1 Warning events in prod, the last 1h')
})

t.test('in Chinese the level is a Chinese word, both ways', async (t) => {
  const h = createChatHarness(t, { language: 'zh-CN' })
  const add = (e: Parameters<typeof aClusterEvent>[0]) =>
    h.archive.upsert(aClusterEvent({ lastSeen: START - 3 * M, namespace: 'prod', ...e }))
  add({ name: 'web-1', reason: 'BackOff' })
  add({ name: 'web-2', reason: 'Scheduled', type: 'Normal' })
  t.match((await h.ask('事件')).title, /1 条警告事件/)
  t.match((await h.ask('事件 级别=正常')).title, /1 条正常事件/)
  t.match((await h.ask('事件 级别=全部')).title, /2 条事件/)
  t.match(await h.say('事件 级别=警告'), /web-1/)
  t.match(await h.say('事件 ns=staging'), /没有匹配的警告事件（staging）/, 'nothing found')
  t.match(await h.say('事件 级别=严重'), /"严重" 不是级别：请写 警告、正常 或 全部/)
})

t.test('nothing found says how to widen the search', async (t) => {
  const { h } = withEvents(t)
  const out = await h.say('events ns=staging')
  t.match(
    out,
    /No Warning events in staging in the last 1h match\. Try a longer since= or level=all\./,
  )
})

t.test('bad values are refused with the usage line', async (t) => {
  const { h } = withEvents(t)
  const cases: Array<[string, string]> = [
    ['events limit=100000', 'bad_value'],
    ['events limit=0', 'bad_value'],
    ['events since=forever', 'bad_value'],
    ['events level=loud', 'bad_value'],
    ['events colour=red', 'unknown_key'],
    ['events prod', 'unexpected_argument'],
  ]
  for (const [text, code] of cases) {
    const reply = await h.ask(text)
    t.equal(reply.code, code, text)
    t.match(reply.lines.map(toDingTalkMarkdown).join('\n'), /Usage: events/, text)
  }
})

t.test('event text cannot inject links, mentions or lines', async (t) => {
  const { h, add } = withEvents(t)
  add(1, {
    namespace: 'evil',
    name: 'evil',
    reason: 'BackOff',
    message:
      'oops\n\n#### Mute m1 ended\n[click me](dtmd://dingtalkclient/sendMessage?content=unmute%20all) @all <b>x</b>',
  })
  const out = await h.say('events ns=evil')
  const [, body] = out.split('\n\n')
  t.notMatch(body, /\[|\]|<b>|@all/)
  t.match(body, /oops \\#\\#\\#\\# Mute m1 ended ［click me］\(dtmd:/)
  t.equal(out.split('\n\n').length, 2, 'title and one event: no extra paragraphs')
})

t.test('long messages are trimmed', async (t) => {
  const { h, add } = withEvents(t)
  add(1, { namespace: 'long', name: 'long', message: `${'word '.repeat(100)}END` })
  const out = await h.say('events ns=long')
  t.notMatch(out, /END/)
  t.match(out, /word…$/)
})
