import t from 'tap'
import { toSlsLog } from '../../../src/archive/to-sls-log.ts'
import { aClusterEvent } from '../../helpers/cluster-events.ts'

t.test('a Pod event carries kube-eventer keys, then flat copies', async (t) => {
  const event = aClusterEvent({
    uid: 'e-1',
    kind: 'Pod',
    namespace: 'shop',
    name: 'web-0',
    reason: 'FailedScheduling',
    message: '0/3 个节点可用',
    type: 'Warning',
    count: 7,
    firstSeen: Date.UTC(2026, 0, 2, 3, 4, 5, 0),
    lastSeen: Date.UTC(2026, 0, 2, 3, 9, 5, 250),
    component: 'default-scheduler',
    host: '',
    eventNamespace: 'shop',
    eventName: 'web-0.18a',
    resourceVersion: '42',
  })
  const log = toSlsLog(event, 'prod-hangzhou')
  t.equal(log.time, Date.UTC(2026, 0, 2, 3, 9, 5) / 1000)
  t.equal(log.timeNs, 250_000_000)
  t.same(Object.keys(log.contents), [
    'eventId',
    'hostname',
    'level',
    'pod_name',
    'cluster',
    'kind',
    'namespace',
    'name',
    'reason',
    'message',
    'count',
  ])
  t.match(log.contents, {
    hostname: '',
    level: 'Warning',
    pod_name: 'web-0',
    cluster: 'prod-hangzhou',
    kind: 'Pod',
    namespace: 'shop',
    name: 'web-0',
    reason: 'FailedScheduling',
    message: '0/3 个节点可用',
    count: '7',
  })
  t.same(JSON.parse(log.contents.eventId as string), {
    metadata: { name: 'web-0.18a', namespace: 'shop', uid: 'e-1', resourceVersion: '42' },
    involvedObject: { kind: 'Pod', namespace: 'shop', name: 'web-0' },
    reason: 'FailedScheduling',
    message: '0/3 个节点可用',
    source: { component: 'default-scheduler' },
    firstTimestamp: '2026-01-02T03:04:05Z',
    lastTimestamp: '2026-01-02T03:09:05Z',
    count: 7,
    type: 'Warning',
  })
})

t.test('a Node event has no pod_name and no involvedObject.namespace', async (t) => {
  const log = toSlsLog(
    aClusterEvent({ kind: 'Node', namespace: '', name: 'node-7', host: 'node-7', type: 'Normal' }),
    'c',
  )
  t.notOk('pod_name' in log.contents)
  t.equal(log.contents.hostname, 'node-7')
  t.equal(log.contents.level, 'Normal')
  t.same(JSON.parse(log.contents.eventId as string).involvedObject, {
    kind: 'Node',
    name: 'node-7',
  })
})

t.test('a time outside what Log Service can hold is clamped, never thrown', async (t) => {
  t.equal(toSlsLog(aClusterEvent({ lastSeen: -5 }), 'c').time, 0)
  t.equal(toSlsLog(aClusterEvent({ lastSeen: 2 ** 32 * 1000 + 5 }), 'c').time, 2 ** 32 - 1)
})

t.test(
  'archive.sls.labels become keys of their own after the event keys, never replacing one',
  async (t) => {
    const log = toSlsLog(aClusterEvent({ type: 'Warning' }), 'prod', { env: 'prod', level: 'x' })
    t.equal(log.contents.env, 'prod')
    t.equal(log.contents.level, 'Warning', 'a label named like an event key does not replace it')
    t.equal(Object.keys(log.contents).at(-1), 'env')
  },
)
