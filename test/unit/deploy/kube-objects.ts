/**
 * Helpers for the deploy tests: render a kustomization with kubectl and a chart with helm (both
 * from the devDependencies, see k8s-tools.ts), validate each object against the Kubernetes API
 * schemas (kubernetes-models), and look objects up by kind and name.
 */
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1'
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import {
  ClusterRole,
  ClusterRoleBinding,
  Role,
  RoleBinding,
} from 'kubernetes-models/rbac.authorization.k8s.io/v1'
import {
  ConfigMap,
  Namespace,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
} from 'kubernetes-models/v1'
import { parse, parseAllDocuments } from 'yaml'
import { toolPath } from './k8s-tools.ts'

/** A rendered object, as plain data. */
export type KubeObject = {
  apiVersion: string
  kind: string
  metadata: { name: string; namespace?: string; labels?: Record<string, string> }
  [field: string]: unknown
}

type Model = { validate(): void }
/** `never` accepts every model's constructor: each takes its own interface. */
type ModelClass = new (data: never) => Model

/**
 * Every kind the manifests may contain. A kind missing here fails the test rather than going
 * unvalidated.
 */
const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'apps/v1/DaemonSet': DaemonSet,
  'coordination.k8s.io/v1/Lease': Lease,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'rbac.authorization.k8s.io/v1/ClusterRole': ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': ClusterRoleBinding,
  'rbac.authorization.k8s.io/v1/Role': Role,
  'rbac.authorization.k8s.io/v1/RoleBinding': RoleBinding,
}

/**
 * Throws with the schema's complaint when `obj` is not a valid object of its kind. The models
 * check types, required fields and formats (quantities, enums), not unknown fields.
 */
export function validateObject(obj: KubeObject): void {
  const Model = MODELS[`${obj.apiVersion}/${obj.kind}`]
  if (!Model) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind}`)
  new Model(obj as never).validate()
}

/** Parses a multi-document YAML stream; throws on a YAML error. */
export function parseObjects(text: string): KubeObject[] {
  return parseAllDocuments(text).flatMap((doc) => {
    if (doc.errors.length > 0) throw doc.errors[0]
    const value = doc.toJS() as KubeObject | null
    return value ? [value] : []
  })
}

/** What a tool run printed, and its exit status (null when it could not start). */
export interface ToolResult {
  status: number | null
  stdout: string
  stderr: string
}

function run(tool: 'helm' | 'kubectl', args: string[]): ToolResult {
  const result = spawnSync(toolPath(tool), args, {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    // helm keeps caches and config under HOME/XDG dirs; the rendering needs none of them.
    env: {
      ...process.env,
      HELM_CACHE_HOME: '/tmp/kubeding-helm',
      HELM_CONFIG_HOME: '/tmp/kubeding-helm',
    },
  })
  return {
    status: result.error ? null : result.status,
    stdout: result.stdout ?? '',
    stderr: result.error ? String(result.error) : (result.stderr ?? ''),
  }
}

/**
 * `kubectl kustomize DIR`. The packaged kubectl 1.20 embeds kustomize 2.0, the oldest the
 * manifests promise to render with; `KUBECTL` picks another binary.
 */
export function kustomize(dir: string): ToolResult {
  return run('kubectl', ['kustomize', dir])
}

/** `helm template RELEASE CHART -n NAMESPACE -f VALUES...` (plus `extra` arguments). */
export function helmTemplate(
  chart: string,
  valueFiles: string[],
  extra: string[] = [],
): ToolResult {
  const files = valueFiles.flatMap((file) => ['-f', file])
  return run('helm', ['template', 'kubeding', chart, '-n', 'kube-system', ...files, ...extra])
}

/** The one object of `kind` (and `name`, when given); throws when there is not exactly one. */
export function findObject(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.filter(
    (o) => o.kind === kind && (name === undefined || o.metadata.name === name),
  )
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, got ${found.length}`)
  return found[0] as KubeObject
}

/** The env var names referenced as `${VAR}` (without a `:-default`) in `text`. */
export function envReferences(text: string): string[] {
  const names = [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] as string)
  return [...new Set(names)].sort()
}

/** The env var names a config document's values (not its comments) read as `${VAR}`. */
export function configEnvReferences(text: string): string[] {
  const names: string[] = []
  const walk = (value: unknown): void => {
    if (typeof value === 'string') names.push(...envReferences(value))
    else if (value && typeof value === 'object') Object.values(value).forEach(walk)
  }
  walk(parse(text))
  return [...new Set(names)].sort()
}

/**
 * The text `helm install` would print from templates/NOTES.txt. `helm template` skips NOTES and
 * `helm install --dry-run` wants a cluster, so a copy of the chart gets one more template that
 * renders NOTES.txt with helm's own `tpl` (same values, helpers and functions) into a ConfigMap.
 */
export function helmNotes(
  chart: string,
  valueFiles: string[],
  sets: string[] = [],
): ToolResult & { notes: string } {
  const copy = mkdtempSync(join(tmpdir(), 'kubeding-chart-'))
  try {
    cpSync(chart, copy, { recursive: true })
    cpSync(join(chart, 'templates/NOTES.txt'), join(copy, 'files/notes-under-test.txt'))
    writeFileSync(
      join(copy, 'templates/notes-under-test.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes-under-test\ndata:\n  NOTES: {{ tpl (.Files.Get "files/notes-under-test.txt") . | toJson }}\n',
    )
    const result = helmTemplate(copy, valueFiles, [
      ...sets.flatMap((s) => ['--set', s]),
      '--show-only',
      'templates/notes-under-test.yaml',
    ])
    const rendered = result.status === 0 ? parseObjects(result.stdout)[0] : undefined
    const notes = (rendered as { data?: { NOTES?: string } } | undefined)?.data?.NOTES ?? ''
    return { ...result, notes }
  } finally {
    rmSync(copy, { recursive: true, force: true })
  }
}
