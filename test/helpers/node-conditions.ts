/**
 * What the node condition integration tests share: NPD's KernelDeadlock and its return to
 * normal, and a service started on the rig with its first list of nodes taken in.
 */
import type { Service } from '../../src/service.ts'
import type { ConditionSpec } from './event-builders.ts'
import { eventually } from './fake-kube-api.ts'
import { askChat, type Rig, untilReady } from './service-rig.ts'

export const OUTGOING_TOKEN = 'outgoing-token-for-tests'

/** What NPD's kernel monitor sets when `task docker:... blocked` is logged. */
export const KERNEL: ConditionSpec = {
  type: 'KernelDeadlock',
  status: 'True',
  reason: 'DockerHung',
  message: 'task docker:7 blocked for more than 120 seconds.',
}
export const KERNEL_OK: ConditionSpec = {
  type: 'KernelDeadlock',
  status: 'False',
  reason: 'KernelHasNoDeadlock',
  message: 'kernel has no deadlock',
}

export const markdowns = (rig: Rig): { title: string; text: string }[] =>
  rig.dingtalk.messages.map((m) => m.body.markdown)
export const titles = (rig: Rig): string[] => markdowns(rig).map((m) => m.title)
export const quiet = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Starts the service and waits until its node watch has taken in the first list of nodes. */
export async function startWithNodes(
  rig: Rig,
  over: Parameters<Rig['start']>[0] = {},
): Promise<Service> {
  const service = await rig.start(over)
  await untilReady(service)
  await eventually(() => rig.kube.count('list', 'nodes') > 0, 'nodes listed')
  await quiet(100)
  return service
}

/** A chat command through the custom robot's Outgoing callback; the reply's markdown text. */
export const say = (service: Service, text: string): Promise<string> =>
  askChat(service, OUTGOING_TOKEN, text)
