/**
 * Mutes shared by every replica: a `mute` or `unmute` on any pod is written to the shared
 * state, and each replica copies what the shared state holds into its own SQLite mutes table,
 * which becomes a cache of it (and still serves `match` from memory). The shared state wins:
 * a mute id it holds is the mute the whole group means by that id.
 */
import { createMuteStore, type MuteRecord, type MuteStore } from '../store/mutes.ts'
import type { Store } from '../store/open-store.ts'
import type { RecordChange } from './checkpoint-outbox.ts'
import type { SharedDoc } from './shared-doc.ts'

export interface SharedMutes extends MuteStore {
  /** Copies the shared state's mutes into the local table; true when anything changed. */
  apply(doc: SharedDoc): boolean
  /** Mutes set on this replica before sharing began (or while the write failed) go to the shared state. */
  publishLocal(doc: SharedDoc, now: number): void
}

export interface SharedMutesLogger {
  warn(obj: object, msg: string): void
}

/**
 * How long `shared` waits for the shared state to hold a new mute (writes go out every 250 ms);
 * past it, the reply names the id given out here, as when the API server cannot be written.
 */
const SHARED_WAIT_MS = 2_000

/** Prepares the shared mutes over an open store. */
export function createSharedMutes(
  store: Store,
  record: RecordChange,
  logger: SharedMutesLogger,
  sharedWaitMs = SHARED_WAIT_MS,
): SharedMutes {
  const { db } = store
  const upsert = db.prepare(`INSERT INTO mutes (id, namespace, kind, name, reason, created_by,
    created_by_name, conversation_id, created_at, ends_at, ended_at, ended_by, held_back)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
    ON CONFLICT (id) DO UPDATE SET namespace = excluded.namespace, kind = excluded.kind,
      name = excluded.name, reason = excluded.reason, created_by = excluded.created_by,
      created_by_name = excluded.created_by_name, conversation_id = excluded.conversation_id,
      created_at = excluded.created_at, ends_at = excluded.ends_at,
      ended_at = excluded.ended_at, ended_by = excluded.ended_by`)
  let inner = createMuteStore(store)

  /** Writes `mute` to the shared state; resolves with it as stored there (renamed or not). */
  const publish = (mute: MuteRecord): Promise<MuteRecord> => {
    let stored = mute
    const written = record((doc) => {
      // Run again on a fresh copy when another replica's write came first.
      stored = mute
      const i = doc.mutes.findIndex((m) => m.id === mute.id)
      const held = i >= 0 ? doc.mutes[i] : undefined
      if (!held) {
        doc.mutes.push(mute)
        return
      }
      if (isSame(held, mute)) {
        doc.mutes[i] = {
          ...held,
          endedAt: mute.endedAt ?? held.endedAt,
          endedBy: mute.endedBy ?? held.endedBy,
        }
        return
      }
      // Two pods gave out the same id within a poll: this one takes the next free id.
      const id = `m${1 + Math.max(0, ...doc.mutes.map((m) => Number(m.id.slice(1))))}`
      logger.warn(
        { mute: mute.id, renamedTo: id },
        'two replicas set a mute with the same id at once; this one is renamed',
      )
      stored = { ...mute, id }
      doc.mutes.push(stored)
    })
    // A write that fails is the shared state's to report; the mute stands here as given out.
    return written.then(
      () => stored,
      () => mute,
    )
  }
  /** What `add` gave out, until `shared` is asked about it. */
  const sharing = new WeakMap<MuteRecord, Promise<MuteRecord>>()

  const toRow = (m: MuteRecord) => [
    m.id,
    m.selector.namespace ?? null,
    m.selector.kind ?? null,
    m.selector.name ?? null,
    m.selector.reason ?? null,
    m.createdBy,
    m.createdByName,
    m.conversationId,
    m.createdAt,
    m.endsAt,
    m.endedAt ?? null,
    m.endedBy ?? null,
  ]

  return {
    add(mute) {
      const added = inner.add(mute)
      sharing.set(added, publish(added))
      return added
    },
    async shared(mute) {
      const stored = sharing.get(mute)
      if (!stored) return mute
      let timer: NodeJS.Timeout | undefined
      const waited = new Promise<MuteRecord>((resolve) => {
        timer = setTimeout(() => resolve(mute), sharedWaitMs)
      })
      try {
        return await Promise.race([stored, waited])
      } finally {
        clearTimeout(timer)
      }
    },
    match: (event, now) => inner.match(event, now),
    recordHeldBack: (id, occurrences) => inner.recordHeldBack(id, occurrences),
    active: (now) => inner.active(now),
    get: (id) => inner.get(id),
    end(id, by, now) {
      const ended = inner.end(id, by, now)
      if (ended) void publish(ended)
      return ended
    },
    endAll(by, now) {
      const ended = inner.endAll(by, now)
      for (const m of ended) void publish(m)
      return ended
    },
    expireDue: (now) => inner.expireDue(now),
    purgeEnded: (cutoff) => inner.purgeEnded(cutoff),
    apply(doc) {
      const changed = doc.mutes.filter((m) => {
        const local = inner.get(m.id)
        return (
          !local || !isSame(local, m) || (m.endedAt !== undefined && local.endedAt === undefined)
        )
      })
      if (changed.length === 0) return false
      store.tx(() => {
        for (const m of changed) {
          const local = inner.get(m.id)
          // A mute this replica ended already stays ended, whatever the shared copy says.
          const ended = local?.endedAt !== undefined && isSame(local, m) ? local : m
          upsert.run(
            ...(toRow({ ...m, endedAt: ended.endedAt, endedBy: ended.endedBy }) as Array<
              string | number | null
            >),
          )
        }
      })
      inner = createMuteStore(store)
      return true
    },
    publishLocal(doc, now) {
      for (const m of inner.active(now)) if (!doc.mutes.some((s) => s.id === m.id)) void publish(m)
    },
  }
}

/** The same mute: same creator, creation time and selector (ends may differ). */
function isSame(a: MuteRecord, b: MuteRecord): boolean {
  return (
    a.createdBy === b.createdBy &&
    a.createdAt === b.createdAt &&
    a.selector.namespace === b.selector.namespace &&
    a.selector.kind === b.selector.kind &&
    a.selector.name === b.selector.name &&
    a.selector.reason === b.selector.reason
  )
}
