/**
 * The Helm chart rendered by a real helm (the devDependency's, see k8s-tools.ts), with a values
 * file written exactly as users of Alibaba's ack-node-problem-detector chart write it: every
 * object it renders is checked, the config it holds is loaded by kubeding's own loader, and the
 * notes `helm install` prints say what was replaced and how Log Service is reached. Then the
 * Log Service options (region, RRSA, a RAM role, a key pair) and the combinations the values
 * schema refuses.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { parseConfigYaml } from '../../../src/config/parse-config-yaml.ts'
import { type Config, ConfigSchema } from '../../../src/config/schema.ts'
import {
  findObject,
  helmNotes,
  helmTemplate,
  type KubeObject,
  parseObjects,
  validateObject,
} from './kube-objects.ts'

const root = join(import.meta.dirname, '../../..')
const chart = join(root, 'deploy/helm/kubeding')
const fixtures = join(import.meta.dirname, 'fixtures')
const seedStyle = join(fixtures, 'seed-style-values.yaml')
const appVersion = (
  parse(readFileSync(join(chart, 'Chart.yaml'), 'utf8')) as { appVersion: string }
).appVersion

type Container = {
  name: string
  image: string
  imagePullPolicy?: string
  envFrom?: { secretRef?: { name: string } }[]
  volumeMounts?: { name: string; mountPath: string }[]
}
type Workload = KubeObject & {
  spec: {
    template: {
      spec: {
        serviceAccountName?: string
        containers: Container[]
        volumes?: { name: string; configMap?: { name: string } }[]
      }
    }
  }
}

/** The objects `helm template` renders with these values files (and `--set`s). */
function render(files: string[], sets: string[] = []): KubeObject[] {
  const result = helmTemplate(
    chart,
    files,
    sets.flatMap((s) => ['--set', s]),
  )
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr}`)
  return parseObjects(result.stdout)
}

/** The config in the ConfigMap, loaded as the pod would: ${VAR}s from the Secret's values. */
function configOf(objects: KubeObject[]): Config {
  const map = findObject(objects, 'ConfigMap', 'kubeding') as KubeObject & {
    data: Record<string, string>
  }
  const secret = findObject(objects, 'Secret', 'kubeding') as KubeObject & {
    stringData: Record<string, string>
  }
  const parsed = parseConfigYaml(
    map.data['kubeding.yaml'] ?? '',
    'kubeding.yaml',
    secret.stringData,
  )
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems))
  const config = ConfigSchema.safeParse(parsed.value)
  if (!config.success) throw new Error(config.error.message)
  return config.data
}

t.test('a seed-style values file renders, and every object is what it should be', async (t) => {
  const objects = render([seedStyle])
  t.same(
    objects.map((o) => `${o.kind}/${o.metadata.name}`).sort(),
    [
      'ClusterRole/kubeding',
      'ClusterRoleBinding/kubeding',
      'ClusterRoleBinding/kubeding-npd',
      'ConfigMap/kubeding',
      'ConfigMap/kubeding-npd-plugins',
      'ConfigMap/kubeding-state',
      'DaemonSet/kubeding-npd',
      'Deployment/kubeding',
      'Lease/kubeding',
      'PodDisruptionBudget/kubeding',
      'Role/kubeding',
      'RoleBinding/kubeding',
      'Secret/kubeding',
      'Service/kubeding',
      'ServiceAccount/kubeding',
      'ServiceAccount/kubeding-npd',
    ],
    'the objects of kubeding and of node-problem-detector',
  )
  for (const o of objects) {
    t.doesNotThrow(() => validateObject(o), `${o.kind}/${o.metadata.name} is valid for its kind`)
    t.match(
      o.metadata.labels,
      { 'app.kubernetes.io/instance': 'kubeding', 'app.kubernetes.io/managed-by': 'Helm' },
      `${o.kind}/${o.metadata.name} carries the release's labels`,
    )
  }

  const deployment = findObject(objects, 'Deployment', 'kubeding') as Workload
  const pod = deployment.spec.template.spec
  const [container] = pod.containers
  t.equal(
    container?.image,
    `ghcr.io/kubeding/kubeding:${appVersion}`,
    "kube-eventer's image and tag gave way to kubeding's, at the appVersion",
  )
  t.equal(container?.imagePullPolicy, 'IfNotPresent', 'eventer.image.pullPolicy kept')
  t.equal(pod.serviceAccountName, 'kubeding')
  t.same(container?.envFrom, [{ secretRef: { name: 'kubeding' } }])
  t.match(pod.volumes, [{ name: 'config', configMap: { name: 'kubeding' } }])

  const config = configOf(objects)
  t.equal(config.cluster, 'prod-hangzhou', 'eventer.sinks.dingtalk.label is the cluster')
  t.match(config.dingtalk.robots, [
    {
      name: 'default',
      webhook:
        'https://oapi.dingtalk.com/robot/send?access_token=3c5e7f9a1b2d4c6e8f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e',
    },
  ])
  t.equal(config.dingtalk.robots[0]?.secret, undefined, 'no 加签 secret')
  t.same(config.routes, [
    {
      robot: 'default',
      level: 'Warning',
      kinds: ['Pod', 'Node'],
      namespaces: ['default', 'kube-system'],
      reasons: [],
      excludeReasons: [],
      at: { mobiles: [], userIds: [], all: false },
    },
  ])
  t.same(
    config.archive.sls,
    { project: 'k8s-log-c4f2a8e0d1b7', logstore: 'k8s-event', topic: '' },
    'Log Service with no endpoint and no key: region and credentials from the node',
  )
  t.equal(config.state.dir, '/var/lib/kubeding')

  const secret = findObject(objects, 'Secret', 'kubeding') as KubeObject & {
    stringData: Record<string, string>
  }
  t.equal(secret.stringData.ALIBABA_CLOUD_ACCESS_KEY_ID, '', 'no AccessKey stored')
  const account = findObject(objects, 'ServiceAccount', 'kubeding')
  t.notOk('annotations' in account.metadata, 'no RRSA annotation unless asked for')

  const npd = findObject(objects, 'DaemonSet', 'kubeding-npd') as Workload
  t.equal(
    npd.spec.template.spec.containers[0]?.image,
    'registry.cn-hangzhou.aliyuncs.com/acs/node-problem-detector:v0.8.10-39adc80-aliyun',
    "npd.image as the seed's user set it",
  )
  t.ok(
    npd.spec.template.spec.volumes?.some((v) => v.configMap?.name === 'kubeding-npd-plugins'),
    'the custom plugins mounted',
  )
})

t.test('the notes say what was replaced and how Log Service is reached', async (t) => {
  const { status, stderr, notes } = helmNotes(chart, [seedStyle])
  t.equal(status, 0, stderr)
  t.match(notes, `kubeding ${appVersion} is starting in namespace kube-system.`)
  t.match(
    notes,
    "eventer.image.repository is registry.cn-hangzhou.aliyuncs.com/acs/kube-eventer, kube-eventer's image:",
  )
  t.match(notes, `so ghcr.io/kubeding/kubeding:${appVersion} is used instead`)
  t.match(notes, "signed with the node's RAM role (Alibaba Cloud's default credential chain)")
  t.match(notes, "The region comes from the node's metadata service")
  t.match(
    notes,
    "Skipped from alibaba_cloud_plugins, as they need Alibaba's NPD build: ntp, ram_role.",
  )
  t.notMatch(notes, '3c5e7f9a1b2d', 'no token in the notes')
})

t.test(
  'the full seed parameter set: controller.regionId picks the internal endpoint',
  async (t) => {
    const objects = render([join(fixtures, 'ack-npd-values.yaml')])
    for (const o of objects) t.doesNotThrow(() => validateObject(o), `${o.kind}/${o.metadata.name}`)
    t.match(configOf(objects).archive.sls, {
      endpoint: 'cn-hangzhou-intranet.log.aliyuncs.com',
      project: 'k8s-log-c0123456789abcdef',
    })
    const deployment = findObject(objects, 'Deployment', 'kubeding') as Workload
    t.equal(
      deployment.spec.template.spec.containers[0]?.image,
      `ghcr.io/kubeding/kubeding:${appVersion}`,
    )
  },
)

t.test('the default image tag is the appVersion; a kubeding mirror keeps its own', async (t) => {
  const plain = findObject(render([]), 'Deployment', 'kubeding') as Workload
  t.equal(plain.spec.template.spec.containers[0]?.image, `ghcr.io/kubeding/kubeding:${appVersion}`)
  const mirror = findObject(
    render(
      [],
      [
        'eventer.image.repository=registry.cn-hangzhou.aliyuncs.com/ops/kubeding',
        'eventer.image.tag=0.1.0-rc1',
      ],
    ),
    'Deployment',
    'kubeding',
  ) as Workload
  t.equal(
    mirror.spec.template.spec.containers[0]?.image,
    'registry.cn-hangzhou.aliyuncs.com/ops/kubeding:0.1.0-rc1',
  )
  const notes = helmNotes(chart, [])
  t.notMatch(notes.notes, "kube-eventer's image", 'nothing replaced, nothing said')
})

t.test('Log Service through RRSA: the ServiceAccount names the role', async (t) => {
  const sets = [
    'eventer.sinks.sls.enabled=true',
    'eventer.sinks.sls.project=p',
    'eventer.sinks.sls.logstore=l',
    'eventer.sinks.sls.region=cn-beijing',
    'eventer.sinks.sls.rrsa.enabled=true',
    'eventer.sinks.sls.rrsa.roleName=kubeding-sls-writer',
    'serviceAccount.annotations.team=sre',
  ]
  const objects = render([], sets)
  const account = findObject(objects, 'ServiceAccount', 'kubeding')
  t.same((account.metadata as { annotations?: object }).annotations, {
    'pod-identity.alibabacloud.com/role-name': 'kubeding-sls-writer',
    team: 'sre',
  })
  t.same(configOf(objects).archive.sls, {
    endpoint: 'cn-beijing-intranet.log.aliyuncs.com',
    project: 'p',
    logstore: 'l',
    topic: '',
  })
  const { status, notes } = helmNotes(chart, [], sets)
  t.equal(status, 0)
  t.match(notes, 'signed with the RAM role kubeding-sls-writer through RRSA')
  t.match(notes, 'kubectl label namespace kube-system pod-identity.alibabacloud.com/injection=on')
  t.notMatch(notes, 'metadata service', 'the region was given')
})

t.test('with an existingSecret the notes say where the key pair may come from', async (t) => {
  const { notes } = helmNotes(chart, [seedStyle], ['existingSecret=kubeding-own'])
  t.match(notes, 'signed with the AccessKey in the Secret kubeding-own if it holds')
})

t.test('a named RAM role and a key pair reach the config', async (t) => {
  const base = [
    'eventer.sinks.sls.enabled=true',
    'eventer.sinks.sls.project=p',
    'eventer.sinks.sls.logstore=l',
  ]
  t.match(
    configOf(render([], [...base, 'eventer.sinks.sls.ramRole=KubernetesWorkerRole-1'])).archive.sls,
    {
      ramRole: 'KubernetesWorkerRole-1',
    },
  )
  t.match(
    configOf(
      render(
        [],
        [
          ...base,
          'eventer.sinks.sls.accessKeyId=LTAI5tExample',
          'eventer.sinks.sls.accessKeySecret=s3cr3t',
        ],
      ),
    ).archive.sls,
    { accessKeyId: 'LTAI5tExample', accessKeySecret: 's3cr3t' },
  )
})

t.test('the values schema refuses the combinations that cannot work', async (t) => {
  const base = [
    'eventer.sinks.sls.enabled=true',
    'eventer.sinks.sls.project=p',
    'eventer.sinks.sls.logstore=l',
  ]
  const cases: [string, string[]][] = [
    ['an AccessKey id without its secret', ['eventer.sinks.sls.accessKeyId=LTAI5tExample']],
    ['an AccessKey secret without its id', ['eventer.sinks.sls.accessKeySecret=s3cr3t']],
    ['RRSA without a role name', ['eventer.sinks.sls.rrsa.enabled=true']],
    [
      'RRSA beside a key pair',
      [
        'eventer.sinks.sls.rrsa.enabled=true',
        'eventer.sinks.sls.rrsa.roleName=r',
        'eventer.sinks.sls.accessKeyId=LTAI5tExample',
        'eventer.sinks.sls.accessKeySecret=s3cr3t',
      ],
    ],
    [
      'RRSA beside a node RAM role',
      [
        'eventer.sinks.sls.rrsa.enabled=true',
        'eventer.sinks.sls.rrsa.roleName=r',
        'eventer.sinks.sls.ramRole=n',
      ],
    ],
    [
      'a node RAM role beside a key pair',
      [
        'eventer.sinks.sls.ramRole=n',
        'eventer.sinks.sls.accessKeyId=LTAI5tExample',
        'eventer.sinks.sls.accessKeySecret=s3cr3t',
      ],
    ],
    ['a project left out', ['eventer.sinks.sls.project=']],
  ]
  for (const [what, sets] of cases) {
    const result = helmTemplate(
      chart,
      [],
      [...base, ...sets].flatMap((s) => ['--set', s]),
    )
    t.not(result.status, 0, what)
    t.match(result.stderr, /values don't meet the specifications of the schema/, what)
    t.notMatch(result.stderr, 's3cr3t', `${what}: the secret is not echoed`)
  }
})
