/**
 * The shared state's document: read back as written, a hand-edited or damaged key read as empty
 * (and named), and every list kept within its bound so the ConfigMap stays under 1 MiB whatever
 * the cluster does.
 */
import t from 'tap'
import {
  BOUNDS,
  createEmptyDoc,
  parseSharedDoc,
  toConfigMapData,
} from '../../../src/ha/shared-doc.ts'
import { testNow } from '../../helpers/test-clock.ts'

const now = testNow()
const aMute = (id: string, over: Record<string, unknown> = {}) => ({
  id,
  selector: { namespace: 'prod' },
  createdBy: 'u1',
  createdByName: 'Alice',
  conversationId: 'c1',
  createdAt: now - 1_000,
  endsAt: now + 3_600_000,
  endedAt: undefined,
  endedBy: undefined,
  heldBack: 0,
  ...over,
})

t.test('what is written reads back the same', async (t) => {
  const doc = createEmptyDoc()
  doc.delivered.ops = { abcdefghij: now - 5_000, 'ABC-_12345': now }
  doc.answered.ops = [now - 2_000, now - 1_000]
  doc.paused.ops = now + 60_000
  doc.mutes = [aMute('m1')]
  doc.msgIds = { msg1: { at: now, by: 'pod-a' } }
  doc.replicas = { 'pod-a': { seenAt: now, watch: 'leader' } }
  const { doc: back, problems } = parseSharedDoc(toConfigMapData(structuredClone(doc), now))
  t.same(problems, [])
  t.same(back.delivered, doc.delivered)
  t.same(back.answered, doc.answered)
  t.same(back.paused, doc.paused)
  t.same(back.mutes, [aMute('m1')])
  t.same(back.msgIds, doc.msgIds)
  t.same(back.replicas, doc.replicas)
})

t.test(
  'a damaged or hand-edited key is read as empty and named; the others still count',
  async (t) => {
    const good = toConfigMapData(
      Object.assign(createEmptyDoc(), { paused: { ops: now + 1_000 } }),
      now,
    )
    const { doc, problems } = parseSharedDoc({
      ...good,
      mutes: '[{"id":"x; DROP TABLE"}]',
      answered: '{not json',
      delivered: '{"ops":"ok12345678:zz junk entry-without-time :"}',
      replicas: JSON.stringify({ p: { seenAt: 'yesterday', watch: 'x' } }),
    })
    t.same(doc.mutes, [])
    t.same(doc.answered, {})
    t.same(doc.replicas, {})
    t.same(doc.delivered, { ops: { ok12345678: Number.parseInt('zz', 36) } }, 'bad entries skipped')
    t.same(doc.paused, { ops: now + 1_000 }, 'the readable key is kept')
    t.match(problems.join('\n'), /mutes/)
    t.match(problems.join('\n'), /answered: not JSON/)
    t.match(problems.join('\n'), /replicas/)
    t.same(parseSharedDoc(undefined).doc, createEmptyDoc(), 'a ConfigMap with no data is empty')
  },
)

t.test('every list is bounded by age and count', async (t) => {
  const doc = createEmptyDoc()
  const many: Record<string, number> = {}
  for (let i = 0; i < BOUNDS.deliveredTotal + 5_000; i++) many[`id${i}`] = now - 30_000 + i
  doc.delivered.ops = many
  doc.delivered.old = { oldoldold1: now - BOUNDS.deliveredAgeMs - 1 }
  doc.answered.ops = Array.from({ length: 500 }, (_, i) => now - 60_000 + i)
  doc.answered.stale = [now - 62_000]
  doc.paused = { ops: now - 1, other: now + 1 }
  doc.mutes = [
    ...Array.from({ length: 300 }, (_, i) => aMute(`m${i + 2}`, { createdAt: now - 300 + i })),
    aMute('m1', { endedAt: now - BOUNDS.endedMuteAgeMs - 1, endsAt: now - 1 }),
  ]
  for (let i = 0; i < 2_000; i++) doc.msgIds[`msg${i}`] = { at: now - i, by: 'pod-a' }
  doc.msgIds.old = { at: now - BOUNDS.msgIdAgeMs - 1, by: 'pod-a' }
  for (let i = 0; i < 30; i++) doc.replicas[`pod-${i}`] = { seenAt: now - i, watch: 'follower' }
  doc.replicas.gone = { seenAt: now - BOUNDS.replicaAgeMs - 1, watch: 'follower' }

  const data = toConfigMapData(doc, now)
  const bytes = Object.values(data).reduce((n, v) => n + Buffer.byteLength(v), 0)
  t.ok(bytes < 1_048_576, `${bytes} bytes: under a ConfigMap's 1 MiB`)
  const { doc: back } = parseSharedDoc(data)
  t.equal(Object.keys(back.delivered.ops ?? {}).length, BOUNDS.deliveredTotal, 'newest kept')
  t.ok(back.delivered.ops?.[`id${BOUNDS.deliveredTotal + 4_999}`], 'the newest is there')
  t.notOk(back.delivered.old, 'too old: gone')
  t.equal(back.answered.ops?.length, BOUNDS.answeredPerRobot)
  t.notOk(back.answered.stale)
  t.same(back.paused, { other: now + 1 })
  t.equal(back.mutes.length, BOUNDS.mutes)
  t.notOk(
    back.mutes.some((m) => m.id === 'm1'),
    'a mute ended long ago is forgotten',
  )
  t.equal(Object.keys(back.msgIds).length, BOUNDS.msgIds)
  t.notOk(back.msgIds.old)
  t.equal(Object.keys(back.replicas).length, BOUNDS.replicas)
  t.notOk(back.replicas.gone)
})

t.test('a burst of short mutes does not push out one still on, however old', async (t) => {
  const doc = createEmptyDoc()
  doc.mutes = [
    aMute('m1', { createdAt: now - 6 * 86_400_000, endsAt: now + 86_400_000 }),
    ...Array.from({ length: 300 }, (_, i) =>
      aMute(`m${i + 2}`, { createdAt: now - 600_000 + i, endsAt: now - 60_000 + i }),
    ),
    aMute('m302', { createdAt: now }),
  ]
  const { doc: back } = parseSharedDoc(toConfigMapData(doc, now))
  t.equal(back.mutes.length, BOUNDS.mutes)
  t.same(
    back.mutes.filter((m) => m.endsAt > now).map((m) => m.id),
    ['m1', 'm302'],
    'both mutes still on are kept',
  )
  t.equal(back.mutes.at(-2)?.id, 'm301', 'then the newest of those that ended')
})
