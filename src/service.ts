/**
 * The service assembled: store, pipeline, notifier, archive sink, watchers, ChatOps and the HTTP
 * app, wired along the one-way flow of style.md. `main.ts` gives it the process (env, signals,
 * listening); tests give it fakes and drive it in-process.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import type { FastifyBaseLogger, FastifyInstance } from 'fastify'
import { commands } from '../commands/index.ts'
import { buildApp } from './app.ts'
import type { SlsArchive } from './archive/create-sls-archive.ts'
import { createChatOps } from './chatops/chat-ops.ts'
import { toMuteEndedNotice } from './chatops/mute-text.ts'
import type { StreamReceiver } from './chatops/stream-receiver.ts'
import type { Config } from './config/schema.ts'
import { startHousekeeping } from './housekeeping.ts'
import { createMetricsRegistry, registerMetrics } from './http/metrics.ts'
import { registerOutgoing } from './http/outgoing-route.ts'
import { startWatching, type Watching } from './kube/start-watching.ts'
import type { Backoff } from './kube/watch-events.ts'
import { createNotifier, type LaneTuning, type Notifier } from './notify/notifier.ts'
import { createOutbox } from './notify/outbox.ts'
import { createPipeline, type Pipeline } from './pipeline/pipeline.ts'
import { toMetricsSources } from './service-metrics.ts'
import { toStatusSnapshot } from './service-status.ts'
import { createAlertLedger } from './store/alert-ledger.ts'
import { createAuditLog } from './store/audit.ts'
import { createEventArchive } from './store/events.ts'
import { createEventsQuery } from './store/events-query.ts'
import { createMuteStore, type MuteRecord } from './store/mutes.ts'
import { openStore, type Store } from './store/open-store.ts'

/** A watch down for longer than this makes /readyz answer 503 (the interface's minute). */
const WATCH_DOWN_NOT_READY_MS = 60_000

export interface ServiceOptions {
  config: Config
  logger: FastifyBaseLogger
  /** Reads the kubeconfig; retried with backoff while it throws (no cluster configured yet). */
  loadKubeConfig: () => KubeConfig
  version: string
  now?: () => number
  fetch?: typeof fetch
  /** Retry pacing for the Kubernetes watches and for loading the kubeconfig. */
  kubeBackoff?: Backoff
  notifierTuning?: Partial<LaneTuning>
  /** Grouping windows and mute expiry are checked this often (default 1 s). */
  tickMs?: number
  /** Stream mode's gateway (tests); default DingTalk's. */
  streamGatewayUrl?: string
}

export interface Service {
  readonly app: FastifyInstance
  readonly store: Store
  readonly pipeline: Pipeline
  readonly notifier: Notifier
  /** Starts watching, sending and archiving. Does not listen: main.ts does. */
  start(): void
  /** Stops taking requests, flushes what is queued for DingTalk (bounded), closes the store. */
  stop(flushTimeoutMs: number): Promise<void>
}

/** Builds the service; nothing connects anywhere until `start()`. */
export async function createService(o: ServiceOptions): Promise<Service> {
  const { config, logger } = o
  const now = o.now ?? Date.now
  const fetchFn = o.fetch ?? fetch
  const startedAt = now()
  const store = openStore(config.state.dir)
  const outbox = createOutbox(store)
  const mutes = createMuteStore(store)
  const notifier = createNotifier({
    store,
    robots: config.dingtalk.robots,
    cluster: config.cluster,
    muteLinks: config.alerting.muteLinks,
    now,
    logger,
    ...(o.notifierTuning ? { tuning: o.notifierTuning } : {}),
  })
  // Log Service and Stream mode are imported only when configured: the Stream SDK alone brings
  // axios and ws, which a webhook-only install never runs.
  const sls: SlsArchive | undefined = config.archive.sls
    ? (await import('./archive/create-sls-archive.ts')).createSlsArchive({
        config: config.archive.sls,
        cluster: config.cluster,
        store,
        logger,
        now,
        fetch: fetchFn,
      })
    : undefined
  const pipeline = createPipeline({
    store,
    routes: config.routes,
    groupWindowMs: config.alerting.groupWindow,
    enqueue: (robot, message, t) => outbox.enqueue(robot, message, t),
    onQueued: () => notifier.kick(),
    mutes,
    sinks: sls ? [sls] : [],
    now,
  })

  /**
   * Tells every robot's group that a mute ran out, and what it held back. A mute ended with
   * `unmute` is not announced here: the command's reply already says so in the chat.
   */
  const announceMuteEnded = (mute: MuteRecord) => {
    store.tx(() => {
      for (const robot of config.dingtalk.robots)
        outbox.enqueue(robot.name, toMuteEndedNotice(mute), now())
    })
    notifier.kick()
  }

  let watching: Watching | undefined
  const chat = createChatOps({
    commands,
    services: {
      events: createEventsQuery(store),
      mutes,
      audit: createAuditLog(store),
      nodes: {
        problemNodes: () => watching?.nodes()?.problemNodes() ?? [],
        size: () => watching?.nodes()?.size() ?? 0,
      },
      status: () =>
        toStatusSnapshot({
          config,
          version: o.version,
          startedAt,
          now: now(),
          watch: watching?.events(),
          pipeline,
          notifier,
          store,
        }),
    },
    admins: config.dingtalk.outgoing.admins,
    conversations: config.dingtalk.outgoing.conversations,
    fetch: fetchFn,
    now,
    logger,
  })

  const isReady = () => {
    const state = watching?.events()
    if (!state) return { ready: false, reason: 'no Kubernetes connection configured yet' }
    if (!state.listed) return { ready: false, reason: 'the first list of events is not in yet' }
    if (state.downSince !== undefined && now() - state.downSince > WATCH_DOWN_NOT_READY_MS) {
      return {
        ready: false,
        reason: `the event watch is down: ${state.lastError ?? 'reconnecting'}`,
      }
    }
    return { ready: true }
  }
  const registry = createMetricsRegistry(
    toMetricsSources({
      version: o.version,
      pipeline,
      notifier,
      sls,
      watch: () => watching?.events(),
      chat,
      store,
      now,
    }),
  )
  const app = await buildApp({
    logger,
    isReady,
    plugins: [
      (app) => registerMetrics(app, registry),
      (app) => registerOutgoing(app, { outgoing: config.dingtalk.outgoing, chat, now, logger }),
    ],
  })

  const { stream: streamConfig } = config.dingtalk.outgoing
  const streamModules = streamConfig
    ? await Promise.all([
        import('./chatops/stream-client.ts'),
        import('./chatops/stream-receiver.ts'),
      ])
    : undefined
  let stream: StreamReceiver | undefined
  let housekeeping: { stop(): void } | undefined
  return {
    app,
    store,
    pipeline,
    notifier,
    start() {
      notifier.start()
      sls?.start()
      housekeeping = startHousekeeping({
        store,
        archive: createEventArchive(store),
        ledger: createAlertLedger(store),
        outbox,
        pipeline,
        mutes,
        retentionMs: config.state.retention,
        onMuteEnded: announceMuteEnded,
        now,
        logger,
        tickMs: o.tickMs ?? 1_000,
      })
      if (streamConfig && streamModules) {
        const [{ createStreamClient }, { createStreamReceiver }] = streamModules
        stream = createStreamReceiver({
          client: createStreamClient({
            ...streamConfig,
            fetch: fetchFn,
            ...(o.streamGatewayUrl ? { gatewayUrl: o.streamGatewayUrl } : {}),
          }),
          chat,
          logger,
        })
        stream.start()
      }
      if (config.dingtalk.robots.length === 0) {
        logger.warn(
          'no DingTalk robot configured: events are archived and chat commands answered, but no alert is sent. Set DINGTALK_WEBHOOK, or dingtalk.robots in the config file',
        )
      }
      watching = startWatching({
        loadKubeConfig: o.loadKubeConfig,
        namespaces: config.kubernetes.namespaces,
        logger,
        now,
        backoff: o.kubeBackoff ?? { initialMs: 1_000, maxMs: 30_000 },
        handlers: {
          onList: (list) => pipeline.ingestList(list),
          onEvent: (event) => pipeline.ingest(event),
          onAllListed: () => pipeline.finishBootstrap(),
        },
      })
    },
    async stop(flushTimeoutMs) {
      await app.close()
      stream?.stop()
      housekeeping?.stop()
      await watching?.stop()
      pipeline.flush()
      await chat.idle()
      chat.close()
      await Promise.all([notifier.stop(flushTimeoutMs), sls?.stop(flushTimeoutMs)])
      store.close()
    },
  }
}
