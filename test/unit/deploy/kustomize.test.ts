/**
 * The plain manifests (deploy/kubernetes): the base and the with-npd overlay render with
 * `kubectl kustomize`, every object is valid for its kind, and the security properties the issue
 * asks for hold: least-privilege RBAC, non-root, read-only root filesystem, probes, limits, and
 * the store on a volume that matches the config.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parseConfigYaml } from '../../../src/config/parse-config-yaml.ts'
import { ConfigSchema } from '../../../src/config/schema.ts'
import {
  configEnvReferences,
  findObject,
  type KubeObject,
  kustomize,
  parseObjects,
  validateObject,
} from './kube-objects.ts'

const root = join(import.meta.dirname, '../../..')
const base = join(root, 'deploy/kubernetes')
const packageVersion = (
  JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }
).version

type Probe = { httpGet?: { path?: string; port?: string | number } }
type Container = {
  name: string
  image?: string
  command?: string[]
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[]
  envFrom?: { secretRef?: { name: string } }[]
  livenessProbe?: Probe
  readinessProbe?: Probe
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> }
  securityContext?: {
    runAsNonRoot?: boolean
    readOnlyRootFilesystem?: boolean
    allowPrivilegeEscalation?: boolean
    privileged?: boolean
    capabilities?: { drop?: string[] }
  }
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[]
}
type PodSpec = {
  serviceAccountName?: string
  topologySpreadConstraints?: { topologyKey: string }[]
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number }
  containers: Container[]
  volumes?: {
    name: string
    emptyDir?: object
    persistentVolumeClaim?: { claimName: string }
    configMap?: { name: string }
  }[]
}
type Workload = KubeObject & {
  spec: {
    replicas?: number
    strategy?: { type?: string; rollingUpdate?: { maxUnavailable?: number } }
    selector?: { matchLabels?: Record<string, string> }
    template: { spec: PodSpec }
  }
}
type Rule = {
  apiGroups?: string[]
  resources?: string[]
  resourceNames?: string[]
  verbs?: string[]
}

/** The objects `kubectl kustomize dir` renders; throws with kubectl's complaint when it fails. */
function render(dir: string): KubeObject[] {
  const result = kustomize(dir)
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${result.stderr}`)
  return parseObjects(result.stdout)
}

/** Rules flattened to "group/resource:verb" strings, so the comparison ignores grouping. */
function grants(rules: Rule[]): string[] {
  return rules
    .flatMap((r) =>
      (r.apiGroups ?? []).flatMap((g) =>
        (r.resources ?? []).flatMap((res) => (r.verbs ?? []).map((v) => `${g}/${res}:${v}`)),
      ),
    )
    .sort()
}

function mainContainer(objects: KubeObject[]): { pod: PodSpec; container: Container } {
  const deployment = findObject(objects, 'Deployment', 'kubeding') as Workload
  const pod = deployment.spec.template.spec
  const container = pod.containers.find((c) => c.name === 'kubeding')
  if (!container) throw new Error('no kubeding container')
  return { pod, container }
}

t.test('the base renders into valid objects', async (t) => {
  const objects = render(base)
  t.ok(objects.length > 0, 'renders something')
  for (const obj of objects) {
    t.doesNotThrow(() => validateObject(obj), `${obj.kind} ${obj.metadata.name} is valid`)
  }
  const kinds = objects.map((o) => o.kind).sort()
  t.same(kinds, [
    'ClusterRole',
    'ClusterRoleBinding',
    'ConfigMap',
    'ConfigMap',
    'Deployment',
    'Lease',
    'Namespace',
    'PodDisruptionBudget',
    'Role',
    'RoleBinding',
    'Service',
    'ServiceAccount',
  ])
  for (const obj of objects) {
    if (['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(obj.kind)) continue
    t.equal(obj.metadata.namespace, 'kubeding', `${obj.kind} is in namespace kubeding`)
  }
})

t.test('RBAC is exactly what kubeding needs', async (t) => {
  const objects = render(base)
  const clusterRole = findObject(objects, 'ClusterRole') as KubeObject & { rules: Rule[] }
  t.same(grants(clusterRole.rules), [
    '/events:get',
    '/events:list',
    '/events:watch',
    '/nodes:get',
    '/nodes:list',
    '/nodes:watch',
  ])
  const role = findObject(objects, 'Role') as KubeObject & { rules: Rule[] }
  t.same(grants(role.rules), [
    '/configmaps:get',
    '/configmaps:update',
    'coordination.k8s.io/leases:get',
    'coordination.k8s.io/leases:update',
  ])
  for (const rule of role.rules)
    t.equal(
      rule.resourceNames?.length,
      1,
      `${rule.resources} only by name: no namespace-wide write`,
    )
  const [leaseRule, stateRule] = role.rules
  findObject(objects, 'Lease', leaseRule?.resourceNames?.[0])
  findObject(objects, 'ConfigMap', stateRule?.resourceNames?.[0])
  type Binding = KubeObject & {
    roleRef: { kind: string; name: string }
    subjects: { kind: string; name: string; namespace?: string }[]
  }
  const { pod } = mainContainer(objects)
  const account = findObject(objects, 'ServiceAccount')
  t.equal(pod.serviceAccountName, account.metadata.name, 'the pod runs as the ServiceAccount')
  for (const [kind, roleKind] of [
    ['ClusterRoleBinding', 'ClusterRole'],
    ['RoleBinding', 'Role'],
  ] as const) {
    const binding = findObject(objects, kind) as Binding
    t.same(binding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: roleKind,
      name: roleKind === 'Role' ? role.metadata.name : clusterRole.metadata.name,
    })
    t.same(binding.subjects, [
      { kind: 'ServiceAccount', name: account.metadata.name, namespace: 'kubeding' },
    ])
  }
})

t.test('the Deployment is locked down and probed', async (t) => {
  const objects = render(base)
  const deployment = findObject(objects, 'Deployment') as Workload
  t.equal(deployment.spec.replicas, 2, 'two replicas, one leader')
  t.equal(deployment.spec.strategy?.type, 'RollingUpdate', 'an update never has none')
  t.equal(deployment.spec.strategy?.rollingUpdate?.maxUnavailable, 0)
  t.same(
    deployment.spec.template.spec.topologySpreadConstraints?.map((c) => c.topologyKey),
    ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'],
    'spread across zones and nodes',
  )
  const pdb = findObject(objects, 'PodDisruptionBudget') as KubeObject & {
    spec: { minAvailable: number; selector: { matchLabels: Record<string, string> } }
  }
  t.equal(pdb.spec.minAvailable, 1)
  t.same(pdb.spec.selector.matchLabels, deployment.spec.selector?.matchLabels)
  const { pod, container } = mainContainer(objects)
  t.equal(pod.securityContext?.runAsNonRoot, true, 'runAsNonRoot')
  t.ok((pod.securityContext?.runAsUser ?? 0) > 0, 'a non-root uid')
  t.equal(container.securityContext?.readOnlyRootFilesystem, true, 'readOnlyRootFilesystem')
  t.equal(container.securityContext?.allowPrivilegeEscalation, false)
  t.same(container.securityContext?.capabilities?.drop, ['ALL'])
  t.same(container.livenessProbe?.httpGet, { path: '/healthz', port: 'http' })
  t.same(container.readinessProbe?.httpGet, { path: '/readyz', port: 'http' })
  for (const kind of ['requests', 'limits'] as const) {
    t.ok(container.resources?.[kind]?.cpu, `${kind}.cpu`)
    t.ok(container.resources?.[kind]?.memory, `${kind}.memory`)
  }
  t.equal(container.image, `ghcr.io/kubeding/kubeding:${packageVersion}`, 'image tag = version')
  const service = findObject(objects, 'Service') as KubeObject & {
    spec: { selector: Record<string, string>; ports: { targetPort: string }[] }
  }
  const podLabels = (deployment.spec.template as { metadata?: { labels?: object } }).metadata
    ?.labels
  t.match(podLabels, service.spec.selector, 'the Service selects the pod')
  t.equal(service.spec.ports[0]?.targetPort, 'http')
})

t.test('the config, its volumes and its secrets fit together', async (t) => {
  const objects = render(base)
  const { pod, container } = mainContainer(objects)
  const mounts = new Map(container.volumeMounts?.map((m) => [m.mountPath, m]))
  const volumes = new Map(pod.volumes?.map((v) => [v.name, v]))

  const configPath = container.env?.find((e) => e.name === 'KUBEDING_CONFIG')?.value ?? ''
  const configMount = mounts.get(configPath.replace(/\/[^/]+$/, ''))
  const configVolume = volumes.get(configMount?.name ?? '')
  const configMap = findObject(
    objects,
    'ConfigMap',
    configVolume?.configMap?.name,
  ) as KubeObject & {
    data: Record<string, string>
  }
  const text = configMap.data[configPath.split('/').pop() ?? '']
  if (!text) throw new Error(`KUBEDING_CONFIG ${configPath} is not a key of the mounted ConfigMap`)

  // With every secret set, and with none (a fresh install's Secret of blanks), the config is valid.
  const names = configEnvReferences(text)
  const secretExample = parseObjects(
    readFileSync(join(base, 'base/secret.example.yaml'), 'utf8'),
  )[0] as KubeObject & { stringData: Record<string, string> }
  t.doesNotThrow(() => validateObject(secretExample), 'secret.example.yaml is a valid Secret')
  t.same(
    names.filter((n) => !(n in secretExample.stringData)),
    [],
    'every variable the config reads is a key of the example Secret',
  )
  t.equal(
    container.envFrom?.[0]?.secretRef?.name,
    secretExample.metadata.name,
    'the container reads that Secret',
  )
  for (const env of [Object.fromEntries(names.map((n) => [n, `value-of-${n}`])), {}]) {
    const parsed = parseConfigYaml(text, 'kubeding.yaml', env)
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
    const config = ConfigSchema.safeParse(parsed.value)
    t.ok(config.success, `valid config: ${config.error?.message ?? ''}`)
    if (!config.success) continue
    const state = mounts.get(config.data.state.dir)
    t.ok(state, 'state.dir is a mount')
    t.notOk(state?.readOnly, 'and writable')
    t.ok(volumes.get(state?.name ?? '')?.emptyDir, 'on an emptyDir: no volume to attach')
    t.equal(config.data.leaderElection.enabled, true, 'leader election on')
    t.equal(config.data.server.port, 8080, 'the port the container exposes')
  }
  t.ok(volumes.get(mounts.get('/tmp')?.name ?? '')?.emptyDir, 'a writable /tmp')
  const env = new Map(container.env?.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]))
  t.equal(env.get('POD_NAME'), 'metadata.name', 'the holder identity from the downward API')
  t.equal(env.get('POD_NAMESPACE'), 'metadata.namespace')
})

t.test('the with-npd overlay adds the upstream node-problem-detector', async (t) => {
  const objects = render(join(base, 'overlays/with-npd'))
  for (const obj of objects) {
    t.doesNotThrow(() => validateObject(obj), `${obj.kind} ${obj.metadata.name} is valid`)
  }
  findObject(objects, 'Deployment', 'kubeding')
  const npd = findObject(objects, 'DaemonSet', 'node-problem-detector') as Workload
  t.equal(npd.metadata.namespace, 'kube-system')
  const pod = npd.spec.template.spec
  const container = pod.containers[0]
  t.match(
    container?.image,
    /^registry\.k8s\.io\/node-problem-detector\/node-problem-detector:v0\.8\./,
  )
  t.ok(
    container?.command?.includes(
      '--config.system-log-monitor=/config/kernel-monitor.json,/config/readonly-monitor.json,/config/docker-monitor.json',
    ),
    'the default kernel, read-only and docker monitors',
  )
  t.same(
    container?.volumeMounts?.map((m) => m.mountPath).sort(),
    ['/dev/kmsg', '/etc/localtime', '/var/log'],
    'no ConfigMap hides the image /config',
  )
  const account = findObject(objects, 'ServiceAccount', pod.serviceAccountName)
  const binding = findObject(
    objects,
    'ClusterRoleBinding',
    'node-problem-detector',
  ) as KubeObject & {
    roleRef: { name: string }
    subjects: { name: string; namespace: string }[]
  }
  t.equal(binding.roleRef.name, 'system:node-problem-detector', 'the built-in role')
  t.same(binding.subjects[0], {
    kind: 'ServiceAccount',
    name: account.metadata.name,
    namespace: 'kube-system',
  })
})

t.test('a broken manifest fails to validate', async (t) => {
  const objects = render(base)
  const deployment = structuredClone(findObject(objects, 'Deployment')) as Workload
  deployment.spec.replicas = 'one' as unknown as number
  t.throws(() => validateObject(deployment), /replicas/)
  t.throws(
    () => validateObject({ ...deployment, kind: 'CronTab' }),
    /no schema for apps\/v1 CronTab/,
  )
  const failed = kustomize(join(root, 'test/unit/deploy/fixtures'))
  t.not(failed.status, 0, 'kubectl kustomize fails on a directory without a kustomization')
})
