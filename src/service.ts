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
import type { Config } from './config/schema.ts'
import type { StreamReceiver } from './dingtalk/stream-receiver.ts'
import { startHousekeeping } from './housekeeping.ts'
import { createMetricsRegistry, registerMetrics } from './http/metrics.ts'
import { registerOutgoing } from './http/outgoing-route.ts'
import { createSignatureMemory, MAX_SIGNATURES } from './http/signature-memory.ts'
import { toStrings } from './i18n/to-strings.ts'
import { startWatching, type Watching } from './kube/start-watching.ts'
import type { Backoff } from './kube/watch-events.ts'
import {
  createNotifier,
  type LaneTuning,
  type Notifier,
  type NotifierOptions,
} from './notify/notifier.ts'
import { createOutbox } from './notify/outbox.ts'
import type { NoticeMessage } from './notify/outbox-message.ts'
import { createInvalidEvents, identityOf } from './pipeline/invalid-events.ts'
import { createNodeConditions } from './pipeline/node-conditions.ts'
import { createPipeline, type Pipeline } from './pipeline/pipeline.ts'
import { toMetricsSources } from './service-metrics.ts'
import { toChatWatch, toStatusSnapshot } from './service-status.ts'
import { createAuditLog } from './store/audit.ts'
import { createEventArchive } from './store/events.ts'
import { createEventsQuery } from './store/events-query.ts'
import { createMuteStore, type MuteRecord } from './store/mutes.ts'
import { openStoreWhenPossible, type Store } from './store/open-store.ts'
import { createStoreHealth } from './store/store-health.ts'
import { createWatchDownNotice } from './watch-down-notice.ts'

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
  /** POD_NAME and POD_NAMESPACE for leader election (main.ts passes process.env). */
  env?: Readonly<Record<string, string | undefined>>
  /** How often the shared state is read with leader election on (tests); default 1 s. */
  sharedStatePollMs?: number
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
  const store = await openStoreWhenPossible(config.state.dir, logger)
  const storeHealth = createStoreHealth({ path: store.path, logger, now })
  const invalidEvents = createInvalidEvents(logger)
  const outbox = createOutbox(store)
  const notifierOptions: NotifierOptions = {
    store,
    robots: config.dingtalk.robots,
    cluster: config.cluster,
    muteLinks: config.alerting.muteLinks,
    language: config.language,
    now,
    logger,
    ...(o.notifierTuning ? { tuning: o.notifierTuning } : {}),
  }
  // Several replicas (leaderElection.enabled): notifier, mutes and senders follow the Lease.
  // Imported only then: a single replica never loads it.
  const ha = (
    config.leaderElection.enabled ? await import('./ha/service-ha.ts') : undefined
  )?.createServiceHa({
    config,
    store,
    logger,
    now,
    loadKubeConfig: o.loadKubeConfig,
    env: o.env ?? {},
    notifierOptions,
    ...(o.sharedStatePollMs === undefined ? {} : { pollMs: o.sharedStatePollMs }),
  })
  const mutes = ha?.mutes ?? createMuteStore(store)
  const notifier = ha?.notifier ?? createNotifier(notifierOptions)
  // Log Service (with Alibaba Cloud's credential chain) and Stream mode are imported only when
  // configured: a webhook-only install never runs them.
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
  const nodeConditions = createNodeConditions({
    store,
    routes: config.routes,
    mutes,
    enqueue: (robot, message, t) => outbox.enqueue(robot, message, t),
    onQueued: () => notifier.kick(),
    notReadyAfterMs: config.alerting.nodeNotReadyAfter,
    settleMs: config.alerting.groupWindow,
    resolved: config.alerting.resolved,
    now,
    logger,
  })
  let watching: Watching | undefined
  const pipeline = createPipeline({
    store,
    routes: config.routes,
    groupWindowMs: config.alerting.groupWindow,
    enqueue: (robot, message, t) => outbox.enqueue(robot, message, t),
    onQueued: () => notifier.kick(),
    mutes,
    nodeProblems: nodeConditions,
    sinks: sls ? [sls] : [],
    watchedNamespaces: config.kubernetes.namespaces,
    invalid: invalidEvents,
    health: storeHealth,
    relist: (reason) => watching?.relistEvents(reason),
    now,
  })
  if (sls) ha?.addLeaderTask(sls)

  /**
   * Tells every robot's group that a mute ran out, and what it held back. A mute ended with
   * `unmute` is not announced here: the command's reply already says so in the chat.
   */
  const announce = (notice: NoticeMessage) => {
    store.tx(() => {
      for (const robot of config.dingtalk.robots) outbox.enqueue(robot.name, notice, now())
    })
    notifier.kick()
  }
  const announceMuteEnded = (mute: MuteRecord) => announce(toMuteEndedNotice(mute))

  const audit = createAuditLog(store)
  const unguardedChat = createChatOps({
    commands,
    services: {
      events: createEventsQuery(store),
      mutes,
      audit,
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
          replicas: ha?.replicas(),
          storeProblem: storeHealth.problem(),
        }),
    },
    admins: config.dingtalk.outgoing.admins,
    conversations: config.dingtalk.outgoing.conversations,
    perSenderPerMinute: config.dingtalk.outgoing.commandsPerMinute,
    language: config.language,
    robotWebhooks: config.dingtalk.robots.map((r) => r.webhook),
    fetch: fetchFn,
    now,
    logger,
  })
  // Several replicas: a msgId re-delivered to the other pod is not run twice.
  const chat = ha
    ? (await import('./ha/guard-chat.ts')).guardChat(
        unguardedChat,
        (msgId) => ha.claimMessage(msgId),
        toStrings(config.language),
      )
    : unguardedChat

  const isReady = () => {
    const storeProblem = storeHealth.problem()
    if (storeProblem) return { ready: false, reason: storeProblem }
    const state = watching?.events()
    if (!state) return { ready: false, reason: 'no Kubernetes connection configured yet' }
    if (!state.listed) return { ready: false, reason: 'the first list of events is not in yet' }
    return { ready: true }
  }
  const registry = createMetricsRegistry(
    toMetricsSources({
      version: o.version,
      pipeline,
      nodeConditions,
      notifier,
      sls,
      watch: () => watching?.events(),
      chat,
      store,
      storeHealth,
      invalidEvents,
      now,
    }),
  )
  const app = await buildApp({
    logger,
    isReady,
    plugins: [
      (app) => registerMetrics(app, registry),
      (app) =>
        registerOutgoing(app, {
          outgoing: config.dingtalk.outgoing,
          chat,
          now,
          logger,
          // Used callback signatures are kept in the store: a restart does not make them usable
          // again. Each replica has its own store, so this does not reach across replicas.
          signatures: createSignatureMemory(MAX_SIGNATURES, { store, logger }),
        }),
    ],
  })

  const watchDown = createWatchDownNotice({
    watch: () => watching?.events(),
    eventsTaken: () => pipeline.stats().eventsTaken.Normal + pipeline.stats().eventsTaken.Warning,
    isSender: () => ha?.isLeader() ?? true,
    announce,
    downAfterMs: config.alerting.watchDownAfter,
    now,
  })
  let watchDownTimer: NodeJS.Timeout | undefined
  const { stream: streamConfig } = config.dingtalk.outgoing
  const streamModules = streamConfig
    ? await Promise.all([
        import('./dingtalk/stream-client.ts'),
        import('./dingtalk/stream-receiver.ts'),
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
      if (ha)
        ha.start(() => (watching ? toChatWatch(watching.events(), startedAt).state : 'starting'))
      else sls?.start()
      housekeeping = startHousekeeping({
        store,
        archive: createEventArchive(store),
        audit,
        outbox,
        pipeline,
        nodeConditions,
        mutes,
        retentionMs: config.state.retention,
        health: storeHealth,
        onMuteEnded: announceMuteEnded,
        now,
        logger,
        tickMs: o.tickMs ?? 1_000,
      })
      watchDownTimer = setInterval(() => watchDown.check(), o.tickMs ?? 1_000)
      const startStream = () => {
        if (!streamConfig || !streamModules) return
        const [{ createStreamClient }, { createStreamReceiver }] = streamModules
        stream = createStreamReceiver({
          client: createStreamClient({
            ...streamConfig,
            fetch: fetchFn,
            logger,
            ...(o.streamGatewayUrl ? { gatewayUrl: o.streamGatewayUrl } : {}),
          }),
          chat,
          logger,
        })
        stream.start()
      }
      // Several replicas: only the leader holds the Stream connection, a fresh one each term.
      if (ha) ha.addLeaderTask({ start: startStream, stop: async () => stream?.stop() })
      else startStream()
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
        nodeListener: nodeConditions,
        handlers: {
          onListPage: (events, page) => pipeline.ingestListPage(events, page),
          onEvent: (event) => pipeline.ingest(event),
          onDeleted: (uid, created) => pipeline.remove(uid, created),
          onInvalid: (label, detail, raw) => invalidEvents.note(label, detail, identityOf(raw)),
        },
      })
    },
    async stop(flushTimeoutMs) {
      await app.close()
      stream?.stop()
      housekeeping?.stop()
      clearInterval(watchDownTimer)
      await watching?.stop()
      pipeline.flush()
      await chat.idle()
      if (ha) await ha.stop(flushTimeoutMs)
      else await Promise.all([notifier.stop(flushTimeoutMs), sls?.stop(flushTimeoutMs)])
      store.close()
    },
  }
}
