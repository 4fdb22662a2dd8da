/**
 * Finds the credentials to reach the API server, in the order the interface contract gives:
 * 1. `kubernetes.kubeconfig` when set (and then nothing else); 2. the in-cluster service account
 * (KUBERNETES_SERVICE_HOST/PORT and the mounted token); 3. `$KUBECONFIG` (a path list, merged
 * like kubectl); 4. `~/.kube/config`. `kubernetes.context` picks a kubeconfig context.
 */
import fs from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { KubeConfig } from '@kubernetes/client-node'

/** Stable codes of KubeConfigError. */
export const KubeConfigErrorCode = {
  /** No source of credentials was found; `tried` lists each one and why it did not apply. */
  notFound: 'KUBECONFIG_NOT_FOUND',
  /** A kubeconfig file could not be read or parsed. */
  unreadable: 'KUBECONFIG_UNREADABLE',
  /** `kubernetes.context` names a context the kubeconfig does not have. */
  contextNotFound: 'KUBECONFIG_CONTEXT_NOT_FOUND',
  /** The chosen context has no cluster, or its cluster no server address. */
  incomplete: 'KUBECONFIG_INCOMPLETE',
} as const
export type KubeConfigErrorCode = (typeof KubeConfigErrorCode)[keyof typeof KubeConfigErrorCode]

/** Why no usable KubeConfig could be made. The message names what was tried. */
export class KubeConfigError extends Error {
  readonly code: KubeConfigErrorCode
  readonly tried: string[]
  constructor(code: KubeConfigErrorCode, message: string, tried: string[] = []) {
    super(message)
    this.name = 'KubeConfigError'
    this.code = code
    this.tried = tried
  }
}

/** Where the service account is mounted in a pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** What to load. `serviceAccountDir` exists for tests; it defaults to the pod mount. */
export interface LoadKubeConfigOptions {
  kubeconfig?: string | undefined
  context: string
  serviceAccountDir?: string
}

function loadFiles(files: string[]): KubeConfig {
  const kc = new KubeConfig()
  files.forEach((file, i) => {
    try {
      const next = i === 0 ? kc : new KubeConfig()
      next.loadFromFile(file)
      if (next !== kc) kc.mergeConfig(next, true)
    } catch (error) {
      // Only the first line: a YAML error goes on to quote the file, and the file holds tokens.
      const why =
        (error as NodeJS.ErrnoException).code ?? String((error as Error).message).split('\n')[0]
      throw new KubeConfigError(
        KubeConfigErrorCode.unreadable,
        `cannot read kubeconfig ${file}: ${why}`,
        files,
      )
    }
  })
  return kc
}

function inCluster(dir: string, host: string, port: string): KubeConfig {
  const namespaceFile = path.join(dir, 'namespace')
  const namespace = fs.existsSync(namespaceFile)
    ? fs.readFileSync(namespaceFile, 'utf8').trim()
    : undefined
  const scheme = port === '80' || port === '8080' || port === '8001' ? 'http' : 'https'
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [
      {
        name: 'inCluster',
        server: `${scheme}://${net.isIPv6(host) ? `[${host}]` : host}:${port}`,
        caFile: path.join(dir, 'ca.crt'),
        skipTLSVerify: false,
      },
    ],
    // A tokenFile user is re-read by the library every minute, so projected tokens that the
    // kubelet rotates keep working.
    users: [
      {
        name: 'inClusterUser',
        authProvider: { name: 'tokenFile', config: { tokenFile: path.join(dir, 'token') } },
      },
    ],
    contexts: [
      {
        name: 'inClusterContext',
        cluster: 'inCluster',
        user: 'inClusterUser',
        ...(namespace ? { namespace } : {}),
      },
    ],
    currentContext: 'inClusterContext',
  })
  return kc
}

function choose(kc: KubeConfig, context: string, source: string): KubeConfig {
  if (context) {
    if (!kc.getContextObject(context)) {
      const names = kc.getContexts().map((c) => c.name)
      throw new KubeConfigError(
        KubeConfigErrorCode.contextNotFound,
        `kubernetes.context "${context}" is not in ${source}; it has: ${names.join(', ') || '(no contexts)'}`,
      )
    }
    kc.setCurrentContext(context)
  }
  const current = kc.getCurrentContext()
  const cluster = kc.getCurrentCluster()
  if (!current || !kc.getContextObject(current))
    throw new KubeConfigError(
      KubeConfigErrorCode.incomplete,
      `${source} has no current-context: set kubernetes.context`,
    )
  if (!cluster?.server)
    throw new KubeConfigError(
      KubeConfigErrorCode.incomplete,
      `context "${current}" in ${source} has no cluster with a server address`,
    )
  return kc
}

/** Loads the KubeConfig, or throws KubeConfigError naming every place tried. */
export function loadKubeConfig(opts: LoadKubeConfigOptions, env: NodeJS.ProcessEnv): KubeConfig {
  if (opts.kubeconfig) {
    if (!fs.existsSync(opts.kubeconfig))
      throw new KubeConfigError(
        KubeConfigErrorCode.unreadable,
        `kubernetes.kubeconfig ${opts.kubeconfig} does not exist`,
        [opts.kubeconfig],
      )
    return choose(loadFiles([opts.kubeconfig]), opts.context, opts.kubeconfig)
  }
  const tried = ['kubernetes.kubeconfig (not set)']
  const dir = opts.serviceAccountDir ?? SERVICE_ACCOUNT_DIR
  const host = env.KUBERNETES_SERVICE_HOST
  const port = env.KUBERNETES_SERVICE_PORT
  if (!host || !port)
    tried.push('in-cluster service account (KUBERNETES_SERVICE_HOST/PORT not set)')
  else if (!fs.existsSync(path.join(dir, 'token')))
    tried.push(`in-cluster service account (${dir}/token missing)`)
  else return inCluster(dir, host, port)

  const listed = (env.KUBECONFIG ?? '').split(path.delimiter).filter(Boolean)
  const existing = listed.filter((file) => fs.existsSync(file))
  if (existing.length)
    return choose(
      loadFiles(existing),
      opts.context,
      `$KUBECONFIG (${existing.join(path.delimiter)})`,
    )
  tried.push(
    listed.length
      ? `$KUBECONFIG (${listed.join(path.delimiter)}: no such file)`
      : '$KUBECONFIG (not set)',
  )

  const home = env.HOME || env.USERPROFILE
  const homeConfig = home ? path.join(home, '.kube', 'config') : undefined
  if (homeConfig && fs.existsSync(homeConfig))
    return choose(loadFiles([homeConfig]), opts.context, homeConfig)
  tried.push(homeConfig ? `${homeConfig} (missing)` : '~/.kube/config (HOME not set)')
  throw new KubeConfigError(
    KubeConfigErrorCode.notFound,
    `no Kubernetes credentials found; tried: ${tried.join('; ')}. Set kubernetes.kubeconfig, or run in a pod with a service account`,
    tried,
  )
}
