/**
 * Several kubeding replicas in one test process, as a Deployment with leader election runs
 * them: one fake API server (events, the Lease, the shared state's ConfigMap), one fake DingTalk,
 * and each replica with its own state dir (its emptyDir) and pod name. They share a clock the
 * test can move forward (mute expiry) without touching the election's monotonic deadlines.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import type { Test } from 'tap'
import { ConfigSchema } from '../../src/config/schema.ts'
import { createService, type Service, type ServiceOptions } from '../../src/service.ts'
import { aTextMessage, outgoingHeaders } from './dingtalk-callback.ts'
import { buildEvent } from './event-builders.ts'
import { type AcceptedMessage, createFakeDingTalk, type FakeDingTalk } from './fake-dingtalk.ts'
import { createFakeKubeApi, eventually, type FakeKubeApi } from './fake-kube-api.ts'
import { alertPodName, digestOccurrences } from './read-message.ts'
import { SECRET, TOKEN, untilReady } from './service-rig.ts'
import { testNow } from './test-clock.ts'

export const NAMESPACE = 'kubeding'
export const OUTGOING_TOKEN = 'outgoing-token-ha'

export interface Replica {
  readonly name: string
  readonly service: Service
  /** Asks this replica a chat command, as DingTalk's callback would (`msgId` to re-deliver one). */
  ask(content: string, msgId?: string): Promise<{ title: string; text: string }>
}

export interface HaRig {
  kube: FakeKubeApi
  dingtalk: FakeDingTalk
  /** Moves every replica's clock (not the election's deadlines). */
  advance(ms: number): void
  now(): number
  /** Starts a replica; `kubeServer` puts something (a partitioning proxy) between it and the API server. */
  start(name: string, kubeServer?: string): Promise<Replica>
  /**
   * pod-a, once it leads, then pod-b; resolves when both are ready. `kubeServer` is pod-a's (see
   * `start`).
   */
  startPair(kubeServer?: string): Promise<[Replica, Replica]>
  /** Graceful stop (SIGTERM's path). */
  stop(replica: Replica, flushMs?: number): Promise<void>
  /** The Lease's holder, as stored. */
  holder(): string
  logText(): string
}

/** Lease duration of the in-process tests: the shortest the config takes. */
export const LEASE = '2s'

export interface HaRigOptions {
  /** `dingtalk.outgoing` beside the token (e.g. `stream`). */
  outgoing?: Record<string, unknown>
  /** `archive` (e.g. `sls`). */
  archive?: Record<string, unknown>
  /** More robots (a sessionWebhook is only posted to on a robot's host). */
  robots?: Array<{ name: string; webhook: string }>
  /** Service options for every replica (e.g. `streamGatewayUrl`). */
  service?: Partial<ServiceOptions>
}

/** Starts the fakes; replicas start with `rig.start(name)`. Everything closes at teardown. */
export async function createHaRig(t: Test, o: HaRigOptions = {}): Promise<HaRig> {
  const kube = await createFakeKubeApi()
  const dingtalk = await createFakeDingTalk({ robots: [{ token: TOKEN, secret: SECRET }] })
  let offset = 0
  const now = () => testNow() + offset
  const logs: string[] = []
  const running = new Set<Service>()
  const dirs: string[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(line) })

  const rig: HaRig = {
    kube,
    dingtalk,
    advance(ms) {
      offset += ms
    },
    now,
    async start(name, kubeServer) {
      const dir = mkdtempSync(join(tmpdir(), `kubeding-ha-${name}-`))
      dirs.push(dir)
      const config = ConfigSchema.parse({
        cluster: 'ha',
        // The tests read titles in English.
        language: 'en',
        state: { dir },
        leaderElection: { enabled: true, leaseDuration: LEASE },
        dingtalk: {
          robots: [
            { name: 'ops', webhook: dingtalk.webhook(TOKEN), secret: SECRET },
            ...(o.robots ?? []),
          ],
          outgoing: { token: OUTGOING_TOKEN, ...o.outgoing },
        },
        ...(o.archive ? { archive: o.archive } : {}),
      })
      const service = await createService({
        config,
        logger: logger.child({ replica: name }),
        version: '0.0.0-test',
        loadKubeConfig: () => kube.kubeConfig(kubeServer ? { server: kubeServer } : {}),
        kubeBackoff: { initialMs: 20, maxMs: 200 },
        tickMs: 50,
        now,
        env: { POD_NAME: name, POD_NAMESPACE: NAMESPACE },
        notifierTuning: { digestSpacingMs: 300, retryDelayMs: 50, maxRetryDelayMs: 200 },
        ...o.service,
      })
      service.start()
      running.add(service)
      return {
        name,
        service,
        async ask(content, msgId) {
          const res = await service.app.inject({
            method: 'POST',
            url: '/dingtalk/outgoing',
            headers: outgoingHeaders(OUTGOING_TOKEN),
            payload: aTextMessage(content, msgId === undefined ? {} : { msgId }),
          })
          return (res.json() as { markdown: { title: string; text: string } }).markdown
        },
      }
    },
    async startPair(kubeServer) {
      const a = await rig.start('pod-a', kubeServer)
      await eventually(() => rig.holder() === 'pod-a', 'pod-a leads')
      const b = await rig.start('pod-b')
      await Promise.all([untilReady(a.service), untilReady(b.service)])
      return [a, b]
    },
    async stop(replica, flushMs = 2_000) {
      if (!running.delete(replica.service)) return
      await replica.service.stop(flushMs)
    },
    holder: () =>
      (
        (kube.objects.get('leases', NAMESPACE, 'kubeding')?.spec ?? {}) as {
          holderIdentity?: string
        }
      ).holderIdentity ?? '',
    logText: () => logs.join(''),
  }
  t.teardown(async () => {
    await Promise.all([...running].map((s) => s.stop(100)))
    await Promise.all([kube.stop(), dingtalk.close()])
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  })
  return rig
}

/**
 * The event occurrences a message DingTalk accepted accounts for, read back in either language
 * (read-message.ts): a digest says its total, an alert about a Pod is one new event.
 */
export function occurrencesIn(m: AcceptedMessage): number {
  const text: string = m.body.markdown?.text ?? ''
  return digestOccurrences(text) ?? (alertPodName(text) === undefined ? 0 : 1)
}

/** Occurrences in every message DingTalk accepted. */
export function deliveredOccurrences(dingtalk: FakeDingTalk): number {
  return dingtalk.messages.reduce((n, m) => n + occurrencesIn(m), 0)
}

/** Warnings `burst-<from>` … `burst-<to - 1>` on distinct Pods, added to the API server at once. */
export function addBurst(kube: FakeKubeApi, from: number, to: number): void {
  for (let i = from; i < to; i++)
    kube.addEvent(buildEvent({ name: `burst-${i}`, reason: 'BackOff' }))
}
