import t from 'tap'
import { createInvalidEvents, identityOf } from '../../../src/pipeline/invalid-events.ts'
import { recordingLogger } from '../../helpers/fake-kube-api.ts'

t.test('counted every time, logged once per Event, with bounded memory and fields', async (t) => {
  const log = recordingLogger()
  const invalid = createInvalidEvents(log.logger)
  const who = { uid: 'u1', namespace: 'prod', name: 'web.1' }
  invalid.note('count', 'count is 1e300', who)
  invalid.note('count', 'count is 1e300', who)
  t.equal(invalid.counts().get('count'), 2)
  t.equal(log.lines.length, 1)
  t.match(log.lines[0], { obj: { reason: 'count', namespace: 'prod', name: 'web.1', uid: 'u1' } })

  invalid.note('missing-field', 'involvedObject.kind is missing', {
    namespace: 'n'.repeat(10_000),
    name: 42,
  })
  t.equal(String(log.lines[1]?.obj.namespace).length, 256, 'cut for the log')
  t.equal(log.lines[1]?.obj.name, undefined, 'not a string: left out')
  t.match(log.lines[1]?.msg, /skipped an Event/)
  invalid.note('missing-field', 'not an object', undefined)

  // Once more than the memory holds were logged, the oldest may be logged again: bounded.
  for (let i = 0; i < 2_000; i++) invalid.note('time', 'x', { uid: `flood-${i}` })
  const before = log.lines.length
  invalid.note('count', 'count is 1e300', who)
  t.equal(log.lines.length, before + 1, 'forgotten after the flood')
  invalid.note('time', 'x', { uid: 'flood-1999' })
  t.equal(log.lines.length, before + 1, 'recent ones still remembered')
})

t.test('identityOf reads metadata, and nothing else', async (t) => {
  t.same(identityOf({ metadata: { uid: 'a' } }), { uid: 'a' })
  t.equal(identityOf({ metadata: 'x' }), undefined)
  t.equal(identityOf(null), undefined)
})
