/**
 * One watch request, turned into what the list+watch loop must do next: resume (the stream
 * ended), relist (410 Expired, in the stream or as the HTTP answer), back off (anything else),
 * or nothing (stopped).
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { KubeApiError, statusOf, toStatus } from './kube-api-error.ts'
import { readWatchStream, type WatchLine } from './read-watch-stream.ts'
import type { ChangeType, KubeLogger } from './watch-state.ts'

/**
 * How a watch ended. Whether an `ended` stream was a healthy one (it ran its course) or a server
 * accepting and dropping it at once is the list+watch loop's call (list-watch.ts, `proven`).
 */
export type WatchOutcome =
  | { kind: 'ended' }
  | { kind: 'expired' }
  | { kind: 'failed'; error: unknown }
  | { kind: 'stopped' }

/** Our own handler threw: not the API server's fault, and the log says so. */
export class HandlerError extends Error {
  constructor(handler: string, cause: unknown) {
    super(`${handler} threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause })
    this.name = 'HandlerError'
  }
}

/** One watch request and where its lines go. */
export interface WatchOnceOptions {
  kc: KubeConfig
  path: string
  /** For log lines: `events in namespace prod`. */
  what: string
  resourceVersion: string
  timeoutSeconds: number
  /** Aborted by stop(). */
  stopSignal: AbortSignal
  logger: KubeLogger
  onConnected(): void
  /** Every event and bookmark, with its resourceVersion (undefined when it carried none). */
  onProgress(type: ChangeType | 'BOOKMARK', resourceVersion: string | undefined): void
  /** A change; a throw ends the watch with a HandlerError. */
  onChange(type: ChangeType, object: unknown): void
}

const resourceVersionOf = (object: unknown): string | undefined => {
  const meta = (object as { metadata?: { resourceVersion?: unknown } } | null)?.metadata
  return typeof meta?.resourceVersion === 'string' && meta.resourceVersion !== ''
    ? meta.resourceVersion
    : undefined
}

function errorOutcome(object: unknown): WatchOutcome {
  const status = toStatus(object)
  if (status?.code === 410) return { kind: 'expired' }
  const error = new KubeApiError(
    status?.code ?? 500,
    status?.reason ?? '',
    status?.message ?? 'watch ERROR',
  )
  return { kind: 'failed', error }
}

/** Runs one watch to its end and says how it ended. Never throws. */
export async function watchOnce(o: WatchOnceOptions): Promise<WatchOutcome> {
  const request = new AbortController()
  const abort = () => request.abort()
  o.stopSignal.addEventListener('abort', abort)
  let outcome: WatchOutcome | undefined
  const onLine = ({ type, object }: WatchLine) => {
    if (outcome) return
    if (type === 'ERROR') {
      outcome = errorOutcome(object)
      // The server ends the stream after an ERROR; do not rely on it.
      return abort()
    }
    if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED' && type !== 'BOOKMARK') {
      o.logger.warn({ what: o.what, type }, 'unknown watch event type: skipped')
      return
    }
    o.onProgress(type, resourceVersionOf(object))
    if (type === 'BOOKMARK') return
    try {
      o.onChange(type, object)
    } catch (error) {
      outcome = { kind: 'failed', error: new HandlerError('onChange', error) }
      abort()
    }
  }
  try {
    await readWatchStream({
      kc: o.kc,
      path: o.path,
      query: {
        resourceVersion: o.resourceVersion,
        allowWatchBookmarks: 'true',
        timeoutSeconds: String(o.timeoutSeconds),
      },
      signal: request.signal,
      // Only a connection that is dead without a FIN stays silent past the server's own timeout.
      idleTimeoutMs: (o.timeoutSeconds + 30) * 1000,
      onConnected: o.onConnected,
      onLine,
      onGarbage: (text) =>
        o.logger.warn(
          { what: o.what, line: text.slice(0, 200) },
          'watch sent a line that is not JSON: skipped',
        ),
    })
  } catch (error) {
    if (o.stopSignal.aborted) return { kind: 'stopped' }
    if (outcome) return outcome
    return statusOf(error) === 410 ? { kind: 'expired' } : { kind: 'failed', error }
  } finally {
    o.stopSignal.removeEventListener('abort', abort)
  }
  if (o.stopSignal.aborted) return { kind: 'stopped' }
  return outcome ?? { kind: 'ended' }
}
