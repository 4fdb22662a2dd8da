import t from 'tap'
import { hashKey } from '../../../src/store/hash-key.ts'

t.test(
  'the same text always gives the same hash: stored hashes stay valid across versions',
  async (t) => {
    // Pinned: a different function would leave every stored uid and window unfindable.
    t.equal(hashKey(''), 3296974202968557)
    t.equal(hashKey('a'), 3081690992740169)
    t.equal(
      hashKey('0a1b2c3d-0000-4000-8000-000000000001'),
      hashKey('0a1b2c3d-0000-4000-8000-000000000001'),
    )
  },
)

t.test('a safe integer for any text, spread over near-identical keys', async (t) => {
  const texts = [
    '',
    '名字',
    '\u0000',
    'x'.repeat(100_000),
    ...Array.from({ length: 10_000 }, (_, i) => `Pod/shop/web-${i}/BackOff`),
  ]
  const hashes = texts.map(hashKey)
  t.ok(hashes.every((h) => Number.isSafeInteger(h) && h >= 0))
  t.equal(new Set(hashes).size, texts.length, 'sequential names do not collide')
})
