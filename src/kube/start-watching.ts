/**
 * Connects to the cluster and keeps watching: loads the kubeconfig (retrying with backoff while
 * there is none, so a newcomer's first `npm start` explains itself instead of crashing), then
 * runs the event source and the Node cache.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { createNodeCache, type NodeCache, type NodeListener } from './node-cache.ts'
import {
  type Backoff,
  createEventSource,
  type EventSourceHandlers,
  type KubeLogger,
  type WatchState,
} from './watch-events.ts'

export interface WatchingOptions {
  /** Reads the kubeconfig; throws while there is none. */
  loadKubeConfig: () => KubeConfig
  namespaces: string[]
  /**
   * Where events go. A list's last page (`page.last`) is each scope's own news that it was listed:
   * there is no "every namespace listed" signal, so that one namespace that can never be listed
   * (403) does not hold back the others (the pipeline's bootstrap is per scope).
   */
  handlers: EventSourceHandlers
  /** Told about node changes (the node condition source). */
  nodeListener?: NodeListener
  logger: KubeLogger & { child(bindings: object): KubeLogger }
  now: () => number
  backoff: Backoff
}

/** The running watches; both are undefined until a kubeconfig could be loaded. */
export interface Watching {
  events(): WatchState | undefined
  nodes(): NodeCache | undefined
  /** The event watches list again (EventSource.relist); nothing before they run. */
  relistEvents(reason: Error): void
  stop(): Promise<void>
}

/** Starts connecting at once. */
export function startWatching(o: WatchingOptions): Watching {
  let events: ReturnType<typeof createEventSource> | undefined
  let nodes: NodeCache | undefined
  let retry: NodeJS.Timeout | undefined

  const connect = (attempt: number) => {
    let kc: KubeConfig
    try {
      kc = o.loadKubeConfig()
    } catch (err) {
      const delay = Math.min(o.backoff.initialMs * 2 ** attempt, o.backoff.maxMs)
      o.logger.error(
        { err: err instanceof Error ? err.message : String(err), retryInMs: delay },
        'no Kubernetes cluster to watch: set kubernetes.kubeconfig in the config file, or KUBECONFIG, or run in a pod with a service account; retrying',
      )
      retry = setTimeout(() => connect(attempt + 1), delay)
      return
    }
    const logger = o.logger.child({ component: 'kube' })
    const source = createEventSource({
      kc,
      namespaces: o.namespaces,
      logger,
      now: o.now,
      backoff: o.backoff,
      handlers: o.handlers,
    })
    events = source
    nodes = createNodeCache({
      kc,
      logger,
      now: o.now,
      backoff: o.backoff,
      ...(o.nodeListener ? { listener: o.nodeListener } : {}),
    })
    source.start()
    nodes.start()
  }
  connect(0)

  return {
    events: () => events?.state(),
    nodes: () => nodes,
    relistEvents: (reason) => events?.relist(reason),
    async stop() {
      clearTimeout(retry)
      await Promise.all([events?.stop(), nodes?.stop()])
    },
  }
}
