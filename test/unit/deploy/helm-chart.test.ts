/**
 * The Helm chart (deploy/helm/kubeding), checked without Helm: values.yaml and a values file
 * written for Alibaba's ack-node-problem-detector validate against values.schema.json, bad values
 * do not, and the templates only use values that exist, helpers that are defined and files that
 * are there.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import t from 'tap'
import { parse } from 'yaml'
import { ConfigSchema } from '../../../src/config/schema.ts'
import { envReferences } from './kube-objects.ts'

const root = join(import.meta.dirname, '../../..')
const chart = join(root, 'deploy/helm/kubeding')
const read = (path: string) => readFileSync(path, 'utf8')

type Values = Record<string, unknown>
const defaults = parse(read(join(chart, 'values.yaml'))) as Values
const seedValues = parse(read(join(import.meta.dirname, 'fixtures/ack-npd-values.yaml'))) as Values
const templates = new Map(
  readdirSync(join(chart, 'templates')).map((name) => [name, read(join(chart, 'templates', name))]),
)
const validate = new Ajv({ allErrors: true }).compile(
  JSON.parse(read(join(chart, 'values.schema.json'))),
)

/** Helm's merge of a user's values over the chart's: maps merge, anything else replaces, null deletes. */
function mergeValues(base: Values, override: Values): Values {
  const merged: Values = { ...base }
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key]
    if (value === null) delete merged[key]
    else if (isMap(value) && isMap(current)) merged[key] = mergeValues(current, value)
    else merged[key] = value
  }
  return merged
}

function isMap(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The value at a dotted path, or undefined when a key on the way is missing. */
function lookup(values: Values, path: string): { found: boolean; value?: unknown } {
  let node: unknown = values
  for (const key of path.split('.')) {
    if (!isMap(node) || !(key in node)) return { found: false }
    node = node[key]
  }
  return { found: true, value: node }
}

/** Every path to a value that is not a non-empty map: `npd.image.tag`, `nodeSelector`, ... */
function leafPaths(values: Values, prefix = ''): string[] {
  return Object.entries(values).flatMap(([key, value]) =>
    isMap(value) && Object.keys(value).length > 0
      ? leafPaths(value, `${prefix}${key}.`)
      : [`${prefix}${key}`],
  )
}

/** `.Values.a.b.c` (and `$.Values...`) paths a template text uses. */
function valuePaths(text: string): string[] {
  return [...text.matchAll(/\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)/g)].map((m) =>
    (m[1] as string).slice(1),
  )
}

function errorsOf(values: Values): string[] {
  if (validate(values)) return []
  return (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`)
}

/** The parameters of ack-node-problem-detector that an existing values file may set. */
const SEED_PARAMETERS = [
  'npd.enabled',
  'npd.image.repository',
  'npd.image.tag',
  'alibaba_cloud_plugins',
  'eventer.image.repository',
  'eventer.image.tag',
  'eventer.image.pullPolicy',
  'eventer.sinks.sls.enabled',
  'eventer.sinks.sls.project',
  'eventer.sinks.sls.logstore',
  'eventer.sinks.dingtalk.enabled',
  'eventer.sinks.dingtalk.level',
  'eventer.sinks.dingtalk.label',
  'eventer.sinks.dingtalk.token',
  'eventer.sinks.dingtalk.monitorkinds',
  'eventer.sinks.dingtalk.monitornamespaces',
]

t.test('values.yaml validates against values.schema.json', async (t) => {
  t.same(errorsOf(defaults), [])
})

t.test('a values file of the seed chart works as it is', async (t) => {
  for (const path of SEED_PARAMETERS) {
    t.ok(lookup(defaults, path).found, `values.yaml has ${path}`)
    t.ok(lookup(seedValues, path).found, `the fixture sets ${path}`)
  }
  t.same(errorsOf(seedValues), [], 'the file alone')
  t.same(errorsOf(mergeValues(defaults, seedValues)), [], 'merged over the defaults, as Helm does')
  const asList = mergeValues(seedValues, {
    alibaba_cloud_plugins: ['fd_check', 'inodes'],
    eventer: { sinks: { dingtalk: { monitorkinds: ['Pod'], level: 'Normal' } } },
  })
  t.same(errorsOf(mergeValues(defaults, asList)), [], 'lists instead of comma-separated strings')
})

t.test('bad values are refused, naming the key', async (t) => {
  const cases: [string, Values, string][] = [
    ['npd.enabled "yes"', { npd: { enabled: 'yes' } }, '/npd/enabled type'],
    ['a misspelt key', { evnter: {} }, ' additionalProperties'],
    [
      'an unknown level',
      { eventer: { sinks: { dingtalk: { level: 'critical' } } } },
      '/eventer/sinks/dingtalk/level pattern',
    ],
    [
      'a lease of an hour',
      { leaderElection: { leaseDuration: '1h' } },
      '/leaderElection/leaseDuration pattern',
    ],
    [
      'a lease of a second',
      { leaderElection: { leaseDuration: '1s' } },
      '/leaderElection/leaseDuration pattern',
    ],
    [
      'sls without a project',
      { eventer: { sinks: { sls: { enabled: true, logstore: 'l' } } } },
      '/eventer/sinks/sls/project minLength',
    ],
    ['a duration in words', { retention: '7 days' }, '/retention pattern'],
    ['a route without a robot', { routes: [{ level: 'Warning' }] }, '/routes/0 required'],
    [
      'a percentage over 100',
      { plugin_settings: { check_fd_warning_percentage: 150 } },
      '/plugin_settings/check_fd_warning_percentage maximum',
    ],
    ['a size that is no quantity', { persistence: { size: 'lots' } }, '/persistence/size pattern'],
    [
      'eleven keywords',
      { eventer: { sinks: { dingtalk: { keywords: Array(11).fill('k') } } } },
      '/eventer/sinks/dingtalk/keywords maxItems',
    ],
  ]
  for (const [what, override, expected] of cases) {
    t.ok(errorsOf(mergeValues(defaults, override)).includes(expected), `${what}: ${expected}`)
  }
})

t.test('values kubeding takes are taken: a level in any case, a lease from 2s to 5m', async (t) => {
  for (const level of ['warning', 'wArning', 'NORMAL'])
    t.same(
      errorsOf(mergeValues(defaults, { eventer: { sinks: { dingtalk: { level } } } })),
      [],
      level,
    )
  // The chart's pattern and kubeding's own check agree on each side of the range.
  const leaseOf = (leaseDuration: string) =>
    ConfigSchema.safeParse({ leaderElection: { enabled: true, leaseDuration } }).success
  for (const d of ['2s', '2000ms', '15s', '90s', '1m30s', '2m0s', '300s', '5m', '300000ms']) {
    t.same(errorsOf(mergeValues(defaults, { leaderElection: { leaseDuration: d } })), [], d)
    t.ok(leaseOf(d), `kubeding takes ${d}`)
  }
  for (const d of ['1s', '1999ms', '301s', '5m1s', '6m', '1h'])
    t.notOk(leaseOf(d), `kubeding refuses ${d}, as the chart does`)
})

t.test('templates use only values that exist', async (t) => {
  const used = new Set([...templates.values()].flatMap(valuePaths))
  t.ok(used.size > 20, `found ${used.size} .Values paths`)
  for (const path of used) t.ok(lookup(defaults, path).found, `values.yaml has ${path}`)
})

t.test('every value in values.yaml is used by a template', async (t) => {
  const used = [...new Set([...templates.values()].flatMap(valuePaths))]
  // The seed's EventBridge sink is accepted so old files validate; kubeding has no such sink.
  const seedOnly = ['eventer.sinks.eventbridge']
  for (const leaf of leafPaths(defaults).filter((p) => !seedOnly.includes(p))) {
    t.ok(
      used.some((u) => leaf === u || leaf.startsWith(`${u}.`)),
      `${leaf} is read by a template`,
    )
  }
})

t.test('template blocks, helpers and files line up', async (t) => {
  const helpers = templates.get('_helpers.tpl') ?? ''
  const defined = new Set([...helpers.matchAll(/define "([^"]+)"/g)].map((m) => m[1]))
  for (const [name, text] of templates) {
    const opens = text.match(/\{\{-?\s*(if|range|with|define|block)\b/g)?.length ?? 0
    const ends = text.match(/\{\{-?\s*end\s*-?\}\}/g)?.length ?? 0
    t.equal(opens, ends, `${name}: every if/range/with/define has its end`)
    for (const [, helper] of text.matchAll(/include "([^"]+)"/g)) {
      t.ok(defined.has(helper), `${name}: helper ${helper} is defined`)
    }
    for (const [, file] of text.matchAll(/\.Files\.Get "([^"]+)"/g)) {
      t.ok(existsSync(join(chart, file as string)), `${name}: ${file} exists`)
    }
  }
})

t.test('the Secret holds every variable the config reads', async (t) => {
  // Template comments may mention ${VAR} in prose; only the actions' strings count.
  const actions = (templates.get('configmap.yaml') ?? '').replace(
    /\{\{-? ?\/\*[\s\S]*?\*\/ ?-?\}\}/g,
    '',
  )
  const config = envReferences(actions)
  const secret = templates.get('secret.yaml') ?? ''
  const keys = [...secret.matchAll(/^ {2}([A-Z_]+): /gm)].map((m) => m[1])
  t.ok(config.length >= 8, `the config reads ${config.join(', ')}`)
  t.same(
    config.filter((name) => !keys.includes(name)),
    [],
  )
})

t.test('the NPD plugin monitors are valid JSON pointing at shipped scripts', async (t) => {
  const text = templates.get('npd-plugins-configmap.yaml') ?? ''
  const keys = [...text.matchAll(/^ {2}([a-z-]+\.(?:sh|json)): \|/gm)].map((m) => m[1])
  const monitors = [...text.matchAll(/-monitor\.json: \|\n((?: {4}.*\n)+)/g)]
  t.equal(monitors.length, 3, 'fd, inodes, conntrack')
  for (const [, block] of monitors) {
    // Template actions stand in for a number the values give, written as a JSON string.
    const json = (block as string).replace(/\{\{[^}]*\}\}/g, '"80"')
    const monitor = JSON.parse(json) as { plugin: string; rules: { path: string }[] }
    t.equal(monitor.plugin, 'custom')
    for (const rule of monitor.rules) {
      const script = rule.path.replace('/kubeding-npd-plugins/', '')
      t.ok(keys.includes(script), `${script} is in the same ConfigMap`)
      t.ok(existsSync(join(chart, 'files/npd-plugins', script)), `files/npd-plugins/${script}`)
    }
  }
  const daemonSet = templates.get('npd-daemonset.yaml') ?? ''
  t.match(daemonSet, /mountPath: \/kubeding-npd-plugins\n/, 'mounted where the monitors look')
  // Every plugin name alibaba_cloud_plugins may resolve to has its monitor.
  const aliases = /\$aliases := dict ((?:"[^"]+" ?)+)/.exec(templates.get('_helpers.tpl') ?? '')
  const targets = new Set(aliases?.[1]?.match(/"[^"]+"/g)?.filter((_, i) => i % 2 === 1))
  t.same([...targets].sort(), ['"conntrack"', '"fd"', '"inodes"'])
  for (const target of targets) t.match(text, `has ${target} $plugins.known`)
})

t.test('the chart keeps what the plain manifests promise', async (t) => {
  const deployment = templates.get('deployment.yaml') ?? ''
  for (const line of [
    'type: RollingUpdate',
    'maxUnavailable: 0',
    'topologyKey: topology.kubernetes.io/zone',
    'topologyKey: kubernetes.io/hostname',
    'fieldPath: metadata.name',
    'fieldPath: metadata.namespace',
    'runAsNonRoot: true',
    'readOnlyRootFilesystem: true',
    'allowPrivilegeEscalation: false',
    'path: /healthz',
    'path: /readyz',
    'mountPath: /var/lib/kubeding',
    'mountPath: /tmp',
  ]) {
    t.ok(deployment.includes(line), `deployment.yaml: ${line}`)
  }
  t.match(templates.get('configmap.yaml'), /"dir" "\/var\/lib\/kubeding"/, 'state.dir is the mount')
  const rbac = templates.get('rbac.yaml') ?? ''
  const manifestRbac = read(join(root, 'deploy/kubernetes/base/rbac.yaml'))
  const rules = (text: string) => [...text.matchAll(/^rules:\n((?: {2}.*\n)+)/gm)].map((m) => m[1])
  // The ClusterRole's rules read alike; the Role's name the release's objects (helm-ha.test.ts).
  t.same(rules(rbac)[0], rules(manifestRbac)[0], 'the same ClusterRole rules')
  const packageVersion = (JSON.parse(read(join(root, 'package.json'))) as { version: string })
    .version
  const meta = parse(read(join(chart, 'Chart.yaml'))) as { version: string; appVersion: string }
  t.equal(meta.appVersion, packageVersion, 'appVersion follows package.json')
  t.equal(meta.version, packageVersion, 'so does the chart version')
  const npd = templates.get('npd-daemonset.yaml') ?? ''
  t.ok(
    npd.includes(
      '--config.system-log-monitor=/config/kernel-monitor.json,/config/readonly-monitor.json,/config/docker-monitor.json',
    ),
    'NPD runs the monitors the with-npd overlay runs',
  )
  t.ok(
    npd.includes('--system-log-monitors=/config/kernel-monitor.json,/config/docker-monitor.json'),
    "and an ACK v0.6 image gets that version's flags and files",
  )
})
