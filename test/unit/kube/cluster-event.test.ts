import t from 'tap'
import {
  CLUSTER_SCOPED_KINDS,
  isRejection,
  MAX_COUNT,
  MAX_FIELD_CHARS,
  MAX_MESSAGE_CHARS,
  toClusterEvent,
} from '../../../src/kube/cluster-event.ts'
import { buildEvent } from '../../helpers/event-builders.ts'

const NOW = Date.parse('2026-12-01T00:00:00Z')
const ms = (iso: string) => Date.parse(iso)

// `'uid' in` narrows; isRejection's false branch narrows to never (ClusterEvent has a `reason` too).
function convert(raw: unknown) {
  const event = toClusterEvent(raw, NOW)
  if ('uid' in event) return event
  throw new Error(`rejected: ${event.reason}`)
}

t.test('a kubelet core/v1 event: the involved object, count and times as written', async (t) => {
  const raw = buildEvent({
    kind: 'Pod',
    name: 'web-7f9c',
    namespace: 'prod',
    uid: 'uid-1',
    eventName: 'web-7f9c.17a8f3c2',
    reason: 'BackOff',
    message: '  Back-off restarting failed container  ',
    count: 7,
    firstTimestamp: '2026-11-24T03:00:00Z',
    lastTimestamp: '2026-11-24T03:05:00Z',
    component: 'kubelet',
    host: 'node-3',
  })
  raw.metadata.resourceVersion = '4242'
  t.same(convert(raw), {
    uid: 'uid-1',
    created: ms('2026-11-24T03:00:00Z'),
    kind: 'Pod',
    namespace: 'prod',
    name: 'web-7f9c',
    reason: 'BackOff',
    message: 'Back-off restarting failed container',
    type: 'Warning',
    count: 7,
    firstSeen: ms('2026-11-24T03:00:00Z'),
    lastSeen: ms('2026-11-24T03:05:00Z'),
    component: 'kubelet',
    host: 'node-3',
    eventNamespace: 'prod',
    eventName: 'web-7f9c.17a8f3c2',
    resourceVersion: '4242',
  })
})

t.test(
  'events.k8s.io style: series count and lastObservedTime win, reporting* fill source',
  async (t) => {
    const raw = buildEvent({
      style: 'events.k8s.io',
      eventTime: '2026-11-24T03:00:00.123Z',
      seriesCount: 5,
      lastObservedTime: '2026-11-24T03:09:00.5Z',
      component: 'default-scheduler',
      host: 'scheduler-1',
      reason: 'FailedScheduling',
    })
    t.equal(raw.count, undefined, 'no count on the wire')
    t.equal(raw.lastTimestamp, null)
    const e = convert(raw)
    t.equal(e.count, 5)
    t.equal(e.lastSeen, ms('2026-11-24T03:09:00.5Z'))
    t.equal(e.firstSeen, ms('2026-11-24T03:00:00.123Z'), 'firstSeen falls back to eventTime')
    t.equal(e.component, 'default-scheduler')
    t.equal(e.host, 'scheduler-1')
  },
)

t.test(
  'eventTime only (a single events.k8s.io event): count 1, both times eventTime',
  async (t) => {
    const e = convert(buildEvent({ style: 'events.k8s.io', eventTime: '2026-11-24T04:00:00Z' }))
    t.equal(e.count, 1)
    t.equal(e.firstSeen, ms('2026-11-24T04:00:00Z'))
    t.equal(e.lastSeen, ms('2026-11-24T04:00:00Z'))
  },
)

t.test('no times at all: creationTimestamp, then now', async (t) => {
  const raw = buildEvent()
  raw.firstTimestamp = null
  raw.lastTimestamp = null
  raw.metadata.creationTimestamp = '2026-11-20T00:00:00Z'
  t.equal(convert(raw).lastSeen, ms('2026-11-20T00:00:00Z'))
  delete raw.metadata.creationTimestamp
  const e = convert(raw)
  t.equal(e.lastSeen, NOW)
  t.equal(e.firstSeen, NOW)
})

t.test(
  'created is the creationTimestamp as sent, whatever the clock: the same every time the object comes',
  async (t) => {
    const raw = buildEvent()
    raw.metadata.creationTimestamp = '2030-01-01T00:00:00Z'
    const later = toClusterEvent(raw, NOW + 86_400_000)
    t.equal(convert(raw).created, ms('2030-01-01T00:00:00Z'), 'a future one is not clamped to now')
    t.equal('uid' in later && later.created, ms('2030-01-01T00:00:00Z'))
    t.equal(convert(raw).lastSeen, NOW, 'while the times shown are')
    for (const bad of ['yesterday', '', 12345, null, `2026-11-24T03:00:00${'0'.repeat(100)}Z`]) {
      raw.metadata.creationTimestamp = bad
      t.equal(convert(raw).created, 0, `${JSON.stringify(bad).slice(0, 30)}: 0`)
    }
    delete raw.metadata.creationTimestamp
    t.equal(convert(raw).created, 0, 'missing: 0')
  },
)

t.test('firstSeen never after lastSeen; unparsable times are ignored', async (t) => {
  const raw = buildEvent({
    firstTimestamp: '2026-11-24T05:00:00Z',
    lastTimestamp: '2026-11-24T04:00:00Z',
  })
  t.equal(convert(raw).firstSeen, ms('2026-11-24T04:00:00Z'))
  raw.lastTimestamp = 'yesterday'
  t.equal(convert(raw).lastSeen, ms('2026-11-24T05:00:00Z'), 'falls back past the bad value')
})

t.test('count: zero, negative or not a number means 1', async (t) => {
  for (const count of [0, -3, '4', null, Number.NaN]) {
    const raw = buildEvent()
    raw.count = count
    t.equal(convert(raw).count, 1, `count ${String(count)}`)
  }
})

t.test('cluster-scoped kinds get namespace "" even when the object says otherwise', async (t) => {
  const node = convert(buildEvent({ kind: 'Node', name: 'node-1', reason: 'KernelDeadlock' }))
  t.equal(node.namespace, '')
  t.equal(node.eventNamespace, 'default', 'the Event object itself lives in default')
  const pv = buildEvent({ kind: 'PersistentVolume', name: 'pv-1' })
  ;(pv.involvedObject as Record<string, unknown>).namespace = 'default'
  t.equal(convert(pv).namespace, '')
  t.ok(CLUSTER_SCOPED_KINDS.has('Node'))
})

t.test(
  'type: anything but Normal is a Warning; missing fields get harmless defaults',
  async (t) => {
    t.equal(convert(buildEvent({ type: 'Normal' })).type, 'Normal')
    const raw = buildEvent()
    raw.type = 'Error'
    delete raw.reason
    delete raw.message
    delete raw.source
    raw.reportingComponent = ''
    const e = convert(raw)
    t.equal(e.type, 'Warning')
    t.equal(e.reason, 'Unknown')
    t.equal(e.message, '')
    t.equal(e.component, '')
    t.equal(e.host, '')
  },
)

t.test('rejections name what is missing; isRejection tells them apart', async (t) => {
  t.equal(isRejection(toClusterEvent(buildEvent(), NOW)), false)
  t.equal(isRejection(toClusterEvent({}, NOW)), true)
  const reasonOf = (raw: unknown) => {
    const r = toClusterEvent(raw, NOW)
    return isRejection(r) ? r.reason : 'accepted'
  }
  t.equal(reasonOf(null), 'not an object')
  t.equal(reasonOf('text'), 'not an object')
  const noUid = buildEvent()
  delete noUid.metadata.uid
  t.equal(reasonOf(noUid), 'metadata.uid is missing')
  const noKind = buildEvent()
  ;(noKind.involvedObject as Record<string, unknown>).kind = ''
  t.equal(reasonOf(noKind), 'involvedObject.kind is missing')
  const noName = buildEvent()
  delete noName.involvedObject
  t.equal(reasonOf(noName), 'involvedObject.kind is missing')
  const noObjectName = buildEvent()
  delete (noObjectName.involvedObject as Record<string, unknown>).name
  t.equal(reasonOf(noObjectName), 'involvedObject.name is missing')
})

t.test(
  'a cut never splits an emoji: no lone surrogate reaches DingTalk or the archive',
  async (t) => {
    const raw = buildEvent({
      name: `${'n'.repeat(MAX_FIELD_CHARS - 1)}😀`,
      reason: `${'R'.repeat(MAX_FIELD_CHARS - 1)}🔥`,
      // The pair straddles the cut: unit MAX_MESSAGE_CHARS - 1 is its high half.
      message: `${'x'.repeat(MAX_MESSAGE_CHARS - 1)}😀 tail`,
    })
    const event = convert(raw)
    for (const [field, value, max] of [
      ['name', event.name, MAX_FIELD_CHARS],
      ['reason', event.reason, MAX_FIELD_CHARS],
      ['message', event.message, MAX_MESSAGE_CHARS],
    ] as const) {
      t.ok(value.isWellFormed(), `${field} has no lone surrogate`)
      t.equal(value.length, max - 1, `${field} loses the whole emoji, not half of it`)
    }
    const fits = convert(buildEvent({ message: `${'x'.repeat(MAX_MESSAGE_CHARS - 2)}😀!` }))
    t.ok(fits.message.endsWith('😀'), 'an emoji ending right at the limit is kept')
    t.equal(fits.message.length, MAX_MESSAGE_CHARS)
  },
)

t.test('hostile values are clamped, cut or ignored, and each is reported', async (t) => {
  const reports: [string, string][] = []
  const report = (label: string, detail: string) => void reports.push([label, detail])
  const raw = buildEvent({
    name: 'n'.repeat(MAX_FIELD_CHARS + 1),
    reason: 'r'.repeat(10_000),
    message: 'm'.repeat(MAX_MESSAGE_CHARS * 10),
    count: 1e300,
    firstTimestamp: '2026-11-24T03:00:00Z',
    lastTimestamp: '9999-12-31T23:59:59Z',
  })
  const event = toClusterEvent(raw, NOW, report)
  if (!('uid' in event)) throw new Error('rejected')
  t.equal(event.count, MAX_COUNT)
  t.equal(event.lastSeen, NOW, 'a time far ahead becomes now')
  t.equal(event.firstSeen, ms('2026-11-24T03:00:00Z'))
  t.equal(event.name.length, MAX_FIELD_CHARS)
  t.equal(event.reason.length, MAX_FIELD_CHARS)
  t.equal(event.message.length, MAX_MESSAGE_CHARS)
  t.same(reports.map(([label]) => label).sort(), [
    'count',
    'future-time',
    'too-long', // involvedObject.name
    'too-long', // metadata.name (`<name>.<hex>`)
    'too-long', // reason
    'too-long', // message
  ])
  t.match(reports.find(([l]) => l === 'future-time')?.[1], /lastTimestamp is in the future/)

  const slightlyAhead = buildEvent({ lastTimestamp: new Date(NOW + 60_000).toISOString() })
  const ahead = toClusterEvent(slightlyAhead, NOW, report)
  t.equal('uid' in ahead && ahead.lastSeen, NOW + 60_000, 'a clock a minute fast is believed')

  reports.length = 0
  const garbled = buildEvent({ firstTimestamp: 'soon', lastTimestamp: `2026-${'1'.repeat(500)}` })
  delete (garbled.metadata as Record<string, unknown>).creationTimestamp
  const g = toClusterEvent(garbled, NOW, report)
  t.equal('uid' in g && g.lastSeen, NOW, 'no usable time: now')
  t.same(
    reports.map(([label]) => label),
    ['time', 'time'],
  )

  for (const count of [0.5, -3, Number.NaN, '7', null]) {
    const e = toClusterEvent(buildEvent({ count: count as number }), NOW)
    t.equal('uid' in e && e.count, 1, `count ${String(count)} is not a count: 1`)
  }
  const longUid = toClusterEvent(buildEvent({ uid: 'u'.repeat(MAX_FIELD_CHARS + 1) }), NOW)
  t.match(longUid, { label: 'too-long' }, 'a uid no API server makes is rejected, not cut')
  t.match(toClusterEvent({}, NOW), { label: 'missing-field' })
})
