/**
 * The two kinds of object kubeding keeps in its own namespace, reached through the generated
 * client (CoordinationV1Api for the Lease, CoreV1Api for the shared state's ConfigMap), each call
 * bounded in time: a partitioned API server must not leave the leader waiting on a request past
 * its renew deadline.
 */
import {
  CoordinationV1Api,
  CoreV1Api,
  type KubeConfig,
  Observable,
  type ObservableMiddleware,
  type V1ConfigMap,
  type V1Lease,
} from '@kubernetes/client-node'
import { statusOf } from '../kube/kube-api-error.ts'

/** A write lost the race: someone else changed the object since it was read (HTTP 409). */
export class ConflictError extends Error {
  readonly code = 'conflict'
}

/** Read, create and replace of one named object; `read` answers undefined for 404. */
export interface ObjectClient<T> {
  read(): Promise<T | undefined>
  /** Throws ConflictError when it exists already. */
  create(object: T): Promise<T>
  /** Throws ConflictError when `object.metadata.resourceVersion` is not the stored one. */
  replace(object: T): Promise<T>
}

export interface ObjectTarget {
  kc: KubeConfig
  namespace: string
  name: string
  /** Each request is abandoned after this long. */
  timeoutMs: number
}

/** A Lease, through CoordinationV1Api. */
export function createLeaseClient(t: ObjectTarget): ObjectClient<V1Lease> {
  const api = t.kc.makeApiClient(CoordinationV1Api)
  const options = withTimeout(t.timeoutMs)
  return {
    read: () =>
      readOrUndefined(() =>
        api.readNamespacedLease({ name: t.name, namespace: t.namespace }, options()),
      ),
    create: (lease) =>
      conflictAware(() =>
        api.createNamespacedLease({ namespace: t.namespace, body: lease }, options()),
      ),
    replace: (lease) =>
      conflictAware(() =>
        api.replaceNamespacedLease(
          { name: t.name, namespace: t.namespace, body: lease },
          options(),
        ),
      ),
  }
}

/** A ConfigMap, through CoreV1Api. */
export function createConfigMapClient(t: ObjectTarget): ObjectClient<V1ConfigMap> {
  const api = t.kc.makeApiClient(CoreV1Api)
  const options = withTimeout(t.timeoutMs)
  return {
    read: () =>
      readOrUndefined(() =>
        api.readNamespacedConfigMap({ name: t.name, namespace: t.namespace }, options()),
      ),
    create: (body) =>
      conflictAware(() =>
        api.createNamespacedConfigMap({ namespace: t.namespace, body }, options()),
      ),
    replace: (body) =>
      conflictAware(() =>
        api.replaceNamespacedConfigMap({ name: t.name, namespace: t.namespace, body }, options()),
      ),
  }
}

/** Per-call options whose middleware gives the request an abort signal after `ms`. */
function withTimeout(ms: number) {
  return () => {
    const timeout: ObservableMiddleware = {
      pre: (ctx) => {
        ctx.setSignal(AbortSignal.timeout(ms))
        return new Observable(Promise.resolve(ctx))
      },
      post: (res) => new Observable(Promise.resolve(res)),
    }
    return { middleware: [timeout], middlewareMergeStrategy: 'append' as const }
  }
}

async function readOrUndefined<T>(call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call()
  } catch (err) {
    if (statusOf(err) === 404) return undefined
    throw err
  }
}

async function conflictAware<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (statusOf(err) === 409) throw new ConflictError('the object changed since it was read')
    throw err
  }
}
