/**
 * The notifier of a replica that may or may not lead: a real notifier runs only while this
 * replica holds the Lease. Each term gets a fresh one (a stopped notifier does not restart);
 * between terms, a never-started one answers `stats` from the local outbox. The gate on each
 * robot client is the last check: a send is not even attempted once the renew deadline passed.
 */
import type { RobotConfig } from '../config/schema.ts'
import type { RobotClient } from '../dingtalk/robot-client.ts'
import type { Notifier } from '../notify/notifier.ts'

export interface LeaderNotifier extends Notifier {
  /** This replica leads from now: start sending (after `prepare`). */
  lead(prepare: () => Promise<void>): Promise<void>
  /** This replica no longer leads: stop at once, abandoning a send in flight. */
  follow(): Promise<void>
}

/** `create` builds a notifier for one term; `isLeader` gates every send. */
export function createLeaderNotifier(
  create: () => Notifier,
  isLeader: () => boolean,
): LeaderNotifier {
  const idle = create()
  let term: Notifier | undefined
  let started = false
  let stopped = false
  let changing: Promise<void> = Promise.resolve()

  const serially = (step: () => Promise<void>) => {
    changing = changing.then(step, step)
    return changing
  }

  return {
    start() {
      started = true
    },
    kick: () => term?.kick(),
    stop(flushTimeoutMs) {
      stopped = true
      return serially(async () => {
        await term?.stop(flushTimeoutMs)
      })
    },
    stats: () => (term ?? idle).stats(),
    settled: () => term?.settled() ?? Promise.resolve(),
    lead(prepare) {
      return serially(async () => {
        if (!started || stopped || term) return
        await prepare()
        if (!isLeader()) return
        term = create()
        term.start()
      })
    },
    follow() {
      return serially(async () => {
        const ending = term
        term = undefined
        await ending?.stop(0)
      })
    },
  }
}

/** Wraps a robot client so it refuses to send when this replica is not the leader. */
export function gateClient(client: RobotClient, isLeader: () => boolean): RobotClient {
  return {
    name: client.name,
    send(message, options) {
      if (!isLeader())
        return Promise.resolve({
          kind: 'retry',
          errcode: null,
          errmsg: 'not the leader',
          explanation: 'this replica no longer leads: the leader sends this message',
        })
      return client.send(message, options)
    },
  }
}

/** For NotifierOptions.clientFor: the real client of each robot, gated. */
export function toGatedClientFor(
  clientFor: (robot: RobotConfig) => RobotClient,
  isLeader: () => boolean,
): (robot: RobotConfig) => RobotClient {
  return (robot) => gateClient(clientFor(robot), isLeader)
}
