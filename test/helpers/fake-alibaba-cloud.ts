/**
 * Fakes of the Alibaba Cloud services that hand out STS credentials, over local HTTP:
 * - the ECS metadata service (`http://127.0.0.1:port` standing in for 100.100.100.200): IMDSv2
 *   token, region id, the instance's RAM role name and its credentials;
 * - STS's AssumeRoleWithOIDC (RRSA), over https with the self-signed certificate in
 *   test/fixtures/tls, which `trustFakeSts()` adds to this process's trusted CAs;
 * - a credentials URI (`ALIBABA_CLOUD_CREDENTIALS_URI`), answering whatever JSON it is given.
 * Both write what they issue into one credential book, which the fake Log Service checks every
 * PutLogs against (key id, secret, `x-acs-security-token`, expiry).
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { getCACertificates, setDefaultCACertificates } from 'node:tls'

const TLS_DIR = join(import.meta.dirname, '../fixtures/tls')
const CERT = readFileSync(join(TLS_DIR, 'fake-sts.crt'), 'utf8')

/** One STS key pair as issued. `expiresAt` is on the book's clock. */
export interface IssuedCredentials {
  accessKeyId: string
  accessKeySecret: string
  securityToken: string
  expiresAt: number
}

export interface CredentialBook {
  /**
   * The book's clock. `@alicloud/credentials` decides when to refresh from the real clock
   * (Date.now) and the Expiration it was given, so the fakes issue on that clock too.
   */
  now(): number
  issue(ttlMs: number): IssuedCredentials
  find(accessKeyId: string): IssuedCredentials | undefined
  readonly issued: readonly IssuedCredentials[]
}

export function createCredentialBook(now: () => number = Date.now): CredentialBook {
  const issued: IssuedCredentials[] = []
  return {
    now,
    issue(ttlMs) {
      const credentials = {
        accessKeyId: `STS.${randomBytes(8).toString('hex')}`,
        accessKeySecret: randomBytes(16).toString('base64url'),
        securityToken: `CAIS${randomBytes(24).toString('base64url')}`,
        expiresAt: now() + ttlMs,
      }
      issued.push(credentials)
      return credentials
    },
    find: (accessKeyId) => issued.find((c) => c.accessKeyId === accessKeyId),
    issued,
  }
}

/**
 * Keeps the developer's own Alibaba Cloud setup out of a test of the chain: every
 * `ALIBABA_CLOUD_*` variable unset and HOME an empty directory (no CLI profile, no credentials
 * file), all restored at teardown.
 */
export function isolateAlibabaCloudEnv(t: {
  testdir(): string
  teardown(fn: () => void): void
}): void {
  const saved = Object.entries(process.env).filter(
    ([name]) => name.startsWith('ALIBABA_CLOUD_') || name === 'HOME',
  )
  for (const [name] of saved) delete process.env[name]
  process.env.HOME = t.testdir()
  t.teardown(() => {
    for (const name of Object.keys(process.env)) {
      if (name.startsWith('ALIBABA_CLOUD_') || name === 'HOME') delete process.env[name]
    }
    for (const [name, value] of saved) process.env[name] = value
  })
}

/** Lets this process's TLS clients (the package's STS requests) trust the fake STS. */
export function trustFakeSts(): void {
  setDefaultCACertificates([...getCACertificates('default'), CERT])
}

/** A fake answering `times` requests with an error before answering normally again. */
interface Refusals {
  refuse(times: number): void
}

export interface FakeMetadata extends Refusals {
  /** http://127.0.0.1:port, to pass as the archive's metadataUrl. */
  readonly url: string
  /** Paths asked for, in order (`PUT /latest/api/token`, `GET /latest/meta-data/region-id`, ...). */
  readonly requests: string[]
  close(): Promise<void>
}

export interface FakeMetadataOptions {
  book: CredentialBook
  region?: string
  /** The instance's RAM role; credentials are only given for this name. `null`: it has none. */
  role?: string | null
  /** How long the credentials it hands out last. */
  ttlMs?: number
}

/**
 * Starts the fake metadata service. Like the real one it answers the role's credentials as
 * `{Code: "Success", AccessKeyId, AccessKeySecret, SecurityToken, Expiration, LastUpdated}`;
 * reads with a wrong `x-aliyun-ecs-metadata-token` get 401.
 */
export async function startFakeMetadata(opts: FakeMetadataOptions): Promise<FakeMetadata> {
  const region = opts.region ?? 'cn-hangzhou'
  const role = opts.role === undefined ? 'KubernetesWorkerRole-test' : opts.role
  const token = randomBytes(12).toString('hex')
  const requests: string[] = []
  let refusals = 0
  const server = createHttpServer((req, res) => {
    const path = req.url ?? ''
    requests.push(`${req.method} ${path}`)
    const answer = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'text/plain' })
      res.end(body)
    }
    if (req.method === 'PUT' && path === '/latest/api/token') return answer(200, token)
    const given = req.headers['x-aliyun-ecs-metadata-token']
    if (given !== undefined && given !== token) return answer(401, 'bad metadata token')
    if (path === '/latest/meta-data/region-id') return answer(200, region)
    const prefix = '/latest/meta-data/ram/security-credentials/'
    if (!path.startsWith(prefix)) return answer(404, 'not found')
    if (refusals > 0) {
      refusals--
      return answer(500, 'metadata service unavailable')
    }
    const name = decodeURIComponent(path.slice(prefix.length))
    // Like the real service, an instance without a RAM role answers 404 for the role list.
    if (name === '') return role === null ? answer(404, 'not found') : answer(200, role)
    if (name !== role) return answer(404, 'not found')
    const issued = opts.book.issue(opts.ttlMs ?? 3_600_000)
    const at = new Date(opts.book.now()).toISOString().replace(/\.\d{3}Z$/, 'Z')
    answer(
      200,
      JSON.stringify({
        Code: 'Success',
        AccessKeyId: issued.accessKeyId,
        AccessKeySecret: issued.accessKeySecret,
        SecurityToken: issued.securityToken,
        Expiration: new Date(issued.expiresAt).toISOString(),
        LastUpdated: at,
      }),
    )
  })
  const url = await listen(server)
  return {
    url,
    requests,
    refuse(times) {
      refusals = times
    },
    close: () => shut(server),
  }
}

export interface FakeSts extends Refusals {
  /** `127.0.0.1:port`, to pass as the archive's stsEndpoint (the package always uses https). */
  readonly endpoint: string
  /** AssumeRoleWithOIDC requests: answered 200 or refused. */
  readonly calls: { status: number }[]
  close(): Promise<void>
}

export interface FakeStsOptions {
  book: CredentialBook
  roleArn: string
  oidcProviderArn: string
  /** The service account token the pod's file holds. */
  oidcToken: string
  ttlMs?: number
}

/** Reads a form-encoded body (bounded: STS requests are small). */
function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
      if (body.length > 64 * 1024) reject(new Error('body too large'))
    })
    req.on('end', () => resolve(new URLSearchParams(body)))
    req.on('error', reject)
  })
}

/**
 * Starts the fake STS. It checks what STS checks for AssumeRoleWithOIDC (the action and version
 * in the query; role ARN, OIDC provider ARN and token in the form) and answers
 * `{RequestId, Credentials: {AccessKeyId, AccessKeySecret, SecurityToken, Expiration}}`.
 */
export async function startFakeSts(opts: FakeStsOptions): Promise<FakeSts> {
  const calls: { status: number }[] = []
  let refusals = 0
  const server = createHttpsServer(
    { cert: CERT, key: readFileSync(join(TLS_DIR, 'fake-sts.key')) },
    async (req, res) => {
      const answer = (status: number, body: object) => {
        calls.push({ status })
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ RequestId: randomBytes(8).toString('hex'), ...body }))
      }
      const query = new URL(req.url ?? '/', 'https://sts').searchParams
      const form = await readForm(req)
      if (
        req.method !== 'POST' ||
        query.get('Action') !== 'AssumeRoleWithOIDC' ||
        query.get('Version') !== '2015-04-01'
      ) {
        return answer(400, { Code: 'InvalidAction', Message: 'not AssumeRoleWithOIDC' })
      }
      if (form.get('RoleArn') !== opts.roleArn) {
        return answer(404, { Code: 'EntityNotExist.Role', Message: 'The role not exists' })
      }
      if (
        form.get('OIDCProviderArn') !== opts.oidcProviderArn ||
        form.get('OIDCToken') !== opts.oidcToken
      ) {
        return answer(400, { Code: 'InvalidParameter.OIDCToken', Message: 'token rejected' })
      }
      if (refusals > 0) {
        refusals--
        return answer(403, { Code: 'Forbidden.RAM', Message: 'refused on request' })
      }
      const issued = opts.book.issue(opts.ttlMs ?? 3_600_000)
      answer(200, {
        Credentials: {
          AccessKeyId: issued.accessKeyId,
          AccessKeySecret: issued.accessKeySecret,
          SecurityToken: issued.securityToken,
          Expiration: new Date(issued.expiresAt).toISOString(),
        },
      })
    },
  )
  const url = await listen(server)
  return {
    endpoint: new URL(url).host,
    calls,
    refuse(times) {
      refusals = times
    },
    close: () => shut(server),
  }
}

export interface FakeCredentialsUri {
  /** http://127.0.0.1:port/credentials, for ALIBABA_CLOUD_CREDENTIALS_URI. */
  readonly url: string
  /** How many times it was asked. */
  readonly requests: number
  close(): Promise<void>
}

/** Starts a credentials URI answering `reply` (as JSON, status 200) to every GET. */
export async function startFakeCredentialsUri(reply: object): Promise<FakeCredentialsUri> {
  let requests = 0
  const server = createHttpServer((_req, res) => {
    requests++
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(reply))
  })
  const url = `${await listen(server)}/credentials`
  return {
    url,
    get requests() {
      return requests
    },
    close: () => shut(server),
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

function shut(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}
