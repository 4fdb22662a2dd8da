import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { toMessageIdentity } from '../../../src/ha/message-identity.ts'
import { createOutbox } from '../../../src/notify/outbox.ts'
import type { AlertMessage, OutboxMessage } from '../../../src/notify/outbox-message.ts'
import { toAlertEvent } from '../../../src/pipeline/pipeline.ts'
import { createEventArchive } from '../../../src/store/events.ts'
import { openStore } from '../../../src/store/open-store.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'

const alert = (occurrences: number): OutboxMessage => ({
  kind: 'alert',
  event: aClusterEvent(),
  occurrences,
  at: { mobiles: [], userIds: [], all: false },
})
const notice: OutboxMessage = { kind: 'notice', title: 'n', lines: [] }

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'kubeding-outbox-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('enqueue joins the caller transaction: a rollback leaves nothing', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const outbox = createOutbox(store)
  t.throws(() =>
    store.tx(() => {
      outbox.enqueue('ops', alert(1), 1)
      throw new Error('pipeline failed')
    }),
  )
  t.same(outbox.size('ops'), { messages: 0, occurrences: 0 })
  const id = store.tx(() => outbox.enqueue('ops', alert(3), 1))
  t.ok(id > 0)
  t.same(outbox.size('ops'), { messages: 1, occurrences: 3 })
})

t.test('messages survive closing and reopening the store file', async (t) => {
  const dir = tempDir(t)
  const first = openStore(dir)
  const outbox = createOutbox(first)
  const sent = alert(2)
  outbox.enqueue('ops', sent, 10)
  outbox.enqueue('ops', notice, 11)
  outbox.enqueue('dev', alert(1), 12)
  first.close()
  const again = openStore(dir)
  t.teardown(() => again.close())
  const reopened = createOutbox(again)
  const rows = reopened.peek('ops', 10)
  t.equal(rows.length, 2)
  t.same(rows[0]?.message, sent)
  t.same(
    rows.map((r) => r.kind),
    ['alert', 'notice'],
  )
  t.same(reopened.waiting(), [
    { robot: 'dev', messages: 1 },
    { robot: 'ops', messages: 2 },
  ])
})

t.test('settle removes exactly the answered rows and records the delivery', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const outbox = createOutbox(store)
  const ids = [1, 2, 3].map((n) => outbox.enqueue('ops', alert(n), 0))
  outbox.enqueue('dev', alert(9), 0)
  outbox.settle('ops', ids.slice(0, 2), {
    at: 100,
    kind: 'digest',
    occurrences: 3,
    errcode: 0,
    errmsg: 'ok',
  })
  t.same(
    outbox.peek('ops', 10).map((r) => r.id),
    [ids[2]],
  )
  t.same(outbox.size('dev'), { messages: 1, occurrences: 9 })
  const row = store.db.prepare('SELECT * FROM deliveries').get()
  t.match(row, { robot: 'ops', at: 100, kind: 'digest', occurrences: 3, errcode: 0 })
})

t.test('refuse and noteFailure keep the rows and note the error', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const outbox = createOutbox(store)
  const id = outbox.enqueue('ops', alert(1), 0)
  outbox.refuse('ops', [id], {
    at: 5,
    kind: 'alert',
    occurrences: 1,
    errcode: 130101,
    errmsg: 'send too fast',
  })
  outbox.noteFailure([id], 'network error (ECONNRESET)')
  const [row] = outbox.peek('ops', 1)
  t.match(row, { id, attempts: 2, lastError: 'network error (ECONNRESET)' })
  t.same(outbox.answeredSince('ops', 0), [5], 'a refusal counts in the rate budget')
})

t.test('the rate budget reads answers since a time, leaving local drops out', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const outbox = createOutbox(store)
  for (const [at, errcode] of [
    [10, 0],
    [20, 130101],
    [30, -100],
    [40, -101],
    [50, 0],
  ] as const) {
    outbox.settle('ops', [], { at, kind: 'alert', occurrences: 1, errcode, errmsg: '' })
  }
  outbox.settle('dev', [], { at: 45, kind: 'alert', occurrences: 1, errcode: 0, errmsg: '' })
  t.same(outbox.answeredSince('ops', 15), [20, 50])
})

t.test(
  'defer holds a robot across restarts; unreadable payloads are reported as such',
  async (t) => {
    const dir = tempDir(t)
    const first = openStore(dir)
    const outbox = createOutbox(first)
    outbox.enqueue('ops', alert(1), 0)
    t.equal(outbox.heldUntil('ops'), 0)
    outbox.defer('ops', 600_000)
    outbox.enqueue('ops', alert(1), 1000)
    first.db
      .prepare(
        "INSERT INTO outbox (robot, kind, created_at, not_before, occurrences, payload) VALUES ('ops', 'alert', 0, 0, 1, '{broken')",
      )
      .run()
    first.close()
    const again = openStore(dir)
    t.teardown(() => again.close())
    const reopened = createOutbox(again)
    t.equal(reopened.heldUntil('ops'), 600_000)
    t.equal(reopened.heldUntil('nobody'), undefined)
    t.equal(reopened.peek('ops', 10)[2]?.message, undefined)
    again.db
      .prepare(
        "INSERT INTO outbox (robot, kind, created_at, not_before, occurrences, payload) VALUES ('ops', 'alert', 0, 0, 1, '{\"kind\":\"weird\"}')",
      )
      .run()
    t.equal(reopened.peek('ops', 10)[3]?.message, undefined, 'an unknown kind is unreadable too')
  },
)

t.test(
  'an alert naming its archive row stores the occurrence only, and is read with the event as archived now',
  async (t) => {
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    const archive = createEventArchive(store)
    const outbox = createOutbox(store)
    const event = aClusterEvent({ message: 'Back-off restarting', count: 2, lastSeen: 5_000 })
    const row = archive.insert(event, 5_000)
    const queued: AlertMessage = {
      kind: 'alert',
      event: toAlertEvent(event),
      occurrences: 2,
      at: { mobiles: ['138'], userIds: [], all: false },
      row,
    }
    outbox.enqueue('ops', queued, 5_000)
    const { payload } = store.db.prepare('SELECT payload FROM outbox').get() as { payload: string }
    t.notMatch(payload, /Back-off|kubelet/, 'no copy of the event')
    archive.update(row, { ...event, message: 'Back-off again', count: 7, lastSeen: 9_000 }, 9_000)
    const sent = outbox.peek('ops', 5)[0]?.message
    t.same(
      sent,
      { ...queued, event: { ...queued.event, message: 'Back-off again' } },
      'count and last seen as queued, the rest as the archive holds it now',
    )
    t.equal(
      toMessageIdentity('ops', JSON.parse(payload) as OutboxMessage),
      toMessageIdentity('ops', sent as OutboxMessage),
      'the stored form (what a standby reads) and the sent message have one identity',
    )
  },
)

t.test(
  'an alert whose archive row is gone or holds another event cannot be read, and is dropped as unreadable',
  async (t) => {
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    const archive = createEventArchive(store)
    const outbox = createOutbox(store)
    const queue = (uid: string) => {
      const event = aClusterEvent({ uid })
      const row = archive.insert(event, 1)
      outbox.enqueue('ops', { ...(alert(1) as AlertMessage), event: toAlertEvent(event), row }, 1)
      return row
    }
    const gone = queue('gone')
    const replaced = queue('replaced')
    queue('fine')
    // Only a store changed by hand does this: the archive spares the rows alerts name.
    store.db.prepare('DELETE FROM events WHERE rowid = ?').run(gone)
    store.db.prepare("UPDATE events SET uid = 'another' WHERE rowid = ?").run(replaced)
    t.same(
      outbox
        .peek('ops', 5)
        .map((r) => (r.message?.kind === 'alert' ? r.message.event.uid : r.message)),
      [undefined, undefined, 'fine'],
    )
  },
)
