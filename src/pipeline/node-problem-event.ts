/**
 * Which node condition an Event speaks for, so that node-problem-detector's own Event and the
 * condition it sets (told from the node watch) reach the group once. Facts from
 * `shared/reference/kubernetes.md` and NPD's stock monitor configs.
 */
import type { ClusterEvent } from '../kube/cluster-event.ts'

/**
 * Reasons of Events that announce a condition turning into a problem: NPD's permanent rules
 * (the Event carries the rule's reason, e.g. DockerHung for KernelDeadlock), the condition names
 * themselves (some NPD builds use them as the reason), and the kubelet's and node controller's
 * Events about its own conditions. Temporary NPD problems (TaskHung, OOMKilling, KernelOops, ...)
 * set no condition and are left out on purpose: a hung task is not a deadlocked kernel, and
 * taking one for the other would silence the very KernelDeadlock the group must hear about.
 */
const CONDITION_OF_REASON: ReadonlyMap<string, string> = new Map([
  ['DockerHung', 'KernelDeadlock'],
  ['AUFSUmountHung', 'KernelDeadlock'],
  ['KernelDeadlock', 'KernelDeadlock'],
  ['FilesystemIsReadOnly', 'ReadonlyFilesystem'],
  ['ReadonlyFilesystem', 'ReadonlyFilesystem'],
  ['CorruptDockerOverlay2', 'CorruptDockerOverlay2'],
  ['FrequentKubeletRestart', 'FrequentKubeletRestart'],
  ['FrequentDockerRestart', 'FrequentDockerRestart'],
  ['FrequentContainerdRestart', 'FrequentContainerdRestart'],
  ['KubeletUnhealthy', 'KubeletUnhealthy'],
  ['ContainerdUnhealthy', 'ContainerRuntimeUnhealthy'],
  ['DockerUnhealthy', 'ContainerRuntimeUnhealthy'],
  ['ContainerRuntimeUnhealthy', 'ContainerRuntimeUnhealthy'],
  ['DiskBadBlock', 'DiskBadBlock'],
  ['NTPIsDown', 'NTPProblem'],
  ['NodeHasFDPressure', 'FDPressure'],
  ['NodeHasInodePressure', 'InodePressure'],
  ['NodeNotReady', 'Ready'],
  ['NodeHasDiskPressure', 'DiskPressure'],
  ['NodeHasInsufficientMemory', 'MemoryPressure'],
  ['NodeHasInsufficientPID', 'PIDPressure'],
])

/**
 * NPD's condition-change Event says `Node condition KernelDeadlock is now: True, reason: ...`
 * whatever the rule's reason: the surest sign. Anchored and bounded, so matching is linear.
 */
const CONDITION_NOW_TRUE = /^Node condition ([A-Za-z0-9._/-]{1,128}) is now: True\b/

/** The node condition an Event announces as a problem, or undefined (not about a Node, or not one). */
export function toEventCondition(
  event: Pick<ClusterEvent, 'kind' | 'reason' | 'message'>,
): string | undefined {
  if (event.kind !== 'Node') return undefined
  return (
    CONDITION_NOW_TRUE.exec(event.message.slice(0, 200))?.[1] ??
    CONDITION_OF_REASON.get(event.reason)
  )
}
