/** What the SLS archive tests wait for and check, shared by them. */
import { setTimeout as sleep } from 'node:timers/promises'
import type { Test } from 'tap'
import type { ClusterEvent } from '../../src/kube/cluster-event.ts'
import type { FakeSls } from './fake-sls.ts'

/** Waits until `ok()` holds, checking every 5 ms; throws naming `what` after `timeoutMs`. */
export async function until(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(5)
  }
}

/** Every uid delivered to the fake Log Service exactly once, in queue order. */
export function assertExactlyOnce(t: Test, sls: FakeSls, sent: readonly ClusterEvent[]): void {
  const uids = sls.logs.map((l) => JSON.parse(l.contents.eventId ?? '{}').metadata.uid)
  t.same(
    uids,
    sent.map((e) => e.uid),
    `${sent.length} events, each once, in order`,
  )
}
