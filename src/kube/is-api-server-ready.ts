/**
 * Whether the API server says it is ready (`GET /readyz` answered 200, an endpoint every
 * identity may read). The list+watch loop asks it while the server does not answer at all, so
 * that the watch comes back as soon as the server does rather than at the end of a backoff
 * that grew during the outage.
 */
import type { KubeConfig } from '@kubernetes/client-node'
import { openKubeGet } from './kube-request.ts'

/** A probe that hears nothing for this long counts as "not ready". */
const PROBE_IDLE_MS = 5_000

/** Never throws: anything but a 200 (no answer, an error, the abort) is "not ready". */
export async function isApiServerReady(kc: KubeConfig, signal: AbortSignal): Promise<boolean> {
  try {
    const response = await openKubeGet({
      kc,
      path: '/readyz',
      query: {},
      signal,
      idleTimeoutMs: PROBE_IDLE_MS,
    })
    response.resume()
    return true
  } catch {
    return false
  }
}
