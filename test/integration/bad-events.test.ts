/**
 * Hostile Events through the whole service: none may crash it or hold back the others. Each is
 * clamped or skipped, counted in `kubeding_events_invalid_total`, and logged once, not once per
 * relist.
 */
import t from 'tap'
import type { Service } from '../../src/service.ts'
import { buildEvent } from '../helpers/event-builders.ts'
import { eventually } from '../helpers/fake-kube-api.ts'
import { askChat, createRig, untilReady } from '../helpers/service-rig.ts'
import { isoAgo, testNow } from '../helpers/test-clock.ts'

const OUTGOING_TOKEN = 'outgoing-token-for-bad-events'

const say = (service: Service, text: string) => askChat(service, OUTGOING_TOKEN, text)

async function invalidCount(service: Service, reason: string): Promise<number> {
  const text = (await service.app.inject({ url: '/metrics' })).body
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`kubeding_events_invalid_total{reason="${reason}"}`))
  return line ? Number(line.split(' ').pop()) : 0
}

const titles = (rig: { dingtalk: { messages: { body: { markdown: { title: string } } }[] } }) =>
  rig.dingtalk.messages.map((m) => m.body.markdown.title)

const logLines = (text: string, what: string) =>
  text.split('\n').filter((l) => l.includes(what) && l.includes('kubeding_events_invalid_total'))

t.test(
  'absurd counts, dates in year 9999 or unparsable, missing fields and huge strings: clamped or skipped, the rest alerted',
  async (t) => {
    const rig = await createRig(t, {
      outgoing: { token: OUTGOING_TOKEN },
      config: { alerting: { groupWindow: '1s' } },
    })
    const service = await rig.start({
      notifierTuning: { digestSpacingMs: 50, retryDelayMs: 50, maxRetryDelayMs: 200 },
    })
    await untilReady(service)
    const huge = 'x'.repeat(1_000_000)
    const future = buildEvent({ name: 'from-the-future', reason: 'Future' })
    future.lastTimestamp = '9999-12-31T23:59:59Z'
    future.firstTimestamp = '9999-12-31T23:59:59Z'
    const garbled = buildEvent({ name: 'garbled-time', reason: 'Garbled' })
    garbled.lastTimestamp = 'yesterday-ish'
    garbled.firstTimestamp = `2026-${'9'.repeat(100_000)}`
    const headless = buildEvent({ name: 'headless', eventName: 'headless.1' })
    delete headless.involvedObject
    const sent = [
      buildEvent({ name: 'absurd-count', reason: 'Absurd', count: 1e300 }),
      future,
      garbled,
      headless,
      buildEvent({ name: `long-${'n'.repeat(10_000)}`, reason: 'Long', message: huge }),
      buildEvent({ name: 'fine', reason: 'Fine' }),
    ]
    for (const e of sent) rig.kube.addEvent(e)
    await eventually(() => rig.dingtalk.messages.length >= 5, 'five alerts', 10_000)
    const all = titles(rig).join('\n')
    for (const name of ['absurd-count', 'from-the-future', 'garbled-time', 'long-nnn', 'fine'])
      t.match(all, name, `${name} alerted`)
    t.notMatch(all, 'headless', 'the Event without an involved object is skipped')
    t.ok(
      rig.dingtalk.messages.every((m) => JSON.stringify(m.body).length < 25_000),
      'no message carries the megabyte',
    )
    const row = service.store.db
      .prepare(
        "SELECT count, length(message) AS m, length(name) AS n FROM events WHERE name LIKE 'long-%' OR name = 'absurd-count' ORDER BY name",
      )
      .all() as { count: number; m: number; n: number }[]
    t.equal(row[0]?.count, 1_000_000_000, 'the count is clamped')
    t.ok((row[1]?.m ?? Infinity) <= 4096 && (row[1]?.n ?? Infinity) <= 256, 'strings are cut')
    const futureRow = service.store.db
      .prepare("SELECT last_seen FROM events WHERE name = 'from-the-future'")
      .get() as { last_seen: number }
    t.ok(futureRow.last_seen <= testNow(), 'the year 9999 became now')

    // A later event comes before the clamped one in `events`, as it would with any other.
    // (Two seconds ahead: the API server writes whole seconds, the clamp wrote this millisecond.)
    rig.kube.addEvent(
      buildEvent({ name: 'later', reason: 'Later', firstTimestamp: isoAgo(-2_000) }),
    )
    await eventually(() => titles(rig).join('\n').includes('later'), 'the later alert')
    const answer = await say(service, 'events level=all since=1d limit=10')
    t.ok(answer.indexOf('later') < answer.indexOf('from-the-future'), 'newest first, not 9999')

    t.equal(await invalidCount(service, 'missing-field'), 1)
    t.equal(await invalidCount(service, 'count'), 1)
    t.ok((await invalidCount(service, 'future-time')) >= 1)
    t.ok((await invalidCount(service, 'time')) >= 1)
    t.ok((await invalidCount(service, 'too-long')) >= 1)
    t.equal(logLines(rig.logText(), 'headless.1').length, 1, 'logged with its name')

    // A relist sends the same bad Events again: counted again, not logged again.
    rig.kube.compact({ expireOpenWatches: true })
    await eventually(() => rig.kube.count('list', 'events') >= 2, 'listed again')
    const deadline = Date.now() + 5_000
    while ((await invalidCount(service, 'missing-field')) < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20))
    t.equal(await invalidCount(service, 'missing-field'), 2, 'counted on every list')
    t.equal(logLines(rig.logText(), 'headless.1').length, 1, 'logged once')
    t.equal((await service.app.inject({ url: '/healthz' })).statusCode, 200)
  },
)

t.test(
  'an Event the store refuses is skipped; the rest of its batch is taken in, and a relist does not retry it forever in the log',
  async (t) => {
    const rig = await createRig(t)
    const service = await rig.start()
    await untilReady(service)
    // A real SQLite refusal for one row, whatever normalisation let through.
    service.store.db.exec(`CREATE TRIGGER poison BEFORE INSERT ON events
      WHEN NEW.name = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`)
    for (const name of ['before-1', 'before-2', 'poison', 'after-1', 'after-2'])
      rig.kube.addEvent(buildEvent({ name, reason: 'Batch' }))
    await eventually(() => service.pipeline.stats().eventsTaken.Warning === 4, 'four taken in')
    const names = (
      service.store.db.prepare('SELECT name FROM events ORDER BY name').all() as { name: string }[]
    ).map((r) => r.name)
    t.same(names, ['after-1', 'after-2', 'before-1', 'before-2'])
    await eventually(() => rig.dingtalk.messages.length >= 1, 'alerts sent')
    t.notMatch(titles(rig).join('\n'), 'poison')
    t.equal(await invalidCount(service, 'store'), 1)
    t.equal(logLines(rig.logText(), 'poison').length, 1, 'logged once, with its name')

    rig.kube.compact({ expireOpenWatches: true })
    rig.kube.addEvent(buildEvent({ name: 'after-relist', reason: 'Batch' }))
    await eventually(() => service.pipeline.stats().eventsTaken.Warning === 5, 'the next one in')
    t.equal(await invalidCount(service, 'store'), 2, 'refused again on the relist, counted')
    t.equal(logLines(rig.logText(), 'poison').length, 1, 'not logged again')
    t.equal((await service.app.inject({ url: '/readyz' })).statusCode, 200, 'still ready')
  },
)
