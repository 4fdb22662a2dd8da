/**
 * Mutes set from chat outlive the process: same store directory, new everything else. So do the
 * app-robot signatures already used: a restart does not make a captured one usable again.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { toMuteEndedNotice } from '../../src/chatops/mute-text.ts'
import { registerOutgoing } from '../../src/http/outgoing-route.ts'
import type { Service } from '../../src/service.ts'
import { createMuteStore } from '../../src/store/mutes.ts'
import { openStore } from '../../src/store/open-store.ts'
import { appRobotHeaders, aTextMessage, outgoingHeaders } from '../helpers/dingtalk-callback.ts'
import { createRig } from '../helpers/service-rig.ts'
import { testNow } from '../helpers/test-clock.ts'
import { createChatHarness, START } from '../unit/chatops/chat-harness.ts'

const TOKEN = 'restart-token'
const H = 3_600_000
const pod = { namespace: 'prod', kind: 'Pod', name: 'web-1', reason: 'BackOff' }

/** One process lifetime: store, ChatOps and app on `dir`; `stop` closes them all. */
async function boot(dir: string, now: number) {
  const closers: Array<() => void> = []
  const h = createChatHarness({ teardown: (fn) => closers.push(fn) }, { dir })
  h.clock.now = now
  const app = await buildApp({
    logger: h.logger,
    isReady: () => ({ ready: true }),
    plugins: [
      (app) =>
        registerOutgoing(app, {
          outgoing: { path: '/dingtalk/outgoing', token: TOKEN },
          chat: h.chat,
          now: () => h.clock.now,
          logger: h.logger,
        }),
    ],
  })
  const ask = async (content: string) => {
    const res = await app.inject({
      method: 'POST',
      url: '/dingtalk/outgoing',
      headers: outgoingHeaders(TOKEN),
      payload: aTextMessage(content),
    })
    return (res.json() as { markdown: { title: string; text: string } }).markdown
  }
  const stop = async () => {
    await app.close()
    for (const close of closers) close()
  }
  return { h, ask, stop }
}

t.test(
  'a restart keeps mutes, their held-back counts, and reports the ones that ran out meanwhile',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeding-chatops-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))

    const first = await boot(dir, START)
    t.equal((await first.ask('mute ns=prod for=1h')).title, 'Muted m1')
    t.equal((await first.ask('mute reason=OOMKilling for=1d')).title, 'Muted m2')
    first.h.mutes.recordHeldBack('m1', 5)
    await first.stop()

    const second = await boot(dir, START + 30 * 60_000)
    t.teardown(() => second.stop())
    t.equal(
      second.h.mutes.match(pod, second.h.clock.now)?.id,
      'm1',
      'still muting after the restart',
    )
    const list = await second.ask('mutes')
    t.equal(list.title, '2 active mutes')
    t.match(
      list.text,
      /\*\*m1\*\* ns=prod · set by Alice 30m ago · ends in 30m · held back 5 alerts so far/,
    )
    t.match(list.text, /Alice ran "mute ns=prod for=1h" → ok: Muted m1/, 'the audit survived too')

    second.h.clock.now = START + 2 * H
    const ended = second.h.mutes.expireDue(second.h.clock.now)
    t.match(
      ended.map((m) => toMuteEndedNotice(m)),
      [
        {
          kind: 'notice',
          topic: 'mute-ended',
          mute: { id: 'm1', heldBack: 5, endedBy: 'expired' },
        },
      ],
      'the held-back count survived the restart',
    )
    t.equal((await second.ask('mute kind=Node')).title, 'Muted m3', 'ids keep counting')
  },
)

t.test(
  'a timestamp+sign pair used before a restart is refused after it with another msgId or body, and its identical re-delivery does not run again',
  async (t) => {
    const APP_SECRET = 'restart-app-secret'
    const rig = await createRig(t, {
      outgoing: { appSecret: APP_SECRET, admins: ['staff-alice'] },
    })
    const post = (service: Service, body: unknown, headers: Record<string, string>) =>
      service.app.inject({
        method: 'POST',
        url: '/dingtalk/outgoing',
        headers: { 'content-type': 'application/json', ...headers },
        payload: JSON.stringify(body),
      })
    /** The mutes in the state dir, read once the service has stopped (and finished answering). */
    const mutesAfterStop = async () => {
      await rig.stop()
      const store = openStore(rig.stateDir)
      try {
        return createMuteStore(store)
          .active(testNow())
          .map((m) => m.id)
      } finally {
        store.close()
      }
    }
    // Replies go to the fake DingTalk's host (it refuses them): nothing leaves the machine.
    const session = `${rig.dingtalk.url}/robot/sendBySession?session=s1`
    const captured = appRobotHeaders(APP_SECRET, testNow())
    const admins = aTextMessage('mute ns=prod for=1d', {
      msgId: 'admin-1',
      sessionWebhook: session,
    })

    t.equal((await post(await rig.start(), admins, captured)).statusCode, 200)
    t.same(await mutesAfterStop(), ['m1'])

    const second = await rig.start()
    const forged = [
      aTextMessage('unmute all', { msgId: 'forged-1', sessionWebhook: session }),
      aTextMessage('unmute all', { msgId: 'admin-1', sessionWebhook: session }),
    ]
    for (const body of forged) {
      const replay = await post(second, body, captured)
      t.equal(replay.statusCode, 401, `msgId ${String(body.msgId)}: refused after the restart`)
      t.match(replay.json(), { error: 'unauthorized' })
    }
    const again = await post(second, admins, captured)
    t.equal(again.statusCode, 200, "DingTalk's identical re-delivery is still taken")
    t.same(await mutesAfterStop(), ['m1'], 'nothing ran again: no unmute, no second mute')
    t.notOk(rig.logText().includes(captured.sign as string), 'the sign is never logged')
  },
)
