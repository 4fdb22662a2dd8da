/**
 * Where PutLogs gets its key pair: `archive.sls.accessKeyId`/`accessKeySecret` when the config
 * has them, else Alibaba Cloud's default credential chain as the official SDKs walk it
 * (`@alicloud/credentials`): environment, RRSA (the pod's OIDC token exchanged at STS), the CLI
 * profile, the ECS instance's RAM role from the metadata service, a credentials URI. With
 * `archive.sls.ramRole`, only that RAM role. STS credentials are cached and refreshed by the
 * package before they expire; a refresh it could not make is logged here once per streak.
 *
 * The package's own error messages are never passed on: some quote what a service answered (the
 * credentials URI's reply, key pair included) or a config file's content. Why a provider gave
 * nothing is said in kubeding's words, from what its HTTP exchange showed (status, transport
 * error code, which credential fields a reply lacked) or which of the package's known failures
 * it was.
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
 * What a provider's last HTTP exchange showed, as much as may be repeated: a status, an error
 * code, the names of missing fields; never a body, a URL or a value.
 */
interface Exchange {
  /** The request's path, to tell a provider's steps apart; never repeated in a message. */
  path: string
  status?: number
  /** The transport's failure: a system error code (`ECONNREFUSED`) or `timeout`. */
  failure?: string
  /** A refusal's `Code` (`InvalidParameter.OIDCToken`): error replies carry no credentials. */
  code?: string
  /** A 200 reply that is not JSON. */
  notJson?: boolean
  /** For a 200 JSON reply: which of the credential fields it lacked. */
  missing?: string[]
  /** For a 200 JSON reply: its `Code` was there and not `Success` (the value is not kept). */
  codeNotSuccess?: boolean
}

const CREDENTIAL_FIELDS = ['AccessKeyId', 'AccessKeySecret', 'SecurityToken'] as const

/** A transport error as a code only: its message can hold the URL, query string included. */
function transportFailure(err: unknown): string {
  const { code, name } = (err ?? {}) as { code?: unknown; name?: unknown }
  if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code
  if (typeof name === 'string' && name.includes('Timeout')) return 'timeout'
  return 'request failed'
}

/** Reads what may be kept of a reply: for a refusal its Code, for a 200 which fields it lacked. */
function readReply(exchange: Exchange, status: number, body: Buffer): void {
  exchange.status = status
  let data: unknown
  try {
    data = JSON.parse(body.toString('utf8'))
  } catch {
    if (status === 200) exchange.notJson = true
    return
  }
  const reply = (data ?? {}) as Record<string, unknown>
  if (status !== 200) {
    if (typeof reply.Code === 'string' && /^[A-Za-z][A-Za-z0-9._-]{0,63}$/.test(reply.Code)) {
      exchange.code = reply.Code
    }
    return
  }
  // STS nests the key pair under Credentials; the metadata service and a URI answer it flat.
  const credentials = (
    typeof reply.Credentials === 'object' && reply.Credentials !== null ? reply.Credentials : reply
  ) as Record<string, unknown>
  exchange.missing = CREDENTIAL_FIELDS.filter((field) => !credentials[field])
  if (reply.Code !== undefined && reply.Code !== 'Success') exchange.codeNotSuccess = true
}

/** `a SecurityToken`, `an AccessKeyId`, `AccessKeyId or SecurityToken`. */
const orList = (names: string[]) =>
  names.length === 1
    ? `${/^[AEIOU]/.test(names[0] ?? '') ? 'an' : 'a'} ${names[0]}`
    : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`

/**
 * Why a provider gave no credentials, in kubeding's words. `exchange` is what its last HTTP
 * request showed, if it made one; the package's error is only matched, never quoted.
 */
function whyNot(provider: string, err: unknown, exchange: Exchange | undefined): string {
  const message = err instanceof Error ? err.message : String(err)
  const fileCode = (err as { code?: unknown } | undefined)?.code
  const fileError = typeof fileCode === 'string' && /^E[A-Z]+$/.test(fileCode) ? fileCode : ''
  switch (provider) {
    case 'env':
      return process.env.ALIBABA_CLOUD_ACCESS_KEY_ID
        ? 'ALIBABA_CLOUD_ACCESS_KEY_SECRET not set'
        : 'ALIBABA_CLOUD_ACCESS_KEY_ID not set'
    case 'cli_profile':
      if (message.startsWith('cannot found home dir')) return 'no home directory'
      if (message.startsWith('reading aliyun cli config')) return 'no ~/.aliyun/config.json'
      if (message.startsWith('parse aliyun cli config')) return '~/.aliyun/config.json is not JSON'
      if (message.startsWith('no any configured profiles'))
        return 'no profile in ~/.aliyun/config.json'
      if (message.startsWith('unable to get profile'))
        return '~/.aliyun/config.json has no profile of the name ALIBABA_CLOUD_PROFILE or its current one gives'
      if (message.startsWith('unsupported profile mode'))
        return "the CLI profile's mode is not supported"
      return 'the CLI profile gave no credentials'
    case 'profile': {
      const file = process.env.ALIBABA_CLOUD_CREDENTIALS_FILE
        ? 'ALIBABA_CLOUD_CREDENTIALS_FILE'
        : '~/.alibabacloud/credentials'
      if (message.startsWith('cannot found home dir')) return 'no home directory'
      if (fileError === 'ENOENT') return `no ${file}`
      if (fileError) return `cannot read ${file} (${fileError})`
      if (message.startsWith('Can not find credential type'))
        return `no profile with a type in ${file}`
      if (message.startsWith('Invalid type option'))
        return `the profile in ${file} has a type other than access_key, ecs_ram_role, ram_role_arn`
      return `the profile in ${file} gave no credentials`
    }
    case 'oidc_role_arn':
      if (fileError) return `cannot read ALIBABA_CLOUD_OIDC_TOKEN_FILE (${fileError})`
      return why('STS', exchange, 'AssumeRoleWithOIDC')
    case 'ecs_ram_role':
      if (message.startsWith('IMDS credentials is disabled'))
        return 'ALIBABA_CLOUD_ECS_METADATA_DISABLED is set'
      if (exchange?.path.endsWith('/security-credentials/') && exchange.status === 404)
        return 'no ECS RAM role (the metadata service names none)'
      if (exchange?.path.endsWith('/security-credentials/') && exchange.status !== undefined)
        return `the metadata service named no RAM role (HTTP ${exchange.status})`
      if (exchange?.status === 404)
        return 'the metadata service has no credentials for that RAM role'
      return why('the metadata service', exchange, 'the RAM role credentials')
    case 'credential_uri':
      if (!process.env.ALIBABA_CLOUD_CREDENTIALS_URI) return 'ALIBABA_CLOUD_CREDENTIALS_URI not set'
      return why('the credentials URI', exchange, 'credentials')
    default:
      return 'gave no credentials'
  }
}

/** Why an HTTP provider's exchange gave no credentials, from what it showed. */
function why(service: string, exchange: Exchange | undefined, what: string): string {
  if (!exchange) return `${service} was not asked`
  if (exchange.failure) return `${service} did not answer (${exchange.failure})`
  if (exchange.status !== undefined && exchange.status !== 200) {
    return `${service} refused ${what} (HTTP ${exchange.status}${exchange.code ? `, ${exchange.code}` : ''})`
  }
  if (exchange.notJson) return `${service} answered ${what} with something other than JSON`
  if (exchange.missing?.length) {
    return `${service} answered without ${orList(exchange.missing)} (STS credentials need AccessKeyId, AccessKeySecret and SecurityToken)`
  }
  if (exchange.codeNotSuccess) return `${service} answered a Code other than Success`
  return `${service} gave no credentials`
}

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
        failure = transportFailure(err)
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

  /** The last exchange of each HTTP provider, for `whyNot`; cleared before each try. */
  const exchanges = new Map<string, Exchange>()
  const observe =
    (source: string) =>
    (inner: DoRequest): DoRequest =>
    async (request) => {
      // The optional metadata token is not a step that decides anything (see watch).
      if (request.path.startsWith('/latest/api/token')) return inner(request)
      const exchange: Exchange = { path: request.path }
      exchanges.set(source, exchange)
      try {
        const response = await inner(request)
        readReply(exchange, response.statusCode, response.body)
        return response
      } catch (err) {
        exchange.failure = transportFailure(err)
        throw err
      }
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
      return wrapTransport(provider, (inner) =>
        watch('ecs_ram_role')(observe('ecs_ram_role')(toMetadata(inner))),
      )
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
          return wrapTransport(provider, (inner) =>
            watch('oidc_role_arn')(observe('oidc_role_arn')(inner)),
          )
        }),
        tryBuild(() => CLIProfileCredentialsProvider.builder().build()),
        tryBuild(() => ProfileCredentialsProvider.builder().build()),
        ecs(undefined),
        tryBuild(() =>
          wrapTransport(URICredentialsProvider.builder().build(), observe('credential_uri')),
        ),
      ]
  const chain = providers.filter((p): p is CredentialsProvider => p !== undefined)
  // The first provider that answers is kept, as the package's DefaultCredentialsProvider does:
  // walking the chain again on every refresh would fall through to another identity.
  let chosen: CredentialsProvider | undefined

  return {
    describe: () => chosen?.getProviderName() ?? 'default credential chain',
    async get() {
      if (chosen) {
        const name = chosen.getProviderName()
        exchanges.delete(name)
        try {
          return toSlsCredentials(await chosen.getCredentials())
        } catch (err) {
          throw new Error(
            `could not get Alibaba Cloud credentials from ${name}: ${whyNot(name, err, exchanges.get(name))}`,
          )
        }
      }
      const reasons: string[] = []
      for (const provider of chain) {
        const name = provider.getProviderName()
        exchanges.delete(name)
        try {
          const credentials = await provider.getCredentials()
          chosen = provider
          return toSlsCredentials(credentials)
        } catch (err) {
          reasons.push(`${name}: ${whyNot(name, err, exchanges.get(name))}`)
        }
      }
      throw new Error(
        `no Alibaba Cloud credentials: set archive.sls.accessKeyId/accessKeySecret, RRSA (ALIBABA_CLOUD_ROLE_ARN, ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE) or archive.sls.ramRole (${reasons.join('; ')})`,
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
