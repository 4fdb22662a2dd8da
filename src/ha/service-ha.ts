/**
 * The service's high-availability hook: with `leaderElection.enabled`, the notifier, the mutes
 * and the leader-only senders come from here; without it, the service runs as one replica.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import type { Config } from '../config/schema.ts'
import { createRobotClient } from '../dingtalk/robot-client.ts'
import { createNotifier, type NotifierOptions } from '../notify/notifier.ts'
import type { Store } from '../store/open-store.ts'
import {
  createHighAvailability,
  type HaLogger,
  type HighAvailability,
} from './high-availability.ts'
import { toGatedClientFor } from './leader-notifier.ts'
import { resolveIdentity } from './resolve-identity.ts'

export interface ServiceHaOptions {
  config: Config
  store: Store
  logger: HaLogger
  now: () => number
  loadKubeConfig: () => KubeConfig
  /** POD_NAME and POD_NAMESPACE (the downward API). */
  env: Readonly<Record<string, string | undefined>>
  notifierOptions: NotifierOptions
  /** Shared state pacing (tests). */
  pollMs?: number
}

/** Undefined when leader election is off. Throws naming what to set when the namespace is unknown. */
export function createServiceHa(o: ServiceHaOptions): HighAvailability | undefined {
  const le = o.config.leaderElection
  if (!le.enabled) return undefined
  const { identity, namespace } = resolveIdentity(le.namespace, { env: o.env })
  const clientFor = o.notifierOptions.clientFor ?? ((robot) => createRobotClient({ robot }))
  o.logger.info(
    { identity, lease: `${namespace}/${le.leaseName}`, leaseDurationMs: le.leaseDuration },
    'leader election on: this replica sends only while it holds the Lease',
  )
  return createHighAvailability({
    config: o.config,
    store: o.store,
    loadKubeConfig: o.loadKubeConfig,
    identity,
    namespace,
    now: o.now,
    logger: o.logger,
    ...(o.pollMs === undefined ? {} : { pollMs: o.pollMs }),
    createNotifier: (outbox, isLeader, ready) =>
      createNotifier({
        ...o.notifierOptions,
        outbox,
        clientFor: toGatedClientFor(clientFor, isLeader, ready),
      }),
  })
}
