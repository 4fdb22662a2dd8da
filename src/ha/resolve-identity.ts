/**
 * Who this replica is and where its Lease lives, from the pod's own facts: the downward API's
 * POD_NAME and POD_NAMESPACE, else the hostname (a pod's name) and the service account's
 * namespace file.
 */
import { readFileSync } from 'node:fs'
import { hostname } from 'node:os'

export const SERVICE_ACCOUNT_NAMESPACE_FILE =
  '/var/run/secrets/kubernetes.io/serviceaccount/namespace'

export interface ReplicaIdentity {
  identity: string
  namespace: string
}

/** Where to read from; the defaults are the real ones. */
export interface IdentitySources {
  env: Readonly<Record<string, string | undefined>>
  hostname?: () => string
  readNamespaceFile?: () => string
}

/**
 * The identity and namespace; throws naming what to set when the namespace cannot be found
 * (outside a cluster, with leaderElection.namespace and POD_NAMESPACE unset).
 */
export function resolveIdentity(configNamespace: string, s: IdentitySources): ReplicaIdentity {
  const identity = s.env.POD_NAME?.trim() || (s.hostname ?? hostname)()
  let namespace = configNamespace || s.env.POD_NAMESPACE?.trim() || ''
  if (!namespace) {
    try {
      namespace = (
        s.readNamespaceFile ?? (() => readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, 'utf8'))
      )().trim()
    } catch {
      namespace = ''
    }
  }
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace))
    throw new Error(
      'leaderElection is enabled but no namespace was found for its Lease: set leaderElection.namespace or POD_NAMESPACE',
    )
  return { identity: identity.slice(0, 253), namespace }
}
