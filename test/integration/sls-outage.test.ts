/**
 * The SLS archive when Log Service is down, slow or refusing: nothing lost, nothing sent twice,
 * no retry storm, and no secret in any log line.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import t, { type Test } from 'tap'
import { createSlsArchive, type SlsArchiveOptions } from '../../src/archive/create-sls-archive.ts'
import type { ClusterEvent } from '../../src/kube/cluster-event.ts'
import { openStore, type Store } from '../../src/store/open-store.ts'
import { aClusterEvent } from '../helpers/cluster-events.ts'
import { type FakeSls, startFakeSls } from '../helpers/fake-sls.ts'
import { assertExactlyOnce, until } from '../helpers/sls-checks.ts'

/** A pino logger whose lines the test can read. */
function captured() {
  const lines: string[] = []
  return { lines, logger: pino({ level: 'debug' }, { write: (line: string) => lines.push(line) }) }
}

async function fake(t: Test): Promise<FakeSls> {
  const sls = await startFakeSls()
  t.teardown(() => sls.close())
  return sls
}

function archiveOn(sls: FakeSls, store: Store, over: Partial<SlsArchiveOptions> = {}) {
  return createSlsArchive({
    config: sls.config,
    cluster: 'prod',
    store,
    logger: pino({ level: 'silent' }),
    fetch: sls.fetch,
    flushIntervalMs: 20,
    maxBatchBytes: 16 * 1024,
    retryBaseMs: 20,
    maxRetryMs: 80,
    ...over,
  })
}

const events = (n: number): ClusterEvent[] => Array.from({ length: n }, () => aClusterEvent())

t.test(
  'Log Service down: rows kept, retried with capped backoff, delivered once when back',
  async (t) => {
    const sls = await fake(t)
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    const { lines, logger } = captured()
    const archive = archiveOn(sls, store, { logger })
    t.teardown(() => archive.stop(1000))
    await sls.down()
    archive.start()
    const sent = events(120)
    archive.enqueue(sent)
    await until('a few failed attempts', () => archive.stats().failedBatches >= 4)
    t.match(archive.stats(), {
      state: 'retrying',
      queued: 120,
      sentLogs: 0,
      lastError: /NetworkError.*archive\.sls\.endpoint/,
    })
    const warning = JSON.parse(lines.find((l) => JSON.parse(l).level === 40) ?? '{}')
    t.match(warning, { errorCode: 'NetworkError', attempt: 1, retryInMs: 20, queued: 120 })
    t.ok(
      lines
        .map((l) => JSON.parse(l))
        .filter((l) => l.level === 40)
        .every((l) => l.retryInMs <= 80),
      'backoff capped',
    )
    await sls.up()
    await until('the queue to drain', () => archive.stats().queued === 0)
    assertExactlyOnce(t, sls, sent)
    t.equal(archive.stats().state, 'ok')
    t.ok(
      lines.some((l) => /accepts the archive again/.test(l)),
      'recovery logged',
    )
  },
)

t.test('500s and write quota throttling are retried until accepted, each log once', async (t) => {
  const sls = await fake(t)
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const archive = archiveOn(sls, store)
  t.teardown(() => archive.stop(1000))
  sls.failWith({ status: 500, errorCode: 'InternalServerError' }, 2)
  archive.start()
  const first = events(30)
  archive.enqueue(first)
  await until('delivery', () => archive.stats().sentLogs === 30)
  sls.failWith(
    { status: 403, errorCode: 'ShardWriteQuotaExceed', errorMessage: 'shard write quota exceed' },
    3,
  )
  const second = events(30)
  archive.enqueue(second)
  await until('delivery', () => archive.stats().sentLogs === 60)
  assertExactlyOnce(t, sls, [...first, ...second])
  t.equal(archive.stats().failedBatches, 5)
  t.match(archive.stats().lastError, /ShardWriteQuotaExceed/)
})

t.test('a restart in the middle of an outage loses nothing and sends nothing twice', async (t) => {
  const dir = t.testdir({})
  const sls = await fake(t)
  let store = openStore(dir)
  let archive = archiveOn(sls, store)
  archive.start()
  const before = events(40)
  archive.enqueue(before)
  await until('the first part', () => archive.stats().sentLogs === 40)
  await sls.down()
  const during = events(70)
  archive.enqueue(during)
  await until('a failure', () => archive.stats().failedBatches >= 1)
  await archive.stop(500)
  t.equal(archive.stats().queued, 70, 'still queued at shutdown')
  store.close()

  await sls.up()
  store = openStore(dir)
  t.teardown(() => store.close())
  archive = archiveOn(sls, store)
  t.teardown(() => archive.stop(1000))
  t.equal(archive.stats().queued, 70, 'the new instance finds them')
  const after = events(10)
  archive.enqueue(after)
  archive.start()
  await until('the queue to drain', () => archive.stats().queued === 0)
  assertExactlyOnce(t, sls, [...before, ...during, ...after])
})

t.test(
  'bad credentials: refused, no retry storm, surfaced in stats, never the secret',
  async (t) => {
    const secret = 'wrong-secret-4fdO2fTDDnZPU'
    const sls = await fake(t)
    const store = openStore(':memory:')
    t.teardown(() => store.close())
    const { lines, logger } = captured()
    const archive = archiveOn(sls, store, {
      logger,
      config: { ...sls.config, accessKeySecret: secret },
      maxBatchBytes: 2048,
    })
    archive.start()
    archive.enqueue(events(20))
    await until('the refusal', () => archive.stats().failedBatches === 1)
    // Far over maxBatchBytes, which would send at once if the service were taking batches.
    for (let i = 0; i < 10; i++) archive.enqueue(events(20))
    await sleep(300)
    t.equal(sls.requests.length, 1, 'one request, then nothing until the next probe')
    const stats = archive.stats()
    t.match(stats, {
      state: 'refused',
      queued: 220,
      sentLogs: 0,
      failedBatches: 1,
      lastError: /^SignatureNotMatch: .*archive\.sls\.accessKeySecret/,
    })
    const errors = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 50)
    t.equal(errors.length, 1)
    t.match(errors[0], {
      msg: /refused the archive batch \(SignatureNotMatch\).*archive\.sls\.accessKeySecret.*stay queued/,
      status: 401,
      nextProbeMs: 300_000,
    })
    await archive.stop(1000)
    t.equal(sls.requests.length, 1, 'no final flush into a refusal')
    t.notOk(
      lines.some((l) => l.includes(secret)),
      'no log line holds the secret',
    )
    t.notOk(JSON.stringify(archive.stats()).includes(secret), 'neither do the stats')
  },
)

t.test('after a refusal the archive probes again rarely and resumes when accepted', async (t) => {
  const sls = await fake(t)
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const archive = archiveOn(sls, store, { probeIntervalMs: 200 })
  t.teardown(() => archive.stop(1000))
  sls.failWith({ status: 401, errorCode: 'Unauthorized', errorMessage: 'denied by sts or ram' })
  const sent = events(5)
  archive.enqueue(sent)
  archive.start()
  await until('the refusal', () => archive.stats().state === 'refused')
  t.match(archive.stats().lastError, /Unauthorized.*archive\.sls\.accessKeyId/)
  const refusedAt = Date.now()
  sls.failWith(undefined) // the operator fixed the RAM policy
  await until('the probe', () => archive.stats().queued === 0)
  t.ok(Date.now() - refusedAt >= 150, 'waited for the probe interval')
  t.equal(sls.requests.length, 2)
  assertExactlyOnce(t, sls, sent)
  t.equal(archive.stats().state, 'ok')
})

t.test('a wrong logstore is refused naming archive.sls.logstore', async (t) => {
  const sls = await fake(t)
  const store = openStore(':memory:')
  t.teardown(() => store.close())
  const archive = archiveOn(sls, store, { config: { ...sls.config, logstore: 'k8s-logstroe' } })
  t.teardown(() => archive.stop(1000))
  archive.enqueue(events(1))
  archive.start()
  await until('the refusal', () => archive.stats().state === 'refused')
  t.match(archive.stats().lastError, /^LogStoreNotExist: .*archive\.sls\.logstore/)
})
