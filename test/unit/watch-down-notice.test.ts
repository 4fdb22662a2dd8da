/** The watch-down notice's rules, with a hand-driven watch state and clock. */
import t from 'tap'
import type { WatchState } from '../../src/kube/watch-state.ts'
import type { NoticeMessage } from '../../src/notify/outbox-message.ts'
import { createWatchDownNotice } from '../../src/watch-down-notice.ts'
import { testNow } from '../helpers/test-clock.ts'

function harness(sender: () => boolean) {
  const start = testNow()
  const h = {
    now: start,
    taken: 10,
    state: { listed: true, connected: true, restarts: 0 } as WatchState,
    told: [] as NoticeMessage[],
  }
  const notice = createWatchDownNotice({
    watch: () => h.state,
    eventsTaken: () => h.taken,
    isSender: sender,
    announce: (n) => void h.told.push(n),
    downAfterMs: 5 * 60_000,
    now: () => h.now,
  })
  return { h, notice, start }
}

t.test('a follower never tells; the leader tells once, then once when back', async (t) => {
  let leading = false
  const { h, notice, start } = harness(() => leading)
  h.state = { ...h.state, connected: false, downSince: start, lastError: 'connection refused' }
  h.now = start + 6 * 60_000
  notice.check()
  t.same(h.told, [], 'not while following')
  leading = true
  notice.check()
  notice.check()
  t.equal(h.told.length, 1, 'once')
  t.match(h.told[0], { topic: 'watch-down', since: start, error: 'connection refused' })
  h.state = { listed: true, connected: true, restarts: 1 }
  h.taken = 25
  notice.check()
  t.equal(h.told.length, 1, 'the catch-up is counted after a moment')
  h.now += 5_000
  notice.check()
  t.equal(h.told.length, 2)
  t.match(h.told[1], { topic: 'watch-back', since: start, caught: 15 })
  notice.check()
  t.equal(h.told.length, 2, 'nothing more')
})

t.test('a short blip is not told, and its recovery neither', async (t) => {
  const { h, notice, start } = harness(() => true)
  h.state = { ...h.state, connected: false, downSince: start }
  h.now = start + 60_000
  notice.check()
  h.state = { listed: true, connected: true, restarts: 1 }
  h.now += 10_000
  notice.check()
  t.same(h.told, [])
})
