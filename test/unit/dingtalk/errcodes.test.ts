import t from 'tap'
import { classifyErrcode, explainErrcode } from '../../../src/dingtalk/errcodes.ts'

t.test('each errcode of the reference maps to its outcome', async (t) => {
  const cases: Array<[number, string, string]> = [
    [0, 'ok', 'ok'],
    [-1, 'system busy', 'retry'],
    [130101, 'send too fast, exceed 20 times per minute', 'throttled'],
    [410100, '', 'throttled'],
    [310000, 'sign not match', 'config'],
    [310000, 'invalid timestamp', 'config'],
    [310000, 'keywords not in content', 'config'],
    [310000, 'ip 1.2.3.4 not in whitelist', 'config'],
    [300001, 'token is not exist', 'config'],
    [300005, '', 'config'],
    [400101, '', 'config'],
    [400102, '', 'config'],
    [400106, '', 'config'],
    [400013, '', 'config'],
    [400105, '', 'bug'],
    [460101, 'message too long, exceed 20000 bytes', 'too-long'],
    [101002, '', 'too-long'],
    [430101, '', 'content-rejected'],
    [430104, '', 'content-rejected'],
    [777777, 'something new', 'bug'],
  ]
  for (const [code, msg, kind] of cases) {
    t.equal(classifyErrcode(code, msg).kind, kind, `${code} ${msg}`)
  }
})

t.test('errmsg text wins over an unfamiliar code (codes differ between generations)', async (t) => {
  t.equal(classifyErrcode(999, 'send too fast, exceed 20 times per minute').kind, 'throttled')
  t.equal(classifyErrcode(999, '消息发送频率过高').kind, 'throttled')
  t.equal(classifyErrcode(999, 'message too long').kind, 'too-long')
  t.equal(classifyErrcode(999, '关键词不匹配').kind, 'config')
})

t.test('only invalid timestamp asks for a fresh signature', async (t) => {
  t.equal(classifyErrcode(310000, 'invalid timestamp').resign, true)
  t.not(classifyErrcode(310000, 'sign not match').resign, true)
})

t.test('explanations name the config key to fix', async (t) => {
  t.match(
    explainErrcode(310000, 'sign not match', 'ops'),
    /^310000 sign not match: .*check dingtalk\.robots\[ops\]\.secret/,
  )
  t.match(
    explainErrcode(310000, 'keywords not in content', 'ops'),
    /dingtalk\.robots\[ops\]\.keywords/,
  )
  t.match(
    explainErrcode(300001, 'token is not exist', 'ops'),
    /access_token in dingtalk\.robots\[ops\]\.webhook/,
  )
  t.match(explainErrcode(310000, 'invalid timestamp', 'ops'), /clock/)
  t.match(explainErrcode(310000, 'ip 1.2.3.4 not in whitelist', 'ops'), /IP allowlist/)
  t.match(explainErrcode(400102, 'robot disabled', 'ops'), /dingtalk\.robots\[ops\]\.webhook/)
  t.match(explainErrcode(130101, 'send too fast', 'ops'), /throttled/)
  t.match(
    explainErrcode(310000, 'refused', 'ops'),
    /check dingtalk\.robots\[ops\]\.secret and dingtalk\.robots\[ops\]\.keywords/,
    'an unrecognised 310000 points at both security settings',
  )
  t.match(explainErrcode(424242, 'new'), /^424242 new: an errcode kubeding does not know$/)
})
