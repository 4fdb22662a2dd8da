/**
 * The Lease as leader election reads and writes it (client-go's LeaderElectionRecord), and the
 * conversion from and to the API's object.
 */
import type { V1Lease } from '@kubernetes/client-node'

export interface LeaseRecord {
  /** Empty when released. */
  holder: string
  leaseDurationSeconds: number
  acquireTime: number
  renewTime: number
  transitions: number
  /** The stored object's resourceVersion; empty before it exists. */
  resourceVersion: string
}

/** The Lease's fields, read defensively: another writer may have left any of them out. */
export function toLeaseRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {}
  return {
    holder: spec.holderIdentity ?? '',
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 0,
    acquireTime: toMillis(spec.acquireTime),
    renewTime: toMillis(spec.renewTime),
    transitions: spec.leaseTransitions ?? 0,
    resourceVersion: lease.metadata?.resourceVersion ?? '',
  }
}

/** The object to create or replace; `resourceVersion` makes the replace conditional. */
export function toLease(name: string, namespace: string, r: LeaseRecord): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: {
      name,
      namespace,
      ...(r.resourceVersion ? { resourceVersion: r.resourceVersion } : {}),
    },
    spec: {
      holderIdentity: r.holder,
      leaseDurationSeconds: r.leaseDurationSeconds,
      // MicroTime: written as the API server writes it (the type says Date; JSON makes it text).
      acquireTime: toMicroTime(r.acquireTime),
      renewTime: toMicroTime(r.renewTime),
      leaseTransitions: r.transitions,
    },
  }
}

/** RFC 3339 with microseconds, as the API server writes a MicroTime. */
function toMicroTime(ms: number): Date {
  return new Date(ms).toISOString().replace('Z', '000Z') as unknown as Date
}

/** A MicroTime arrives as text in the JSON (its type says Date). */
function toMillis(value: Date | string | undefined): number {
  if (value === undefined) return 0
  const ms = value instanceof Date ? value.getTime() : Date.parse(value)
  return Number.isFinite(ms) ? ms : 0
}
