/**
 * The shared state's ConfigMap, kept in step: read every `pollMs` (so a mute set on another
 * replica applies here within two seconds), written by read-modify-write conditioned on the
 * resourceVersion. Changes are queued and written together at most every `writeGapMs`: during a
 * storm the checkpoint costs the API server a few writes a second at most, not one per message.
 * A write that loses the race re-reads and applies its changes again, so concurrent writers
 * (the leader's checkpoint, any replica's mute) never overwrite each other.
 */
import type { V1ConfigMap } from '@kubernetes/client-node'
import { ConflictError, type ObjectClient } from './kube-objects.ts'
import { createEmptyDoc, parseSharedDoc, type SharedDoc, toConfigMapData } from './shared-doc.ts'

export interface SharedStateLogger {
  warn(obj: object, msg: string): void
}

export interface SharedStateOptions {
  client: ObjectClient<V1ConfigMap>
  name: string
  namespace: string
  now: () => number
  pollMs: number
  writeGapMs: number
  logger: SharedStateLogger
}

/** What the shared state cost the API server since start. */
export interface SharedStateStats {
  writes: number
  bytesWritten: number
  conflicts: number
  lastBytes: number
}

export interface SharedState {
  start(): void
  /** Stops polling and writing; queued changes are dropped (what a crash does). */
  stop(): void
  /** The document as last read or written. */
  doc(): SharedDoc
  /** Queues a change; resolves once it is stored (after retries, however long that takes). */
  update(change: (doc: SharedDoc) => void): Promise<void>
  /** Writes the queued changes now; resolves when they are stored or `timeoutMs` passed. */
  flush(timeoutMs: number): Promise<void>
  /** Reads the ConfigMap now. */
  refresh(): Promise<SharedDoc>
  /** Told after each read that found a new version, and after each own write. */
  onChange(listener: (doc: SharedDoc) => void): void
  stats(): SharedStateStats
}

interface Pending {
  change: (doc: SharedDoc) => void
  done: () => void
}

const MAX_ATTEMPTS = 5

/** Creates the shared state; nothing is read before `start()`. */
export function createSharedState(o: SharedStateOptions): SharedState {
  let current: V1ConfigMap | undefined
  let doc = createEmptyDoc()
  let pending: Pending[] = []
  let writing: Promise<void> | undefined
  let writeTimer: NodeJS.Timeout | undefined
  let pollTimer: NodeJS.Timeout | undefined
  let lastWriteAt = Number.NEGATIVE_INFINITY
  let stopped = true
  let reported = ''
  const listeners: Array<(doc: SharedDoc) => void> = []
  const stats: SharedStateStats = { writes: 0, bytesWritten: 0, conflicts: 0, lastBytes: 0 }

  const take = (object: V1ConfigMap | undefined) => {
    current = object
    const parsed = parseSharedDoc(object?.data)
    const problems = parsed.problems.join('; ')
    if (problems && problems !== reported)
      o.logger.warn(
        { configMap: `${o.namespace}/${o.name}`, problems },
        'parts of the shared state ConfigMap could not be read and are taken as empty: was it edited by hand?',
      )
    reported = problems
    doc = parsed.doc
    for (const listener of listeners) listener(doc)
  }

  async function refresh(): Promise<SharedDoc> {
    const object = await o.client.read()
    if (object?.metadata?.resourceVersion !== current?.metadata?.resourceVersion) take(object)
    return doc
  }

  async function writeOnce(batch: readonly Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const next = structuredClone(doc)
      for (const p of batch) p.change(next)
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: o.name,
          namespace: o.namespace,
          labels: { 'app.kubernetes.io/name': 'kubeding', 'app.kubernetes.io/component': 'state' },
          ...(current?.metadata?.resourceVersion
            ? { resourceVersion: current.metadata.resourceVersion }
            : {}),
        },
        data: toConfigMapData(next, o.now()),
      }
      try {
        const stored = current ? await o.client.replace(body) : await o.client.create(body)
        const bytes = Buffer.byteLength(JSON.stringify(body))
        stats.writes++
        stats.bytesWritten += bytes
        stats.lastBytes = bytes
        take(stored)
        return
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= MAX_ATTEMPTS) throw err
        stats.conflicts++
        await refresh()
      }
    }
  }

  function schedule(): void {
    if (stopped || writing || writeTimer || pending.length === 0) return
    const wait = Math.max(0, lastWriteAt + o.writeGapMs - performance.now())
    writeTimer = setTimeout(() => {
      writeTimer = undefined
      writing = writeBatch().finally(() => {
        writing = undefined
        schedule()
      })
    }, wait)
  }

  async function writeBatch(): Promise<void> {
    const batch = pending
    pending = []
    lastWriteAt = performance.now()
    try {
      await writeOnce(batch)
      for (const p of batch) p.done()
    } catch (err) {
      if (stopped) return
      o.logger.warn(
        { err: String(err), configMap: `${o.namespace}/${o.name}` },
        'could not write the shared state; trying again: check the API server and the Role on configmaps',
      )
      pending = [...batch, ...pending]
      lastWriteAt = performance.now() + o.pollMs
    }
  }

  const poll = () => {
    pollTimer = setTimeout(() => {
      refresh()
        .catch((err: unknown) =>
          o.logger.warn(
            { err: String(err), configMap: `${o.namespace}/${o.name}` },
            'could not read the shared state; mutes from other replicas wait for the next read',
          ),
        )
        .finally(() => {
          if (!stopped) poll()
        })
    }, o.pollMs)
  }

  return {
    start() {
      if (!stopped) return
      stopped = false
      poll()
    },
    stop() {
      stopped = true
      clearTimeout(pollTimer)
      clearTimeout(writeTimer)
      writeTimer = undefined
      pending = []
    },
    doc: () => doc,
    update(change) {
      return new Promise<void>((done) => {
        pending.push({ change, done })
        schedule()
      })
    },
    async flush(timeoutMs) {
      clearTimeout(writeTimer)
      writeTimer = undefined
      const deadline = performance.now() + timeoutMs
      while (pending.length > 0 || writing) {
        if (performance.now() > deadline) return
        if (!writing) {
          writing = writeBatch().finally(() => {
            writing = undefined
          })
        }
        await Promise.race([
          writing,
          new Promise((r) => setTimeout(r, deadline - performance.now())),
        ])
      }
    },
    refresh,
    onChange: (listener) => listeners.push(listener),
    stats: () => ({ ...stats }),
  }
}
