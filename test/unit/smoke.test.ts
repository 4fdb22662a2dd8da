import { DatabaseSync } from 'node:sqlite'
import t from 'tap'

t.test('node 24 and sqlite', async (t) => {
  t.ok(Number(process.versions.node.split('.')[0]) >= 24, process.version)
  const db = new DatabaseSync(':memory:')
  t.equal((db.prepare('select 1 as x').get() as { x: number }).x, 1)
})
