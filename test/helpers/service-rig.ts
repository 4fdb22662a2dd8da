/**
 * The whole service in-process, against the fake Kubernetes API and the fake DingTalk, with a
 * real state dir: what the push path's integration tests drive.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import type { Test } from 'tap'
import { type Config, ConfigSchema } from '../../src/config/schema.ts'
import { createService, type Service, type ServiceOptions } from '../../src/service.ts'
import { aTextMessage, outgoingHeaders } from './dingtalk-callback.ts'
import { createFakeDingTalk, type FakeDingTalk, type FakeRobot } from './fake-dingtalk.ts'
import { createFakeKubeApi, type FakeKubeApi } from './fake-kube-api.ts'
import { testNow } from './test-clock.ts'

export const TOKEN = 'robot-token-ops'
export const SECRET = 'SECdeadbeefcafe0123456789'

export interface Rig {
  kube: FakeKubeApi
  dingtalk: FakeDingTalk
  stateDir: string
  /** Lines the service logged, as JSON text (to prove no secret is in them). */
  logText(): string
  /** Starts (or restarts, with the same state dir) the service. */
  start(over?: Partial<ServiceOptions>): Promise<Service>
  /** The running service. */
  service(): Service
  /** Stops the running service (flushing for at most `flushMs`). */
  stop(flushMs?: number): Promise<void>
  config: Config
}

export interface RigOptions {
  /** Config keys beside the defaults (one robot `ops` on the fake, one Warning route). */
  config?: Record<string, unknown>
  robot?: Partial<FakeRobot>
  ratePerMinute?: number
  /** `dingtalk.outgoing`, for chat commands. */
  outgoing?: Record<string, unknown>
}

/** Starts the fakes; the service starts with `rig.start()`. Everything closes at teardown. */
export async function createRig(t: Test, o: RigOptions = {}): Promise<Rig> {
  const kube = await createFakeKubeApi()
  const dingtalk = await createFakeDingTalk({
    robots: [{ token: TOKEN, secret: SECRET, ...o.robot }],
    ...(o.ratePerMinute ? { ratePerMinute: o.ratePerMinute } : {}),
  })
  const stateDir = mkdtempSync(join(tmpdir(), 'kubeding-rig-'))
  const config = ConfigSchema.parse({
    cluster: 'rig',
    state: { dir: stateDir },
    dingtalk: {
      robots: [
        {
          name: 'ops',
          webhook: dingtalk.webhook(TOKEN),
          secret: SECRET,
          ...(o.robot?.keywords ? { keywords: o.robot.keywords } : {}),
        },
      ],
      ...(o.outgoing ? { outgoing: o.outgoing } : {}),
    },
    ...o.config,
  })
  const logs: string[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(line) })
  let running: Service | undefined

  const rig: Rig = {
    kube,
    dingtalk,
    stateDir,
    config,
    logText: () => logs.join(''),
    async start(over = {}) {
      running = await createService({
        config,
        logger,
        version: '0.0.0-test',
        loadKubeConfig: () => kube.kubeConfig(),
        kubeBackoff: { initialMs: 20, maxMs: 200 },
        tickMs: 50,
        now: testNow,
        ...over,
      })
      running.start()
      return running
    },
    service() {
      if (!running) throw new Error('the rig has no running service')
      return running
    },
    async stop(flushMs = 2_000) {
      const s = running
      running = undefined
      await s?.stop(flushMs)
    },
  }
  t.teardown(async () => {
    await rig.stop(200)
    await Promise.all([kube.stop(), dingtalk.close()])
    rmSync(stateDir, { recursive: true, force: true })
  })
  return rig
}

/** Waits until /readyz says ready. */
export async function untilReady(service: Service, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const res = await service.app.inject({ method: 'GET', url: '/readyz' })
    if (res.statusCode === 200) return
    if (Date.now() > deadline) throw new Error(`not ready: ${res.body}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Sends `text` as an @-mention through the Outgoing callback (token `token`); returns the reply's text. */
export async function askChat(service: Service, token: string, text: string): Promise<string> {
  const res = await service.app.inject({
    method: 'POST',
    url: '/dingtalk/outgoing',
    headers: outgoingHeaders(token),
    payload: aTextMessage(text),
  })
  if (res.statusCode !== 200) throw new Error(`outgoing answered ${res.statusCode}: ${res.body}`)
  return res.json().markdown.text as string
}
