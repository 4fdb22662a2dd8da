import t from 'tap'
import { formatBytes } from '../../../commands/status.ts'
import { classifyErrcode, ERRCODES, NOT_DINGTALK_ANSWER } from '../../../src/dingtalk/errcodes.ts'
import { toStrings } from '../../../src/i18n/to-strings.ts'
import { aStatusSnapshot, createChatHarness, START } from '../chatops/chat-harness.ts'

t.test('status shows every figure of the snapshot', async (t) => {
  const h = createChatHarness(t)
  h.setStatus(
    aStatusSnapshot({
      alerts: {
        sent: 56,
        queued: 2,
        muted: 7,
        dropped: 4,
        refused: [
          { errcode: 310000, errmsg: 'sign not match', count: 3 },
          { errcode: 130101, errmsg: 'send too fast', count: 0 },
        ],
      },
      throttledRobots: [
        { robot: 'ops', until: START + 8 * 60_000 },
        { robot: 'dev', until: undefined },
      ],
    }),
  )
  const reply = await h.ask('状态')
  t.equal(reply.title, 'kubeding on prod-hangzhou: watch watching')
  const out = await h.say('status')
  t.match(out, /\*\*Cluster\*\* prod-hangzhou/)
  t.match(out, /\*\*Watch\*\* watching since 3h ago · last resync 5m ago/)
  t.match(out, /\*\*Events taken in\*\* 1234/)
  t.match(
    out,
    /\*\*Alerts\*\* sent 56 · queued 2 · muted 7 · dropped 4 · refused by DingTalk 3× errcode 310000 \(sign not match\)\n/,
  )
  t.match(out, /\*\*Throttled robots\*\* ops \(until in 8m\), dev/)
  t.match(out, /\*\*Store\*\* 3\.0 MiB/)
  t.match(out, /\*\*Version\*\* 0\.1\.0 · up 3h/)
})

t.test('quiet defaults: nothing refused, nobody throttled, no resync yet', async (t) => {
  const h = createChatHarness(t)
  h.setStatus(
    aStatusSnapshot({ watch: { state: 'starting', since: START, lastResync: undefined } }),
  )
  const out = await h.say('status')
  t.match(out, /refused by DingTalk 0/)
  t.match(out, /\*\*Throttled robots\*\* none/)
  t.match(out, /\*\*Watch\*\* starting since just now · no resync yet/)
})

t.test('in Chinese the watch state is a Chinese word', async (t) => {
  const h = createChatHarness(t, { language: 'zh-CN' })
  for (const [state, word] of [
    ['watching', '正常'],
    ['starting', '启动中'],
    ['down', '中断'],
  ] as const) {
    h.setStatus(aStatusSnapshot({ watch: { state, since: START, lastResync: undefined } }))
    const reply = await h.ask('状态')
    t.equal(reply.title, `kubeding（prod-hangzhou）：监听${word}`)
    t.match(await h.say('状态'), new RegExp(`\\*\\*监听\\*\\* ${word}，`))
  }
})

t.test('formatBytes', async (t) => {
  t.equal(formatBytes(512), '512 B')
  t.equal(formatBytes(3 * 1024 + 200), '3.2 KiB')
  t.equal(formatBytes(1.5 * 1024 ** 3), '1.5 GiB')
})

t.test('in Chinese the refusals are told in Chinese', async (t) => {
  const h = createChatHarness(t, { language: 'zh-CN' })
  h.setStatus(
    aStatusSnapshot({
      alerts: {
        sent: 1,
        queued: 0,
        muted: 0,
        dropped: 0,
        refused: [
          { errcode: 130101, errmsg: classifyErrcode(130101, '').meaning, count: 2 },
          { errcode: null, errmsg: `HTTP 502 (${NOT_DINGTALK_ANSWER})`, count: 1 },
        ],
      },
    }),
  )
  const out = await h.say('状态')
  t.match(out, /2× errcode 130101 \(机器人一分钟内发送超过 20 条，被限流最长 10 分钟\)/)
  t.match(out, /1× HTTP 502（不是钉钉的应答）/)
})

t.test('every meaning the errcode table gives has its Chinese', async (t) => {
  const refusal = toStrings('zh-CN').commands.status.refusal
  // The codes, the errmsg texts matched before them, and a code the table does not know.
  const meanings = new Set([
    ...[...ERRCODES.keys()].map((code) => classifyErrcode(code, '').meaning),
    ...[
      'sign not match',
      'invalid timestamp',
      'keywords not in content',
      'ip not in whitelist',
    ].map((errmsg) => classifyErrcode(310000, errmsg).meaning),
    classifyErrcode(999_999, '').meaning,
  ])
  t.ok(meanings.size >= 14, `${meanings.size} meanings`)
  for (const meaning of meanings)
    t.notMatch(refusal(meaning), /\b(the|is|a|an|of)\b/, `${meaning} → ${refusal(meaning)}`)
})
