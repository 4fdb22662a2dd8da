import t from 'tap'
import { createEventArchive } from '../../../src/store/events.ts'
import { createEventsQuery, MESSAGE_CHARS } from '../../../src/store/events-query.ts'
import { openStore } from '../../../src/store/open-store.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'

const now = Date.UTC(2026, 10, 24, 12)
const M = 60_000

function seeded(t: { teardown(fn: () => void): void }) {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const archive = createEventArchive(store)
  const add = (minutesAgo: number, e: Parameters<typeof aClusterEvent>[0] = {}) =>
    archive.upsert(aClusterEvent({ lastSeen: now - minutesAgo * M, ...e }))
  add(1, { namespace: 'prod', name: 'web-1', reason: 'BackOff' })
  add(2, { namespace: 'prod', name: 'web-2', reason: 'Unhealthy' })
  add(3, { namespace: 'dev', name: 'web-1', reason: 'BackOff' })
  add(4, { namespace: 'prod', name: 'api-1', reason: 'Scheduled', type: 'Normal' })
  add(5, { namespace: '', kind: 'Node', name: 'node-a', reason: 'NodeNotReady' })
  add(90, { namespace: 'prod', name: 'web-old', reason: 'BackOff' })
  return { store, query: createEventsQuery(store), add }
}

const names = (rows: Array<{ name: string }>) => rows.map((r) => r.name)
const base = { since: now - 60 * M, limit: 10 }

t.test('newest first, inside the window, up to the limit', async (t) => {
  const { query } = seeded(t)
  t.same(names(query.find(base)), ['web-1', 'web-2', 'web-1', 'api-1', 'node-a'])
  t.same(names(query.find({ ...base, limit: 2 })), ['web-1', 'web-2'])
  t.same(names(query.find({ ...base, since: now - 100 * M })).at(-1), 'web-old')
})

t.test('filters: type, namespace, kind and reason (any case), name exact or with *', async (t) => {
  const { query } = seeded(t)
  t.same(names(query.find({ ...base, type: 'Normal' })), ['api-1'])
  t.same(names(query.find({ ...base, type: 'Warning', namespace: 'prod' })), ['web-1', 'web-2'])
  t.same(names(query.find({ ...base, kind: 'node' })), ['node-a'])
  t.same(names(query.find({ ...base, reason: 'backoff' })), ['web-1', 'web-1'])
  t.same(names(query.find({ ...base, name: 'web-1' })), ['web-1', 'web-1'])
  t.same(names(query.find({ ...base, name: 'web-*' })), ['web-1', 'web-2', 'web-1'])
  t.same(names(query.find({ ...base, name: '*-1', namespace: 'prod' })), ['web-1', 'api-1'])
  t.same(query.find({ ...base, namespace: 'nope' }), [])
})

t.test("GLOB's own ? and [ are literal in a name pattern", async (t) => {
  const { query, add } = seeded(t)
  add(1, { name: 'a?b' })
  add(1, { name: 'a[x]b' })
  t.same(names(query.find({ ...base, name: 'a?*' })), ['a?b'])
  t.same(names(query.find({ ...base, name: 'a[x]*' })), ['a[x]b'])
  t.same(query.find({ ...base, name: 'w?b-*' }), [])
})

t.test('rows carry what the chat shows; long messages are cut', async (t) => {
  const { query, add } = seeded(t)
  add(0, { name: 'long', message: 'x'.repeat(5000), count: 7 })
  const [row] = query.find({ ...base, limit: 1 })
  t.match(row, {
    namespace: 'default',
    kind: 'Pod',
    name: 'long',
    reason: 'BackOff',
    type: 'Warning',
    count: 7,
    lastSeen: now,
  })
  t.equal(row?.message.length, MESSAGE_CHARS)
})

t.test(
  'every filter is read from the time index, which holds them all: newest first, no sort',
  async (t) => {
    const { store } = seeded(t)
    const filters = [
      'type = ?',
      'namespace = ?',
      'kind = ? COLLATE NOCASE',
      'reason = ? COLLATE NOCASE',
      'name = ?',
      'name GLOB ?',
    ]
    for (const where of [...filters, filters.join(' AND ')]) {
      const params = [
        0,
        ...where
          .split('?')
          .slice(1)
          .map(() => 'x'),
      ]
      const plan = store.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT * FROM events WHERE last_seen >= ? AND ${where}
           ORDER BY last_seen DESC LIMIT 11`,
        )
        .all(...params) as Array<{ detail: string }>
      const detail = plan.map((p) => p.detail).join('; ')
      t.match(detail, /USING INDEX events_by_last_seen /, where)
      t.notMatch(detail, /TEMP B-TREE/, `${where}: the index gives the order`)
    }
    const indexes = store.db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'events'")
      .all()
      .map((r) => String(r.name))
    t.same(
      indexes.sort(),
      ['events_by_last_seen', 'events_by_uid', 'events_gone'],
      'each event written updates these and no more',
    )
  },
)
