import t from 'tap'
import { MAX_SKEW_MS, signCallback, verifyOutgoing } from '../../../src/http/verify-outgoing.ts'
import { appRobotHeaders, signAppCallback } from '../../helpers/dingtalk-callback.ts'

const now = Date.UTC(2026, 10, 24, 12)
const secrets = { token: 'out-token', appSecret: 'app-secret-xyz' }

t.test('the signature matches what DingTalk computes', async (t) => {
  t.equal(signCallback('app-secret-xyz', String(now)), signAppCallback('app-secret-xyz', now))
  // Fixed vector, computed with Python's hmac module.
  t.equal(signCallback('secret', '1700000000000'), 'OuzzJR5+xZ4/EYwqtNt6sMYZQMTa/HEGvc9miJe7XzY=')
})

t.test('rule 1: a token header must equal the token', async (t) => {
  t.same(verifyOutgoing({ token: 'out-token' }, secrets, now), { ok: true, via: 'token' })
  const wrong = verifyOutgoing({ token: 'out-tokeN' }, secrets, now)
  t.same(wrong, { ok: false, reason: 'the token header does not match dingtalk.outgoing.token' })
  t.equal(verifyOutgoing({ token: '' }, secrets, now).ok, false)
  t.equal(verifyOutgoing({ token: 'out-token-and-more' }, secrets, now).ok, false)
  t.equal(
    verifyOutgoing({ token: ['out-token', 'out-token'] }, secrets, now).ok,
    false,
    'repeated header',
  )
})

t.test('rule 2: timestamp + sign with the app secret, within an hour', async (t) => {
  t.same(verifyOutgoing(appRobotHeaders(secrets.appSecret, now), secrets, now), {
    ok: true,
    via: 'sign',
  })
  const early = appRobotHeaders(secrets.appSecret, now - MAX_SKEW_MS)
  t.equal(verifyOutgoing(early, secrets, now).ok, true, 'exactly one hour old is still in')
  const stale = verifyOutgoing(
    appRobotHeaders(secrets.appSecret, now - MAX_SKEW_MS - 1),
    secrets,
    now,
  )
  t.same(stale, { ok: false, reason: 'the timestamp header is more than one hour from now' })
  const future = verifyOutgoing(
    appRobotHeaders(secrets.appSecret, now + MAX_SKEW_MS + 1),
    secrets,
    now,
  )
  t.equal(future.ok, false)
  const wrongKey = verifyOutgoing(appRobotHeaders('other-secret', now), secrets, now)
  t.same(wrongKey, {
    ok: false,
    reason: 'the sign header does not match dingtalk.outgoing.appSecret',
  })
  const seconds = verifyOutgoing(
    appRobotHeaders(secrets.appSecret, Math.floor(now / 1000)),
    secrets,
    now,
  )
  t.equal(seconds.ok, false, 'a timestamp in seconds is far outside the hour')
  const urlEncoded = {
    timestamp: String(now),
    sign: encodeURIComponent(signAppCallback(secrets.appSecret, now)),
  }
  t.equal(verifyOutgoing(urlEncoded, secrets, now).ok, false, 'a URL-encoded sign does not match')
  const notNumber = verifyOutgoing({ timestamp: 'yesterday', sign: 'x' }, secrets, now)
  t.same(notNumber, { ok: false, reason: 'the timestamp header is not a time in milliseconds' })
})

t.test('rule 3: missing credentials, or credentials of a kind not configured, fail', async (t) => {
  t.same(verifyOutgoing({}, secrets, now), {
    ok: false,
    reason: 'no token or timestamp+sign headers',
  })
  t.equal(verifyOutgoing({ sign: 'x' }, secrets, now).ok, false, 'sign without timestamp')
  t.equal(
    verifyOutgoing({ token: 'out-token' }, { appSecret: 'a' }, now).ok,
    false,
    'no token configured',
  )
  t.equal(
    verifyOutgoing(appRobotHeaders('a', now), { token: 'out-token' }, now).ok,
    false,
    'no appSecret configured',
  )
})

t.test('no reason ever contains a secret', async (t) => {
  const attempts = [
    verifyOutgoing({ token: 'guess' }, secrets, now),
    verifyOutgoing(appRobotHeaders('guess', now), secrets, now),
    verifyOutgoing({}, secrets, now),
  ]
  for (const a of attempts) {
    t.equal(a.ok, false)
    t.notMatch(JSON.stringify(a), /out-token|app-secret-xyz/)
  }
})
