/**
 * buildApp(deps): the Fastify instance with every route registered. It never listens; main.ts
 * does, and tests use `app.inject()`.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify'
import {
  capConnections,
  HTTP_LIMITS,
  type HttpLimits,
  toServerOptions,
} from './http/limit-connections.ts'

/** What the HTTP side needs to know about the rest of the service. */
export interface AppDeps {
  logger: FastifyBaseLogger
  /** True once the first event list was taken in and the store is open, and the watch is not down for long. */
  isReady(): { ready: boolean; reason?: string }
  /** Registers further routes (ChatOps callback, metrics) on the instance. */
  plugins?: ReadonlyArray<(app: FastifyInstance) => void | Promise<void>>
  /** Timeouts and the connection cap (default `HTTP_LIMITS`); tests shorten them. */
  httpLimits?: HttpLimits
}

const QUIET_PATHS = new Set(['/healthz', '/readyz', '/metrics'])

/** Builds the app: health and readiness, plus whatever `deps.plugins` register. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const limits = deps.httpLimits ?? HTTP_LIMITS
  const app = Fastify({
    loggerInstance: deps.logger,
    bodyLimit: 64 * 1024,
    http: toServerOptions(limits),
    connectionTimeout: limits.idleTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Probes and scrapes come every few seconds: logging each would drown what matters.
    logController: new LogController({
      disableRequestLogging: (req) => QUIET_PATHS.has(req.url.split('?')[0] ?? ''),
    }),
  })
  app.server.maxHeadersCount = limits.maxHeadersCount
  capConnections(app.server, limits.maxConnections)
  app.get('/healthz', async () => ({ status: 'ok' }))
  app.get('/readyz', async (_req, reply) => {
    const { ready, reason } = deps.isReady()
    return reply
      .code(ready ? 200 : 503)
      .send(ready ? { status: 'ready' } : { status: 'not ready', reason })
  })
  for (const plugin of deps.plugins ?? []) await plugin(app)
  return app
}
