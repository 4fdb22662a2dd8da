/**
 * The chart's high-availability shape, rendered by a real helm: two replicas with leader
 * election by default (RollingUpdate, spread, a PodDisruptionBudget, an emptyDir store), a Role
 * that reaches only the release's Lease and state ConfigMap by name, the PVC path kept for one
 * replica, and the combinations that would send twice or share a claim refused.
 */
import { join } from 'node:path'
import t from 'tap'
import { parseConfigYaml } from '../../../src/config/parse-config-yaml.ts'
import { ConfigSchema } from '../../../src/config/schema.ts'
import {
  findObject,
  helmTemplate,
  type KubeObject,
  parseObjects,
  validateObject,
} from './kube-objects.ts'

const chart = join(import.meta.dirname, '../../../deploy/helm/kubeding')

type Deployment = KubeObject & {
  spec: {
    replicas: number
    strategy: { type: string; rollingUpdate?: { maxSurge: number; maxUnavailable: number } }
    template: {
      spec: {
        topologySpreadConstraints?: { topologyKey: string; labelSelector: unknown }[]
        containers: { env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[] }[]
        volumes: {
          name: string
          emptyDir?: object
          persistentVolumeClaim?: { claimName: string }
        }[]
      }
    }
    selector: { matchLabels: Record<string, string> }
  }
}
type Rule = { apiGroups: string[]; resources: string[]; resourceNames?: string[]; verbs: string[] }

function render(sets: string[] = []): KubeObject[] {
  const result = helmTemplate(
    chart,
    [],
    sets.flatMap((s) => ['--set', s]),
  )
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`)
  return parseObjects(result.stdout)
}

t.test('by default: two replicas, one leader, no volume', async (t) => {
  const objects = render()
  for (const o of objects) t.doesNotThrow(() => validateObject(o), `${o.kind}/${o.metadata.name}`)
  const deployment = findObject(objects, 'Deployment', 'kubeding') as Deployment
  t.equal(deployment.spec.replicas, 2)
  t.same(deployment.spec.strategy, {
    type: 'RollingUpdate',
    rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
  })
  const pod = deployment.spec.template.spec
  t.same(
    pod.topologySpreadConstraints?.map((c) => c.topologyKey),
    ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'],
  )
  for (const c of pod.topologySpreadConstraints ?? [])
    t.same(c.labelSelector, { matchLabels: deployment.spec.selector.matchLabels })
  const env = new Map(
    pod.containers[0]?.env?.map((e) => [e.name, e.valueFrom?.fieldRef?.fieldPath]),
  )
  t.equal(env.get('POD_NAME'), 'metadata.name')
  t.equal(env.get('POD_NAMESPACE'), 'metadata.namespace')
  t.ok(pod.volumes.find((v) => v.name === 'state')?.emptyDir, 'the store on an emptyDir')
  t.throws(() => findObject(objects, 'PersistentVolumeClaim'), 'and no claim')

  const pdb = findObject(objects, 'PodDisruptionBudget', 'kubeding') as KubeObject & {
    spec: { minAvailable: number; selector: unknown }
  }
  t.equal(pdb.spec.minAvailable, 1)
  t.same(pdb.spec.selector, { matchLabels: deployment.spec.selector.matchLabels })

  const map = findObject(objects, 'ConfigMap', 'kubeding') as KubeObject & {
    data: Record<string, string>
  }
  const parsed = parseConfigYaml(map.data['kubeding.yaml'] ?? '', 'kubeding.yaml', {})
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
  const config = ConfigSchema.parse(parsed.value)
  t.same(config.leaderElection, {
    enabled: true,
    namespace: '',
    leaseName: 'kubeding',
    leaseDuration: 15_000,
  })

  // The Role reaches the Lease and the state ConfigMap by name, and the chart creates both.
  const role = findObject(objects, 'Role', 'kubeding') as KubeObject & { rules: Rule[] }
  t.same(role.rules, [
    {
      apiGroups: ['coordination.k8s.io'],
      resources: ['leases'],
      resourceNames: ['kubeding'],
      verbs: ['get', 'update'],
    },
    {
      apiGroups: [''],
      resources: ['configmaps'],
      resourceNames: ['kubeding-state'],
      verbs: ['get', 'update'],
    },
  ])
  findObject(objects, 'Lease', config.leaderElection.leaseName)
  findObject(objects, 'ConfigMap', `${config.leaderElection.leaseName}-state`)
  const clusterRole = findObject(objects, 'ClusterRole', 'kubeding') as KubeObject & {
    rules: Rule[]
  }
  for (const rule of clusterRole.rules)
    t.same(rule.verbs, ['get', 'list', 'watch'], 'cluster-wide: read only')
})

t.test('another release name names its own Lease and ConfigMap', async (t) => {
  const objects = render(['fullnameOverride=ding'])
  const role = findObject(objects, 'Role', 'ding') as KubeObject & { rules: Rule[] }
  t.same(
    role.rules.map((r) => r.resourceNames),
    [['ding'], ['ding-state']],
  )
  findObject(objects, 'Lease', 'ding')
  findObject(objects, 'ConfigMap', 'ding-state')
})

t.test('the longest release name helm allows names a Lease kubeding takes', async (t) => {
  const name = `k${'8'.repeat(61)}s`
  const objects = render([`fullnameOverride=${name}`])
  const map = findObject(objects, 'ConfigMap', name) as KubeObject & {
    data: Record<string, string>
  }
  const parsed = parseConfigYaml(map.data['kubeding.yaml'] ?? '', 'kubeding.yaml', {})
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
  const config = ConfigSchema.safeParse(parsed.value)
  t.ok(config.success, config.error?.message ?? 'the config parses')
  t.equal(config.data?.leaderElection.leaseName, name)
  findObject(objects, 'Lease', name)
  findObject(objects, 'ConfigMap', `${name}-state`)
})

t.test(
  'the chart asks for the Kubernetes its PodDisruptionBudget needs (policy/v1: 1.21)',
  async (t) => {
    const old = helmTemplate(chart, [], ['--kube-version', '1.20.15'])
    t.not(old.status, 0, 'helm refuses 1.20')
    t.match(old.stderr, /kubeVersion/)
    const ok = helmTemplate(chart, [], ['--kube-version', '1.21.0'])
    t.equal(ok.status, 0, ok.stderr)
    t.equal(findObject(parseObjects(ok.stdout), 'PodDisruptionBudget').apiVersion, 'policy/v1')
  },
)

t.test('persistence keeps the one-pod PVC path', async (t) => {
  const objects = render(['persistence.enabled=true', 'replicas=1'])
  const deployment = findObject(objects, 'Deployment', 'kubeding') as Deployment
  t.equal(deployment.spec.replicas, 1)
  t.equal(deployment.spec.strategy.type, 'Recreate')
  const state = deployment.spec.template.spec.volumes.find((v) => v.name === 'state')
  t.equal(state?.persistentVolumeClaim?.claimName, 'kubeding-state')
  findObject(objects, 'PersistentVolumeClaim', 'kubeding-state')
  t.throws(() => findObject(objects, 'PodDisruptionBudget'), 'no budget for one pod')
})

t.test('leader election off: one replica, and no Role at all', async (t) => {
  const objects = render(['leaderElection.enabled=false', 'replicas=1'])
  t.throws(() => findObject(objects, 'Role'))
  t.throws(() => findObject(objects, 'Lease'))
})

t.test('combinations that would send twice or share a claim are refused', async (t) => {
  for (const [sets, message] of [
    [['leaderElection.enabled=false'], /needs leaderElection.enabled/],
    [['persistence.enabled=true'], /needs persistence.enabled=false/],
    [['replicas=0'], /replicas/],
    [['leaderElection.leaseDuration=soon'], /leaseDuration/],
  ] as const) {
    const result = helmTemplate(
      chart,
      [],
      sets.flatMap((s) => ['--set', s]),
    )
    t.not(result.status, 0, sets.join(' '))
    t.match(result.stderr, message, sets.join(' '))
  }
})
