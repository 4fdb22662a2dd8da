/**
 * `/metrics` in Prometheus text format. Every figure is read from the module that owns it at
 * scrape time (no second set of counters to keep in step): counters are set to the owner's
 * running total, gauges to its current value.
 */
import type { FastifyInstance } from 'fastify'
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client'

type Labels = Record<string, string>
/** One labelled value. */
export interface Sample {
  labels: Labels
  value: number
}

/** Where the figures come from; each getter is called once per scrape. */
export interface MetricsSources {
  version: string
  events(): Sample[]
  occurrences(): number
  alertsSent(): Sample[]
  alertsRefused(): Sample[]
  alertsMuted(): number
  outboxDepth(): Sample[]
  robotsThrottled(): Sample[]
  watchRestarts(): number
  watchUp(): number
  commands(): Sample[]
  slsBatches(): Sample[]
  slsQueue(): number
  storeBytes(): number
  /** Node problem conditions tracked from the node watch (open, or waiting to be resolved). */
  nodeProblems(): number
  /** Node condition messages queued, by kind (`node-problem`, `node-resolved`). */
  nodeMessages(): Sample[]
  eventsInvalid(): Sample[]
  storeUp(): number
}

/** Builds the registry: kubeding's figures plus Node's default process metrics. */
export function createMetricsRegistry(src: MetricsSources): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'kubeding_' })
  const counter = (name: string, help: string, labelNames: string[], read: () => Sample[]) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset()
        for (const s of read()) this.inc(s.labels, s.value)
      },
    })
  const gauge = (name: string, help: string, labelNames: string[], read: () => Sample[]) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset()
        for (const s of read()) this.set(s.labels, s.value)
      },
    })
  const one = (read: () => number) => () => [{ labels: {}, value: read() }]

  counter(
    'kubeding_events_total',
    'Events taken in (new or changed), by type',
    ['type'],
    src.events,
  )
  counter(
    'kubeding_event_occurrences_total',
    'Event occurrences taken in: new events plus count increases',
    [],
    one(src.occurrences),
  )
  counter(
    'kubeding_alerts_sent_total',
    'Messages DingTalk accepted, by robot',
    ['robot'],
    src.alertsSent,
  )
  counter(
    'kubeding_alerts_refused_total',
    'Messages DingTalk refused, by robot and errcode',
    ['robot', 'errcode'],
    src.alertsRefused,
  )
  counter(
    'kubeding_alerts_muted_total',
    'Event occurrences held back by mutes',
    [],
    one(src.alertsMuted),
  )
  gauge('kubeding_outbox_messages', 'Messages waiting for DingTalk', ['robot'], src.outboxDepth)
  gauge(
    'kubeding_robot_throttled',
    '1 while a robot is paused (throttled or halted)',
    ['robot'],
    src.robotsThrottled,
  )
  counter(
    'kubeding_watch_restarts_total',
    'Restarts of the event watch',
    [],
    one(src.watchRestarts),
  )
  gauge('kubeding_watch_up', '1 while the event watch is connected', [], one(src.watchUp))
  counter(
    'kubeding_commands_total',
    'Chat commands, by command and result',
    ['command', 'result'],
    src.commands,
  )
  counter(
    'kubeding_sls_batches_total',
    'PutLogs batches to Log Service, by result',
    ['result'],
    src.slsBatches,
  )
  gauge('kubeding_sls_queue_logs', 'Events waiting for Log Service', [], one(src.slsQueue))
  gauge('kubeding_store_size_bytes', 'Size of the embedded store on disk', [], one(src.storeBytes))
  gauge(
    'kubeding_node_problems',
    'Node problem conditions tracked from the node watch',
    [],
    one(src.nodeProblems),
  )
  counter(
    'kubeding_node_messages_total',
    'Node condition messages queued, by kind',
    ['kind'],
    src.nodeMessages,
  )
  counter(
    'kubeding_events_invalid_total',
    'Events rejected, clamped or refused by the store, by reason',
    ['reason'],
    src.eventsInvalid,
  )
  gauge(
    'kubeding_store_up',
    '1 while the store can be written and its file is in place',
    [],
    one(src.storeUp),
  )
  const build = new Gauge({
    name: 'kubeding_build_info',
    help: 'Always 1; the labels say which build runs',
    labelNames: ['version', 'node'],
    registers: [registry],
  })
  build.set({ version: src.version, node: process.version }, 1)
  return registry
}

/** Registers `GET /metrics`. */
export function registerMetrics(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  )
}
