/**
 * kubeding replicas as real processes (`bin/kubeding.js`), for what only a real process shows:
 * SIGKILL (nothing flushed, nothing released) and SIGTERM. Each has its own state dir, config
 * file, HTTP port and pod name; all share one fake API server and one fake DingTalk, which the
 * caller owns. Used by the failover tests and by the takeover bench.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FakeDingTalk } from './fake-dingtalk.ts'
import type { FakeKubeApi } from './fake-kube-api.ts'
import { freePort } from './free-port.ts'

const BIN = fileURLToPath(new URL('../../bin/kubeding.js', import.meta.url))
export const PROCESS_TOKEN = 'robot-token-processes'
export const PROCESS_SECRET = 'SECprocesses0123456789'
export const PROCESS_NAMESPACE = 'kubeding'

export interface ReplicaProcess {
  readonly name: string
  readonly port: number
  readonly child: ChildProcess
  readonly exited: Promise<number | null>
  output(): string
}

export interface ProcessFleet {
  start(name: string): Promise<ReplicaProcess>
  /** The Lease's holder, as stored. */
  holder(): string
  /** Kills every process still running and removes the state dirs. */
  close(): Promise<void>
}

/** Replicas against these fakes, with this lease duration (`2s`, ...). */
export function createProcessFleet(
  kube: FakeKubeApi,
  dingtalk: FakeDingTalk,
  leaseDuration: string,
): ProcessFleet {
  const dirs: string[] = []
  const children: ChildProcess[] = []
  return {
    async start(name) {
      const dir = mkdtempSync(join(tmpdir(), `kubeding-proc-${name}-`))
      dirs.push(dir)
      const port = await freePort()
      const kubeconfig = join(dir, 'kubeconfig')
      writeFileSync(kubeconfig, kube.kubeconfigYaml())
      const config = join(dir, 'kubeding.yaml')
      writeFileSync(
        config,
        [
          'cluster: failover',
          `server: { host: 127.0.0.1, port: ${port} }`,
          `kubernetes: { kubeconfig: ${JSON.stringify(kubeconfig)} }`,
          `state: { dir: ${JSON.stringify(join(dir, 'data'))} }`,
          `leaderElection: { enabled: true, leaseDuration: ${leaseDuration} }`,
          'dingtalk:',
          '  robots:',
          `    - { name: ops, webhook: ${JSON.stringify(dingtalk.webhook(PROCESS_TOKEN))}, secret: ${PROCESS_SECRET} }`,
          '',
        ].join('\n'),
      )
      const child = spawn(process.execPath, [BIN, '--config', config], {
        cwd: dir,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: dir,
          POD_NAME: name,
          POD_NAMESPACE: PROCESS_NAMESPACE,
          LOG_LEVEL: 'info',
        },
      })
      children.push(child)
      let output = ''
      child.stdout?.on('data', (d) => {
        output += d
      })
      child.stderr?.on('data', (d) => {
        output += d
      })
      const exited = new Promise<number | null>((resolve) =>
        child.on('exit', (code) => resolve(code)),
      )
      return { name, port, child, exited, output: () => output }
    },
    holder: () =>
      (
        (kube.objects.get('leases', PROCESS_NAMESPACE, 'kubeding')?.spec ?? {}) as {
          holderIdentity?: string
        }
      ).holderIdentity ?? '',
    async close() {
      await Promise.all(
        children.map((c) =>
          c.exitCode === null && c.signalCode === null
            ? new Promise((resolve) => {
                c.once('exit', resolve)
                c.kill('SIGKILL')
              })
            : undefined,
        ),
      )
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Resolves once the replica's /readyz answers 200. */
export async function untilProcessReady(r: ReplicaProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      if ((await fetch(`http://127.0.0.1:${r.port}/readyz`)).status === 200) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${r.name} not ready: ${r.output().slice(-2_000)}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
