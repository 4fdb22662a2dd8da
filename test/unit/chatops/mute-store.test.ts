import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { toMuteEndedNotice } from '../../../src/chatops/mute-text.ts'
import type { MarkdownMessage } from '../../../src/dingtalk/dingtalk-message.ts'
import { renderMessage } from '../../../src/notify/render-message.ts'
import { createMuteStore, type NewMute } from '../../../src/store/mutes.ts'
import { openStore } from '../../../src/store/open-store.ts'

const now = Date.UTC(2026, 10, 24, 12)
const H = 3_600_000
const pod = { namespace: 'prod', kind: 'Pod', name: 'web-7d9f', reason: 'BackOff' }

const aMute = (selector: NewMute['selector'], overrides: Partial<NewMute> = {}): NewMute => ({
  selector,
  createdBy: 'staff-alice',
  createdByName: 'Alice',
  conversationId: 'cid1',
  createdAt: now,
  endsAt: now + H,
  ...overrides,
})

function memoryStore(t: Tap) {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  return { store, mutes: createMuteStore(store) }
}
type Tap = { teardown(fn: () => void): void }

t.test('a mute matches events that match every key it names', async (t) => {
  const { mutes } = memoryStore(t)
  t.equal(mutes.match(pod, now), undefined)
  const m = mutes.add(aMute({ namespace: 'prod', reason: 'BackOff' }))
  t.equal(m.id, 'm1')
  t.equal(mutes.match(pod, now)?.id, 'm1', 'takes effect on the very next event')
  t.equal(mutes.match({ ...pod, namespace: 'dev' }, now), undefined)
  t.equal(mutes.match({ ...pod, reason: 'Unhealthy' }, now), undefined)
})

t.test('name takes * wildcards; kind and reason ignore case; namespace is exact', async (t) => {
  const { mutes } = memoryStore(t)
  mutes.add(aMute({ name: 'web-*', kind: 'pod', reason: 'backoff' }))
  t.ok(mutes.match(pod, now))
  t.ok(mutes.match({ ...pod, name: 'web-' }, now))
  t.notOk(mutes.match({ ...pod, name: 'api-web-1' }, now))
  t.notOk(mutes.match({ ...pod, kind: 'Node' }, now))
  const { mutes: other } = memoryStore(t)
  other.add(aMute({ name: 'a.b*c?' }))
  t.ok(other.match({ ...pod, name: 'a.bXXc?' }, now), 'regex characters are literal')
  t.notOk(other.match({ ...pod, name: 'aXbc?' }, now))
  other.add(aMute({ namespace: 'prod' }))
  t.notOk(other.match({ ...pod, namespace: 'Prod' }, now))
})

t.test('a mute stops matching when its time is up, even before expireDue runs', async (t) => {
  const { mutes } = memoryStore(t)
  mutes.add(aMute({ namespace: 'prod' }))
  t.ok(mutes.match(pod, now + H - 1))
  t.notOk(mutes.match(pod, now + H))
  t.same(
    mutes.active(now + H - 1).map((m) => m.id),
    ['m1'],
  )
  t.same(mutes.active(now + H), [])
})

t.test('held-back alerts are counted durably', async (t) => {
  const { mutes } = memoryStore(t)
  const m = mutes.add(aMute({ namespace: 'prod' }))
  mutes.recordHeldBack(m.id, 3)
  mutes.recordHeldBack(m.id, 2)
  t.equal(mutes.get(m.id)?.heldBack, 5)
  t.equal(mutes.active(now)[0]?.heldBack, 5)
})

t.test('end and endAll end active mutes early, once', async (t) => {
  const { mutes } = memoryStore(t)
  mutes.add(aMute({ namespace: 'prod' }))
  mutes.add(aMute({ reason: 'BackOff' }))
  mutes.add(aMute({ kind: 'Node' }))
  const ended = mutes.end('m1', 'Bob', now + 60_000)
  t.match(ended, { id: 'm1', endedAt: now + 60_000, endedBy: 'Bob' })
  t.equal(mutes.end('m1', 'Bob', now + 60_000), undefined, 'already ended')
  t.equal(mutes.end('m99', 'Bob', now), undefined, 'unknown')
  t.equal(mutes.match(pod, now + 60_000)?.id, 'm2')
  const all = mutes.endAll('Carol', now + 120_000)
  t.same(
    all.map((m) => [m.id, m.endedBy]),
    [
      ['m2', 'Carol'],
      ['m3', 'Carol'],
    ],
  )
  t.equal(mutes.match(pod, now + 120_000), undefined)
  t.same(mutes.endAll('Carol', now + 120_000), [])
})

t.test('expireDue marks run-out mutes ended at their end time, once', async (t) => {
  const { mutes } = memoryStore(t)
  mutes.add(aMute({ namespace: 'prod' }, { endsAt: now + H }))
  mutes.add(aMute({ namespace: 'dev' }, { endsAt: now + 2 * H }))
  t.same(mutes.expireDue(now + H - 1), [])
  const due = mutes.expireDue(now + H + 5_000)
  t.same(
    due.map((m) => [m.id, m.endedAt, m.endedBy]),
    [['m1', now + H, 'expired']],
  )
  t.same(mutes.expireDue(now + H + 5_000), [])
  t.same(
    mutes.active(now + H + 5_000).map((m) => m.id),
    ['m2'],
  )
})

t.test(
  'mutes survive a restart; ids keep counting; expiry during downtime is reported',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeding-mutes-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const first = openStore(dir)
    const before = createMuteStore(first)
    before.add(aMute({ namespace: 'prod' }, { endsAt: now + H }))
    before.add(aMute({ reason: 'OOMKilling' }, { endsAt: now + 3 * H }))
    before.recordHeldBack('m1', 4)
    first.close()

    const second = openStore(dir)
    t.teardown(() => second.close())
    const after = createMuteStore(second)
    t.equal(after.match(pod, now + 1)?.id, 'm1')
    t.equal(after.add(aMute({ kind: 'Node' }, { endsAt: now + 3 * H })).id, 'm3')
    const expired = after.expireDue(now + 2 * H)
    t.same(
      expired.map((m) => [m.id, m.heldBack]),
      [['m1', 4]],
    )
    t.equal(after.match({ ...pod, reason: 'OOMKilling' }, now + 2 * H)?.id, 'm2')
  },
)

t.test('the mute-ended notice says which mute, why, and what it held back', async (t) => {
  const { mutes } = memoryStore(t)
  mutes.add(aMute({ namespace: 'prod', reason: 'Back Off' }))
  mutes.recordHeldBack('m1', 12)
  const [expired] = mutes.expireDue(now + H)
  const notice = toMuteEndedNotice(expired!)
  t.match(notice, { kind: 'notice', topic: 'mute-ended', mute: { id: 'm1', heldBack: 12 } })
  const said = (n: typeof notice, language: 'en' | 'zh-CN' = 'en') =>
    (
      renderMessage(n, {
        robot: { name: 'ops', keywords: [], msgType: 'markdown' },
        cluster: 'prod',
        muteLinks: true,
        language,
      }) as MarkdownMessage
    ).markdown
  t.equal(said(notice).title, 'Mute m1 ended')
  t.match(said(notice).text, 'Mute m1 (ns=prod reason="Back Off") ran out after 1h.')
  t.match(said(notice).text, 'It held back 12 alerts; matching events alert again from now.')
  t.equal(said(notice, 'zh-CN').title, '静默 m1 已结束')
  t.match(said(notice, 'zh-CN').text, '静默 m1（ns=prod reason="Back Off"）已到期，共持续 1 小时。')
  mutes.add(aMute({ kind: 'Node' }))
  const early = mutes.end('m2', 'Bob', now)
  t.match(said(toMuteEndedNotice(early!)).text, /was ended early by Bob\./)
  t.match(said(toMuteEndedNotice(early!)).text, /held back no alerts/)
})
