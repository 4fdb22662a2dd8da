import t from 'tap'
import { createReplyMemory } from '../../../src/chatops/reply-memory.ts'

const limits = { ttlMs: 60_000, maxEntries: 3, maxBytes: 10_000 }
const answer = (reply: string) => Promise.resolve({ reply, quiet: false })
const settle = () => new Promise((resolve) => setImmediate(resolve))

t.test('remembers by msgId until the TTL, the entry cap or the byte cap', async (t) => {
  const memory = createReplyMemory<string>(limits)
  memory.remember('a', answer('A'), 0)
  t.same(await memory.recall('a', 59_999), { reply: 'A', quiet: false })
  t.equal(memory.recall('a', 60_000), undefined, 'forgotten after the TTL')
  for (const id of ['b', 'c', 'd', 'e']) memory.remember(id, answer(id), 70_000)
  t.equal(memory.recall('b', 70_000), undefined, 'the oldest goes first past the entry cap')
  t.equal(memory.size().entries, 3)
  memory.remember('big', answer('x'.repeat(4_000)), 70_000)
  await settle()
  t.ok(memory.size().bytes <= 10_000, `bytes held: ${memory.size().bytes}`)
  t.ok(memory.recall('big', 70_000), 'the newest stays')
  t.equal(memory.recall('c', 70_000), undefined, 'older ones made room for it')
})

t.test('a failed answer is not remembered, so a re-delivery may run again', async (t) => {
  const memory = createReplyMemory<string>(limits)
  memory.remember('a', Promise.reject(new Error('store down')), 0)
  await settle()
  t.equal(memory.recall('a', 0), undefined)
  t.same(memory.size(), { entries: 0, bytes: 0 })
})
