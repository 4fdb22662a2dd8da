/**
 * Where PutLogs gets its key pair: `archive.sls.accessKeyId`/`accessKeySecret` when the config
 * has them, else Alibaba Cloud's default credential chain as the official SDKs walk it
 * (`@alicloud/credentials`): environment, RRSA (the pod's OIDC token exchanged at STS), the CLI
 * profile, the ECS instance's RAM role from the metadata service, a credentials URI. With
 * `archive.sls.ramRole`, only that RAM role. STS credentials are cached and refreshed by the
 * package before they expire; a refresh it could not make is logged here once per streak.
 */
import {
  CLIProfileCredentialsProvider,
  type CredentialsProvider,
  ECSRAMRoleCredentialsProvider,
  EnvironmentVariableCredentialsProvider,
  OIDCRoleArnCredentialsProvider,
  ProfileCredentialsProvider,
  URICredentialsProvider,
} from '@alicloud/credentials'
import type { SlsConfig } from '../config/schema.ts'
import type { ArchiveLogger } from './archive-logger.ts'

/** The ECS metadata service, on every Alibaba Cloud instance (ACK nodes included). */
export const METADATA_URL = 'http://100.100.100.200'

/** What one PutLogs is signed with. `securityToken` is set for STS credentials only. */
export interface SlsCredentials {
  accessKeyId: string
  accessKeySecret: string
  securityToken?: string
}

export interface CredentialSource {
  /** `config` for the configured key pair, else the provider that answered (`oidc_role_arn`, ...). */
  describe(): string
  /** The credentials to sign the next request with; throws when none can be had now. */
  get(): Promise<SlsCredentials>
}

export interface CredentialSourceOptions {
  config: Pick<SlsConfig, 'accessKeyId' | 'accessKeySecret' | 'ramRole'>
  logger: ArchiveLogger
  /** The metadata service's base URL; tests point it at a fake. Default METADATA_URL. */
  metadataUrl?: string
  /**
   * The STS endpoint RRSA exchanges the OIDC token at (`host[:port]`, always https). Default:
   * the package's, from ALIBABA_CLOUD_STS_REGION / ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED.
   */
  stsEndpoint?: string
}

/** One HTTP request as the package's providers build it (providers/http.js). */
interface ProviderRequest {
  method: string
  path: string
  url?: string
  toRequestURL(): string
}
interface ProviderResponse {
  statusCode: number
  body: Buffer
}
type DoRequest = (request: ProviderRequest) => Promise<ProviderResponse>

/**
 * The providers that fetch STS credentials keep their transport in `doRequest`, which the
 * package leaves replaceable ("for mock"): it is the one way to see a refused refresh, which the
 * package otherwise swallows while its old session lasts, and to send metadata reads to
 * `metadataUrl`, a host the package fixes to 100.100.100.200.
 */
function wrapTransport(
  provider: CredentialsProvider,
  wrap: (inner: DoRequest) => DoRequest,
): CredentialsProvider {
  const target = provider as unknown as { doRequest: DoRequest }
  const inner = target.doRequest.bind(provider)
  target.doRequest = wrap(inner)
  return provider
}

/** Builds a provider, or undefined when its settings are absent (the package throws then). */
function tryBuild(build: () => CredentialsProvider): CredentialsProvider | undefined {
  try {
    return build()
  } catch {
    return undefined
  }
}

/** Creates the credential source for `archive.sls`; nothing is fetched before `get()`. */
export function createCredentialSource(opts: CredentialSourceOptions): CredentialSource {
  const { config, logger } = opts
  if (config.accessKeyId && config.accessKeySecret) {
    const fixed = { accessKeyId: config.accessKeyId, accessKeySecret: config.accessKeySecret }
    return { describe: () => 'config', get: async () => fixed }
  }
  const metadataUrl = (opts.metadataUrl ?? METADATA_URL).replace(/\/+$/, '')
  let failing = false

  /** Logs the first failed credential request of a streak and the recovery; never a secret. */
  const watch =
    (source: string) =>
    (inner: DoRequest): DoRequest =>
    async (request) => {
      // The metadata token (IMDSv2) is optional: the package falls back to v1 without it.
      const counts = !request.path.startsWith('/latest/api/token')
      let failure: string | undefined
      try {
        const response = await inner(request)
        if (response.statusCode !== 200) failure = `HTTP ${response.statusCode}`
        return response
      } catch (err) {
        failure = err instanceof Error ? err.message : String(err)
        throw err
      } finally {
        if (counts) report(source, failure)
      }
    }

  /** Only once a provider is chosen: before, a failure is the chain moving on (or get() throws). */
  function report(source: string, failure: string | undefined): void {
    if (!chosen) return
    if (failure === undefined) {
      if (failing) logger.info({ source }, 'Alibaba Cloud credentials refreshed again')
      failing = false
      return
    }
    if (failing) return
    failing = true
    logger.error(
      { source, error: failure.slice(0, 300) },
      `could not get Alibaba Cloud credentials from ${source}: the archive keeps its events queued and tries again (check the RAM role or RRSA settings)`,
    )
  }

  const toMetadata =
    (inner: DoRequest): DoRequest =>
    (request) => {
      request.url = `${metadataUrl}${request.path}`
      return inner(request)
    }
  const ecs = (roleName: string | undefined) =>
    tryBuild(() => {
      const builder = ECSRAMRoleCredentialsProvider.builder()
      const provider = (roleName ? builder.withRoleName(roleName) : builder).build()
      return wrapTransport(provider, (inner) => watch('ecs_ram_role')(toMetadata(inner)))
    })

  const providers: (CredentialsProvider | undefined)[] = config.ramRole
    ? [ecs(config.ramRole)]
    : [
        tryBuild(() => EnvironmentVariableCredentialsProvider.builder().build()),
        tryBuild(() => {
          const builder = OIDCRoleArnCredentialsProvider.builder()
          const provider = (
            opts.stsEndpoint ? builder.withStsEndpoint(opts.stsEndpoint) : builder
          ).build()
          return wrapTransport(provider, watch('oidc_role_arn'))
        }),
        tryBuild(() => CLIProfileCredentialsProvider.builder().build()),
        tryBuild(() => ProfileCredentialsProvider.builder().build()),
        ecs(undefined),
        tryBuild(() => URICredentialsProvider.builder().build()),
      ]
  const chain = providers.filter((p): p is CredentialsProvider => p !== undefined)
  // The first provider that answers is kept, as the package's DefaultCredentialsProvider does:
  // walking the chain again on every refresh would fall through to another identity.
  let chosen: CredentialsProvider | undefined

  return {
    describe: () => chosen?.getProviderName() ?? 'default credential chain',
    async get() {
      if (chosen) return toSlsCredentials(await chosen.getCredentials())
      const errors: string[] = []
      for (const provider of chain) {
        try {
          const credentials = await provider.getCredentials()
          chosen = provider
          return toSlsCredentials(credentials)
        } catch (err) {
          errors.push(`${provider.getProviderName()}: ${err instanceof Error ? err.message : err}`)
        }
      }
      throw new Error(
        `no Alibaba Cloud credentials: set archive.sls.accessKeyId/accessKeySecret, RRSA (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE) or archive.sls.ramRole (${errors.join('; ').slice(0, 500)})`,
      )
    },
  }
}

function toSlsCredentials(c: {
  accessKeyId: string
  accessKeySecret: string
  securityToken?: string
}): SlsCredentials {
  return {
    accessKeyId: c.accessKeyId,
    accessKeySecret: c.accessKeySecret,
    ...(c.securityToken ? { securityToken: c.securityToken } : {}),
  }
}
