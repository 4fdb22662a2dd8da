/**
 * The SLS archive end to end against the fake Log Service: batching by time and by size, the
 * final flush on stop, and the queue joining the pipeline's transaction.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import t, { type Test } from 'tap'
import { createSlsArchive, type SlsArchiveOptions } from '../../src/archive/create-sls-archive.ts'
import { openStore } from '../../src/store/open-store.ts'
import { aClusterEvent } from '../helpers/cluster-events.ts'
import { type FakeSls, startFakeSls } from '../helpers/fake-sls.ts'
import { until } from '../helpers/sls-checks.ts'

async function setup(t: Test, over: Partial<SlsArchiveOptions> = {}) {
  const sls: FakeSls = await startFakeSls()
  const store = openStore(':memory:')
  const archive = createSlsArchive({
    config: sls.config,
    cluster: 'prod-hangzhou',
    store,
    logger: pino({ level: 'silent' }),
    fetch: sls.fetch,
    ...over,
  })
  t.teardown(async () => {
    await archive.stop(1000)
    store.close()
    await sls.close()
  })
  return { sls, store, archive }
}

const uidOf = (contents: Record<string, string>): string =>
  JSON.parse(contents.eventId ?? '{}').metadata.uid

t.test('events wait for the flush interval and leave together in one request', async (t) => {
  const { sls, archive } = await setup(t, { flushIntervalMs: 150 })
  archive.start()
  await sleep(20) // the start-up tick found nothing
  const events = [aClusterEvent(), aClusterEvent(), aClusterEvent({ message: '镜像拉取失败' })]
  const queuedAt = Date.now()
  for (const e of events) archive.enqueue([e])
  await sleep(40)
  t.equal(sls.requests.length, 0, 'nothing before the interval')
  await until('delivery', () => archive.stats().sentLogs === 3)
  t.ok(Date.now() - queuedAt >= 90, 'sent at the interval, not at once')
  t.equal(sls.requests.length, 1, 'one request for the three')
  t.same(
    sls.logs.map((l) => uidOf(l.contents)),
    events.map((e) => e.uid),
  )
  t.equal(sls.logs[2]?.contents.message, '镜像拉取失败')
  t.equal(sls.logs[0]?.contents.cluster, 'prod-hangzhou')
  t.match(archive.stats(), {
    state: 'ok',
    queued: 0,
    sentBatches: 1,
    sentLogs: 3,
    failedBatches: 0,
  })
  t.equal(archive.stats().bytesSent, sls.requests[0]?.bodyBytes)
})

t.test('reaching the size limit sends at once, in requests no bigger than the limit', async (t) => {
  const maxBatchBytes = 8 * 1024
  const { sls, archive } = await setup(t, { flushIntervalMs: 60_000, maxBatchBytes })
  archive.start()
  await sleep(20)
  archive.enqueue([aClusterEvent()])
  await sleep(100)
  t.equal(sls.requests.length, 0, 'a small queue waits for the interval')
  const events = Array.from({ length: 60 }, () => aClusterEvent({ message: 'x'.repeat(300) }))
  archive.enqueue(events)
  await until('delivery', () => archive.stats().sentLogs === 61)
  t.ok(sls.requests.length >= 5, `split into ${sls.requests.length} requests`)
  for (const r of sls.requests)
    t.ok(r.rawBytes <= maxBatchBytes, `${r.rawBytes} <= ${maxBatchBytes}`)
  t.equal(new Set(sls.logs.map((l) => uidOf(l.contents))).size, 61, 'each once')
  t.equal(archive.stats().queued, 0)
})

t.test('the topic goes with every batch', async (t) => {
  const sls = await startFakeSls()
  t.teardown(() => sls.close())
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const archive = createSlsArchive({
    config: { ...sls.config, topic: 'k8s-events' },
    cluster: 'c',
    store,
    logger: pino({ level: 'silent' }),
    fetch: sls.fetch,
    flushIntervalMs: 10,
  })
  archive.enqueue([aClusterEvent()])
  archive.start()
  await until('delivery', () => archive.stats().sentLogs === 1)
  await archive.stop(1000)
  t.equal(sls.logs[0]?.topic, 'k8s-events')
})

t.test('stop() sends what is queued before it returns', async (t) => {
  const { sls, archive } = await setup(t, { flushIntervalMs: 60_000, maxBatchBytes: 4096 })
  archive.start()
  await sleep(20)
  archive.enqueue(Array.from({ length: 40 }, () => aClusterEvent()))
  await archive.stop(5000)
  t.equal(sls.logs.length, 40)
  t.equal(archive.stats().queued, 0)
})

t.test('stop() is bounded: a request still unanswered is abandoned, its rows stay', async (t) => {
  const lines: string[] = []
  const { sls, archive } = await setup(t, {
    flushIntervalMs: 10,
    logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }),
  })
  sls.delayAnswers(400)
  archive.enqueue([aClusterEvent(), aClusterEvent()])
  archive.start()
  await until('the request to be in flight', () => sls.unanswered() === 1)
  const started = Date.now()
  await archive.stop(50)
  t.ok(Date.now() - started < 300, 'returned at the deadline')
  t.equal(archive.stats().queued, 2, 'nothing removed without an answer')
  t.equal(archive.stats().failedBatches, 0, 'not counted as a Log Service failure')
  t.notOk(
    lines.some((l) => JSON.parse(l).level >= 40),
    'no warning for the abandoned request',
  )
  await sleep(400) // let the fake answer the abandoned request before it closes
})

t.test('enqueue joins the caller’s transaction: a rollback leaves nothing queued', async (t) => {
  const { store, archive } = await setup(t)
  t.throws(() =>
    store.tx(() => {
      archive.enqueue([aClusterEvent(), aClusterEvent()])
      throw new Error('the pipeline failed')
    }),
  )
  t.equal(archive.stats().queued, 0)
  store.tx(() => archive.enqueue([aClusterEvent()]))
  archive.enqueue([])
  t.equal(archive.stats().queued, 1)
})

t.test('a damaged queue row is dropped with an error; the rest is delivered', async (t) => {
  const lines: string[] = []
  const { sls, store, archive } = await setup(t, {
    flushIntervalMs: 10,
    logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }),
  })
  const good = aClusterEvent()
  store.db.prepare('INSERT INTO sls_queue (at, log) VALUES (?, ?)').run(1, 'not json')
  archive.enqueue([good])
  archive.start()
  await until('delivery', () => archive.stats().sentLogs === 1)
  t.same(
    sls.logs.map((l) => uidOf(l.contents)),
    [good.uid],
  )
  t.match(archive.stats(), { droppedLogs: 1, queued: 0 })
  t.ok(
    lines.some((l) => JSON.parse(l).level === 50 && /cannot be encoded/.test(l)),
    'the drop is logged as an error',
  )
})

t.test('two stops at once flush once; a start after stop resumes', async (t) => {
  const { sls, archive } = await setup(t, { flushIntervalMs: 10, maxBatchBytes: 4096 })
  archive.start()
  const first = Array.from({ length: 40 }, () => aClusterEvent())
  archive.enqueue(first)
  await Promise.all([archive.stop(5000), archive.stop(5000)])
  t.equal(archive.stats().queued, 0)
  const second = [aClusterEvent(), aClusterEvent()]
  archive.enqueue(second)
  archive.start()
  await until('delivery', () => archive.stats().sentLogs === 42)
  t.same(
    sls.logs.map((l) => uidOf(l.contents)),
    [...first, ...second].map((e) => e.uid),
    'each once, in order',
  )
})
