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

/** Why a gated send was not attempted (the message stays queued). */
const refusal = (errmsg: string, explanation: string) =>
  Promise.resolve({ kind: 'retry' as const, errcode: null, errmsg, explanation })

/**
 * Wraps a robot client so it sends only while this replica leads, and only once the previous
 * answer is in the checkpoint (`ready`): whatever happens to the leader, at most one message per
 * robot can have been delivered without the next leader knowing it.
 */
export function gateClient(
  client: RobotClient,
  isLeader: () => boolean,
  ready: () => Promise<boolean> = () => Promise.resolve(true),
): RobotClient {
  return {
    name: client.name,
    async send(message, options) {
      if (!isLeader())
        return refusal(
          'not the leader',
          'this replica no longer leads: the leader sends this message',
        )
      if (!(await ready()) || !isLeader())
        return refusal(
          'checkpoint not written',
          'the delivery checkpoint could not be stored in the shared state: sending waits for it',
        )
      return client.send(message, options)
    },
  }
}

/** For NotifierOptions.clientFor: the real client of each robot, gated. */
export function toGatedClientFor(
  clientFor: (robot: RobotConfig) => RobotClient,
  isLeader: () => boolean,
  ready: (robot: string) => Promise<boolean>,
): (robot: RobotConfig) => RobotClient {
  return (robot) => gateClient(clientFor(robot), isLeader, () => ready(robot.name))
}
