/**
 * The one-line hint under an alert: what to check first, and the `kubectl` command that shows it,
 * filled in with the object's own names (escaped like every other event value when rendered).
 */
import { type Markdown, md } from '../draft/rich-text.ts'
import type { Strings } from '../i18n/strings.ts'

type HintKey = keyof Strings['hints']

/** What a hint needs to know about the object. */
export interface HintSubject {
  kind: string
  namespace: string
  name: string
  reason: string
  message: string
  /** The node the event came from (`source.host`), when known. */
  host: string
}

/** Event reasons and node conditions, kubelet's and node-problem-detector's stock ones. */
const BY_REASON: Readonly<Record<string, HintKey>> = {
  BackOff: 'crashLoop',
  CrashLoopBackOff: 'crashLoop',
  OOMKilling: 'oom',
  OOMKilled: 'oom',
  PodOOMKilling: 'oom',
  FailedScheduling: 'scheduling',
  FailedMount: 'mount',
  FailedAttachVolume: 'mount',
  Unhealthy: 'probe',
  FailedCreatePodSandBox: 'sandbox',
  ImagePullBackOff: 'image',
  ErrImagePull: 'image',
  Evicted: 'evicted',
  NodeNotReady: 'nodeNotReady',
  Ready: 'nodeNotReady',
  KernelDeadlock: 'kernelDeadlock',
  DockerHung: 'kernelDeadlock',
  TaskHung: 'taskHung',
  KernelOops: 'kernelOops',
  UnregisterNetDevice: 'kernelOops',
  MemoryReadError: 'kernelOops',
  CperHardwareErrorFatal: 'kernelOops',
  ReadonlyFilesystem: 'readonlyFs',
  FilesystemIsReadOnly: 'readonlyFs',
  CorruptDockerOverlay2: 'dockerOverlay',
  CorruptDockerImage: 'dockerOverlay',
  FrequentKubeletRestart: 'runtimeRestart',
  FrequentDockerRestart: 'runtimeRestart',
  FrequentContainerdRestart: 'runtimeRestart',
  KubeletUnhealthy: 'runtimeUnhealthy',
  ContainerRuntimeUnhealthy: 'runtimeUnhealthy',
  ContainerdUnhealthy: 'runtimeUnhealthy',
  DockerUnhealthy: 'runtimeUnhealthy',
  DockerContainerStartupFailure: 'runtimeUnhealthy',
  Ext4Error: 'diskError',
  Ext4Warning: 'diskError',
  IOError: 'diskError',
  XfsShutdown: 'diskError',
  DiskBadBlock: 'diskError',
  NTPProblem: 'ntp',
  NTPIsDown: 'ntp',
  MemoryPressure: 'pressure',
  DiskPressure: 'pressure',
  PIDPressure: 'pressure',
  FDPressure: 'pressure',
  NodeHasFDPressure: 'pressure',
  NetworkUnavailable: 'network',
  ConntrackFull: 'network',
  DNSUnreachable: 'network',
}

/** The kubelet says `Back-off pulling image` under the same reason as a crash loop. */
const PULLING_IMAGE = /pulling image/i

/** Hints that are about the node the object runs on, not the object itself. */
const ABOUT_THE_NODE: ReadonlySet<HintKey> = new Set(['sandbox', 'evicted'])

const nsFlag = (namespace: string) => (namespace ? `-n ${namespace} ` : '')

/** The command that shows what the hint is about. */
function toCommand(key: HintKey, s: HintSubject): string {
  if (s.kind === 'Node') return `kubectl describe node ${s.name}`
  if (ABOUT_THE_NODE.has(key) && s.host) return `kubectl describe node ${s.host}`
  if (s.kind === 'Pod' && (key === 'crashLoop' || key === 'probe')) {
    return `kubectl ${nsFlag(s.namespace)}logs ${s.name}${key === 'crashLoop' ? ' --previous' : ''}`
  }
  return `kubectl ${nsFlag(s.namespace)}describe ${s.kind.toLowerCase()} ${s.name}`
}

/** `💡 The container keeps crashing: read its last log: kubectl -n payments logs api --previous` */
export function toHint(subject: HintSubject, strings: Strings): Markdown | undefined {
  let key = BY_REASON[subject.reason]
  if (key === 'crashLoop' && PULLING_IMAGE.test(subject.message)) key = 'image'
  if (key === undefined) return undefined
  return md`${strings.hint(strings.hints[key], toCommand(key, subject))}`
}

/** The hint for a node condition; a condition no table knows still says to look at the node. */
export function toNodeHint(node: string, condition: string, strings: Strings): Markdown {
  const key = BY_REASON[condition] ?? 'nodeProblem'
  return md`${strings.hint(strings.hints[key], `kubectl describe node ${node}`)}`
}
