import t from 'tap'
import { combineStates } from '../../../src/kube/watch-events.ts'

t.test('combineStates: only as healthy as the worst namespace', async (t) => {
  const up = { listed: true, connected: true, restarts: 1, lastListAt: 100, lastEventAt: 500 }
  const down = {
    listed: false,
    connected: false,
    restarts: 2,
    downSince: 300,
    lastError: 'HTTP 403',
    lastErrorAt: 400,
  }
  const older = {
    listed: true,
    connected: false,
    restarts: 0,
    lastListAt: 200,
    downSince: 250,
    lastError: 'old',
    lastErrorAt: 10,
  }
  t.same(combineStates([up, down, older]), {
    listed: false,
    connected: false,
    restarts: 3,
    lastListAt: 200,
    lastEventAt: 500,
    downSince: 250,
    lastError: 'HTTP 403',
    lastErrorAt: 400,
  })
  t.same(combineStates([up]), up)
  t.same(combineStates([up, { ...up, restarts: 0, lastListAt: 50 }]), { ...up, lastListAt: 100 })
})

t.test(
  'combineStates: a refused namespace does not keep the others from counting as listed',
  async (t) => {
    const listed = { listed: true, connected: true, restarts: 0 }
    const refused = { listed: false, connected: false, restarts: 3, refused: true, downSince: 5 }
    const pending = { listed: false, connected: false, restarts: 0 }
    const failing = { ...pending, restarts: 3, refused: false, lastError: 'HTTP 500' }
    t.match(combineStates([listed, refused]), { listed: true, connected: false, downSince: 5 })
    t.match(combineStates([refused, refused]), { listed: false }, 'one at least must be listed')
    t.match(combineStates([listed, pending]), { listed: false }, 'a first list still to come')
    t.match(combineStates([listed, failing]), { listed: false }, 'a failure that may pass')
    t.match(combineStates([listed, refused, pending]), { listed: false })
  },
)
