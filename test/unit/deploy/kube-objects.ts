/**
 * Helpers for the deploy tests: render a kustomization with kubectl, validate each object
 * against the Kubernetes API schemas (kubernetes-models), and look objects up by kind and name.
 */
import { spawnSync } from 'node:child_process'
import { DaemonSet, Deployment } from 'kubernetes-models/apps/v1'
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

/**
 * `kubectl kustomize DIR`. `KUBECTL` picks another binary (e.g. an old kubectl whose embedded
 * kustomize 2.0 must render this too).
 */
export function kustomize(dir: string): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.env.KUBECTL ?? 'kubectl', ['kustomize', dir], {
    encoding: 'utf8',
  })
  return {
    status: result.error ? null : result.status,
    stdout: result.stdout ?? '',
    stderr: result.error ? String(result.error) : (result.stderr ?? ''),
  }
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
