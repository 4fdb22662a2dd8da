import t from 'tap'
import { createAuditLog } from '../../../src/store/audit.ts'
import { openStore } from '../../../src/store/open-store.ts'

t.test('records write commands and lists the newest first', async (t) => {
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const audit = createAuditLog(store)
  const entry = {
    senderId: 'staff-alice',
    senderName: 'Alice',
    conversationId: 'cid1',
    command: 'mute ns=prod',
    outcome: 'ok: Muted m1',
  }
  audit.record({ ...entry, at: 1_000 })
  audit.record({ ...entry, at: 2_000, command: 'unmute m1', outcome: 'ok: Ended m1' })
  audit.record({ ...entry, at: 2_000, command: 'x'.repeat(2_000), outcome: 'refused: bad_value' })
  const recent = audit.recent(2)
  t.same(
    recent.map((e) => e.outcome),
    ['refused: bad_value', 'ok: Ended m1'],
  )
  t.equal(recent[0]?.command.length, 500, 'a very long command is cut')
  t.same(audit.recent(10).at(-1), { ...entry, at: 1_000 })
})
