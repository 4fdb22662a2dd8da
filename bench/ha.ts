/**
 * High availability: how long a follower takes to lead after the leader is SIGKILLed (real
 * processes, the default 15 s lease, 10 runs), and what the shared state costs the API server
 * during a 10,000-event storm (two replicas in this process, production defaults: what the
 * leader's checkpoint and the heartbeats write to the ConfigMap, per minute and in bytes).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { ConfigSchema } from '../src/config/schema.ts'
import { createService, type Service } from '../src/service.ts'
import { buildEvent } from '../test/helpers/event-builders.ts'
import { createFakeDingTalk } from '../test/helpers/fake-dingtalk.ts'
import { createFakeKubeApi, eventually } from '../test/helpers/fake-kube-api.ts'
import {
  createProcessFleet,
  PROCESS_SECRET,
  PROCESS_TOKEN,
  untilProcessReady,
} from '../test/helpers/ha-processes.ts'
import { deliveredOccurrences } from '../test/helpers/ha-rig.ts'
import { note, row } from './format-figures.ts'

const LEASE = '15s'
const LEASE_MS = 15_000
const RUNS = 10
const STORM = 10_000

export interface HaBenchFigures {
  takeoverMs: { p50: number; max: number; runs: number }
  duplicates: number
  storm: {
    events: number
    seconds: number
    writes: number
    writesPerMinute: number
    bytesPerMinute: number
    largestBytes: number
    conflicts: number
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0

/** Kills the leader RUNS times, starting a new follower before each kill. */
async function measureTakeover(): Promise<{ takeovers: number[]; duplicates: number }> {
  const kube = await createFakeKubeApi()
  const dingtalk = await createFakeDingTalk({
    robots: [{ token: PROCESS_TOKEN, secret: PROCESS_SECRET }],
  })
  const fleet = createProcessFleet(kube, dingtalk, LEASE)
  const takeovers: number[] = []
  let sent = 0
  try {
    let leader = await fleet.start('pod-0')
    await untilProcessReady(leader)
    await eventually(() => fleet.holder() === 'pod-0', 'pod-0 leads', 30_000)
    for (let run = 1; run <= RUNS; run++) {
      const follower = await fleet.start(`pod-${run}`)
      await untilProcessReady(follower)
      // A little traffic, so the kill comes while alerts flow.
      for (let i = 0; i < 3; i++) kube.addEvent(buildEvent({ name: `run-${run}-${i}` }))
      sent += 3
      await eventually(() => deliveredOccurrences(dingtalk) >= sent, 'delivered', 30_000)
      leader.child.kill('SIGKILL')
      const killedAt = performance.now()
      await eventually(() => fleet.holder() === follower.name, 'takeover', LEASE_MS * 3)
      takeovers.push(Math.round(performance.now() - killedAt))
      leader = follower
    }
    await sleep(2_000)
    return { takeovers, duplicates: deliveredOccurrences(dingtalk) - sent }
  } finally {
    await fleet.close()
    await Promise.all([kube.stop(), dingtalk.close()])
  }
}

/** Two replicas in-process through a storm; the ConfigMap writes are counted by the fake. */
async function measureStorm(): Promise<HaBenchFigures['storm']> {
  const kube = await createFakeKubeApi()
  const dingtalk = await createFakeDingTalk({
    robots: [{ token: PROCESS_TOKEN, secret: PROCESS_SECRET }],
  })
  const dirs: string[] = []
  const services: Service[] = []
  const logger = pino({ level: 'silent' })
  try {
    for (const name of ['pod-a', 'pod-b']) {
      const dir = mkdtempSync(join(tmpdir(), `kubeding-bench-ha-${name}-`))
      dirs.push(dir)
      const service = await createService({
        config: ConfigSchema.parse({
          cluster: 'bench',
          state: { dir },
          leaderElection: { enabled: true },
          dingtalk: {
            robots: [
              { name: 'ops', webhook: dingtalk.webhook(PROCESS_TOKEN), secret: PROCESS_SECRET },
            ],
          },
        }),
        logger,
        version: 'bench',
        loadKubeConfig: () => kube.kubeConfig(),
        env: { POD_NAME: name, POD_NAMESPACE: 'kubeding' },
      })
      service.start()
      services.push(service)
      await eventually(
        () => kube.objects.get('leases', 'kubeding', 'kubeding') !== undefined,
        'a Lease',
        30_000,
      )
    }
    for (const s of services)
      await eventually(() => !s.pipeline.isBootstrapping(), 'listed', 30_000)
    const startedAt = Date.now()
    const before = kube.objects.writes.length
    for (let i = 0; i < STORM; i++)
      kube.addEvent(buildEvent({ namespace: `ns-${i % 20}`, name: `storm-${i}` }))
    await eventually(() => deliveredOccurrences(dingtalk) >= STORM, 'the storm delivered', 300_000)
    await sleep(1_000)
    const seconds = (Date.now() - startedAt) / 1_000
    const writes = kube.objects.writes.slice(before).filter((w) => w.resource === 'configmaps')
    const bytes = writes.reduce((n, w) => n + w.bytes, 0)
    const conflicts = kube.requests.filter((r) => r.status === 409).length
    return {
      events: STORM,
      seconds: Math.round(seconds),
      writes: writes.length,
      writesPerMinute: Math.round((writes.length / seconds) * 60),
      bytesPerMinute: Math.round((bytes / seconds) * 60),
      largestBytes: Math.max(0, ...writes.map((w) => w.bytes)),
      conflicts,
    }
  } finally {
    await Promise.all(services.map((s) => s.stop(500)))
    await Promise.all([kube.stop(), dingtalk.close()])
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs both measurements. */
export async function benchHa(): Promise<HaBenchFigures> {
  const storm = await measureStorm()
  const { takeovers, duplicates } = await measureTakeover()
  const sorted = [...takeovers].sort((a, b) => a - b)
  return {
    takeoverMs: { p50: percentile(sorted, 0.5), max: sorted.at(-1) ?? 0, runs: sorted.length },
    duplicates,
    storm,
  }
}

/** The figures as printed lines. */
export function formatHa(f: HaBenchFigures): string[] {
  const { takeoverMs: t, storm: s } = f
  return [
    'High availability: two replicas, one leader, against the fake API server and DingTalk',
    row('takeover, SIGKILL', `p50 ${t.p50} ms, max ${t.max} ms (${t.runs} runs)`, {
      text: `<= ${LEASE_MS} ms (the lease)`,
      met: t.max <= LEASE_MS,
    }),
    ...note(
      `Real processes (bin/kubeding.js), leaseDuration ${LEASE}: from SIGKILL of the leader to the follower holding the Lease. ${f.duplicates} duplicate alert occurrences over all runs.`,
    ),
    row(
      'state, storm',
      `${s.writesPerMinute} writes/min, ${Math.round(s.bytesPerMinute / 1024)} KiB/min`,
    ),
    ...note(
      `${s.events} Warnings through two replicas with production defaults, ${s.seconds} s until DingTalk had them all: ${s.writes} writes of the state ConfigMap (checkpoint, budget, heartbeats), the largest ${Math.round(s.largestBytes / 1024)} KiB of the 1 MiB a ConfigMap holds; ${s.conflicts} conflicts (409) retried.`,
    ),
  ]
}
