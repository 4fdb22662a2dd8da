/**
 * Fuzz-style: a few thousand random and hostile command lines (long, unicode, many `*`, quotes,
 * control characters) through the parser, the whole dispatcher and the mute matcher, each within
 * a time bound, then through a listening app while `/healthz` is polled. The bounds are generous:
 * the point is catching a super-linear blowup (a backtracking regex, a quadratic trim), not speed.
 * The PRNG is seeded: a failure prints its seed, and `FUZZ_SEED=<seed>` replays it.
 */
import t from 'tap'
import { parseCommandLine } from '../../src/chatops/parse-command-line.ts'
import { isUserError } from '../../src/chatops/user-error.ts'
import { outgoingHeaders } from '../helpers/dingtalk-callback.ts'
import { createChatHarness } from '../unit/chatops/chat-harness.ts'
import { chooseSeed, createSeededRandom, type SeededRandom } from '../unit/chatops/seeded-random.ts'
import { createChatHttpRig, PATH, TOKEN } from './chat-http-rig.ts'

const LINES = 3_000
// 3,000 lines through the parser and the HTTP route is CPU work: ~7 s alone, 25 s beside three
// other test files on 2 cores, near tap's 30 s for a file.
t.setTimeout(120_000)
const LINE_BOUND_MS = 50
const seed = chooseSeed()
t.comment(`fuzz seed ${seed} (replay with FUZZ_SEED=${seed})`)

/** `mute` and `events` most often: they take `name=` patterns. */
const WORDS = [
  'mute',
  'mute',
  'mute',
  'events',
  'events',
  'unmute',
  'mutes',
  'help',
  'status',
  'nodes',
  '静默',
  '事件',
  '/mute',
  'x',
]
const KEYS = [
  'ns',
  'kind',
  'name',
  'reason',
  'for',
  'limit',
  'level',
  'since',
  '名称',
  '--name',
  '',
  'ｎａｍｅ',
]
const PIECES = [
  '*',
  '**',
  'web-',
  'a',
  'Z',
  '.',
  '。',
  '=',
  '＝',
  ',',
  '，',
  '"',
  "'",
  '“',
  '”',
  '‘',
  '「',
  ' ',
  '\u3000',
  '\t',
  '\n',
  '\r',
  '\u0000',
  '\u0007',
  '\u001b[31m',
  '\u007f',
  '\u200b',
  '\u202e',
  '\ufeff',
  '😀',
  '👨‍👩‍👧',
  'é',
  'e\u0301',
  '中文',
  'Ａ',
  '\ud800',
  '@bot',
  '[a](dtmd://x)',
  '#### ',
  '\\',
  '$(x)',
  '{{x}}',
  '%s',
  '1h',
  '7d',
  '99y',
  'm1',
  'all',
]
/** Long runs: where a super-linear step shows. */
const RUNS = ['*', '.', '=', '"', "'", 'a*', '*a', ' ', '。', '\u200b', '😀', 'a=']

/** Valid names with many stars: what made the old backtracking regex take 53 s. */
const GLOB_PIECES = ['a', 'a', '*', '*', 'Z', '-', 'web-']

function hostileValue(random: SeededRandom): string {
  if (random.int(6) === 0) return random.pick(RUNS).repeat(1 + random.int(3_000))
  if (random.int(4) === 0) {
    return Array.from({ length: 1 + random.int(60) }, () => random.pick(GLOB_PIECES)).join('')
  }
  return Array.from({ length: random.int(12) }, () => random.pick(PIECES)).join('')
}

/** A line DingTalk could deliver: at most 8,000 characters (the body allows 8,192). */
function hostileLine(random: SeededRandom): string {
  const parts = [random.pick(WORDS)]
  for (let i = random.int(6); i > 0; i--) {
    parts.push(
      random.int(4) === 0 ? hostileValue(random) : `${random.pick(KEYS)}=${hostileValue(random)}`,
    )
  }
  return parts.join(random.pick([' ', '  ', ',', '\u3000', ''])).slice(0, 8_000)
}

/** Object names as events carry them, hostile ones included. */
function hostileName(random: SeededRandom): string {
  if (random.int(3) === 0)
    return random.pick(['a', 'a*', 'web-', 'Z', '.']).repeat(1 + random.int(253))
  return Array.from({ length: random.int(30) }, () =>
    random.pick(['a', 'web-', 'Z', '-', '.', '1']),
  ).join('')
}

const elapsed = (started: number) => performance.now() - started

t.test('parser, dispatcher and mute matcher: each line within its bound', async (t) => {
  const random = createSeededRandom(seed)
  const h = createChatHarness(t, { perSenderPerMinute: 600 })
  /** Parses `line`, runs it as a command, and matches an event named `name` against the mutes. */
  const timeLine = async (line: string, name: string, msgId: string) => {
    const started = performance.now()
    let code = 'ok'
    try {
      parseCommandLine(line)
    } catch (err) {
      if (!isUserError(err)) code = 'parser_threw'
    }
    const reply = await h.ask(line, { msgId, senderStaffId: `s${msgId.length % 50}` })
    h.mutes.match({ namespace: 'prod', kind: 'Pod', name, reason: 'BackOff' }, h.clock.now)
    return { ms: elapsed(started), code: code === 'ok' ? (reply.code ?? 'ok') : code }
  }
  let slowest = { ms: 0, line: '' }
  let failures = 0
  for (let i = 0; i < LINES && failures < 5; i++) {
    if (i % 500 === 0) h.clock.now += 60_000
    const line = hostileLine(random)
    const name = hostileName(random)
    // A pause (GC, first use of a code path, a busy machine) is one-off; a blowup is not: a
    // line over the bound is timed again, and only a line slow both times fails.
    const first = await timeLine(line, name, `fuzz-${i}`)
    const { ms, code } =
      first.ms > LINE_BOUND_MS ? await timeLine(line, name, `fuzz-${i}-again`) : first
    if (ms > slowest.ms) slowest = { ms, line }
    if (code === 'internal_error' || code === 'parser_threw' || ms > LINE_BOUND_MS) {
      failures++
      t.fail(`seed ${seed}, line ${i}: ${code} in ${ms.toFixed(1)} ms`, {
        line: JSON.stringify(line.slice(0, 200)),
      })
    }
  }
  t.equal(
    failures,
    0,
    `seed ${seed}: slowest ${slowest.ms.toFixed(1)} ms: ${JSON.stringify(slowest.line.slice(0, 80))} (${slowest.line.length} chars)`,
  )
  t.ok(h.mutes.active(h.clock.now).length > 0, 'some lines were valid mutes')
  t.notOk(
    h.mutes
      .active(h.clock.now)
      .some((m) => Object.keys(m.selector).length === 1 && m.selector.name === '*'),
    'none of them mutes everything',
  )
})

t.test('the same lines over HTTP: /healthz keeps answering throughout', async (t) => {
  const random = createSeededRandom(seed)
  const { app, h } = await createChatHttpRig(t, { perSenderPerMinute: 600 })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const base = `http://127.0.0.1:${port}`

  let running = true
  const probes: number[] = []
  const probing = (async () => {
    while (running) {
      const started = performance.now()
      const res = await fetch(`${base}/healthz`)
      probes.push(res.status === 200 ? elapsed(started) : Number.POSITIVE_INFINITY)
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })()

  const statuses = new Map<number, number>()
  for (let i = 0; i < LINES; i++) {
    if (i % 500 === 0) h.clock.now += 60_000
    const res = await fetch(`${base}${PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...outgoingHeaders(TOKEN) },
      body: JSON.stringify({
        msgtype: 'text',
        text: { content: hostileLine(random) },
        msgId: `http-fuzz-${i}`,
        conversationId: 'cidFuzz==',
        senderId: `s${i % 50}`,
      }),
    })
    await res.arrayBuffer()
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1)
  }
  running = false
  await probing

  t.same([...statuses.keys()], [200], `seed ${seed}: every line answered 200`)
  t.ok(probes.length >= 10, `/healthz probed ${probes.length} times while the lines ran`)
  const worst = Math.max(...probes)
  t.ok(worst < 1_000, `seed ${seed}: /healthz answered within ${worst.toFixed(1)} ms every time`)
  t.equal(
    h.chat.stats().find((s) => s.result === 'internal_error'),
    undefined,
    'no command failed',
  )
})
