/**
 * The SLS archive without an AccessKey, end to end through the fakes: the ECS RAM role from the
 * fake metadata service (named by archive.sls.ramRole, region and intranet endpoint from the
 * same service), RRSA through the fake STS, STS tokens that expire while a backlog drains, and
 * refusals of the credential services: logged once, retried, every event delivered once.
 */
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import t, { type Test } from 'tap'
import { createSlsArchive, type SlsArchiveOptions } from '../../src/archive/create-sls-archive.ts'
import type { SlsConfig } from '../../src/config/schema.ts'
import type { ClusterEvent } from '../../src/kube/cluster-event.ts'
import { openStore } from '../../src/store/open-store.ts'
import { aClusterEvent } from '../helpers/cluster-events.ts'
import {
  type CredentialBook,
  createCredentialBook,
  type FakeMetadata,
  type FakeSts,
  isolateAlibabaCloudEnv,
  startFakeCredentialsUri,
  startFakeMetadata,
  startFakeSts,
  trustFakeSts,
} from '../helpers/fake-alibaba-cloud.ts'
import { type FakeSls, startFakeSls } from '../helpers/fake-sls.ts'
import { assertExactlyOnce, until } from '../helpers/sls-checks.ts'

const ROLE = 'KubernetesWorkerRole-0f1e'
const ROLE_ARN = 'acs:ram::1234567890123456:role/kubeding-sls'
const PROVIDER_ARN = 'acs:ram::1234567890123456:oidc-provider/ack-rrsa-c0123'

/** A pino logger whose lines the test can read. */
function captured() {
  const lines: Record<string, unknown>[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  return { lines, logger }
}

const events = (n: number): ClusterEvent[] => Array.from({ length: n }, () => aClusterEvent())

/** Every accepted request was signed with STS credentials the fakes issued, token included. */
function assertSignedWithIssued(t: Test, sls: FakeSls, book: CredentialBook): void {
  const accepted = sls.requests.filter((r) => r.status === 200)
  t.ok(accepted.length > 0, 'requests were accepted')
  t.ok(
    accepted.every(
      (r) =>
        r.securityToken !== undefined &&
        book.find(r.accessKeyId ?? '')?.securityToken === r.securityToken,
    ),
    'each with an issued key pair and its own x-acs-security-token',
  )
}

interface Rig {
  /** archive.sls for the fake's project and logstore, no endpoint and no key, plus `extra`. */
  slsConfig(extra?: Partial<SlsConfig>): SlsConfig
  /** A fake STS and the pod's RRSA environment, as ACK's webhook injects it. */
  startRrsa(ttlMs: number): Promise<FakeSts>
  book: CredentialBook
  sls: FakeSls
  metadata: FakeMetadata
  lines: Record<string, unknown>[]
  start(over: Partial<SlsArchiveOptions>): ReturnType<typeof createSlsArchive>
}

async function rig(t: Test): Promise<Rig> {
  isolateAlibabaCloudEnv(t)
  const book = createCredentialBook()
  // The endpoint the archive must derive: the metadata region's internal one.
  const sls = await startFakeSls({ book, endpoint: 'cn-shanghai-intranet.log.aliyuncs.com' })
  const metadata = await startFakeMetadata({ book, region: 'cn-shanghai', role: ROLE })
  const store = openStore(':memory:')
  const { lines, logger } = captured()
  // Metadata reads go to the fake metadata service as they are; PutLogs goes to the fake SLS.
  const routed: typeof fetch = (input, init) =>
    String(input).startsWith(metadata.url) ? fetch(input, init) : sls.fetch(input, init)
  const archives: ReturnType<typeof createSlsArchive>[] = []
  t.teardown(async () => {
    for (const archive of archives) await archive.stop(1000)
    store.close()
    await sls.close()
    await metadata.close()
  })
  return {
    slsConfig: (extra = {}) => ({
      project: sls.config.project,
      logstore: sls.config.logstore,
      topic: '',
      ...extra,
    }),
    async startRrsa(ttlMs) {
      const oidcToken = 'eyJhbGciOiJSUzI1NiJ9.rrsa.sig'
      const sts = await startFakeSts({
        book,
        roleArn: ROLE_ARN,
        oidcProviderArn: PROVIDER_ARN,
        oidcToken,
        ttlMs,
      })
      t.teardown(() => sts.close())
      process.env.ALIBABA_CLOUD_ROLE_ARN = ROLE_ARN
      process.env.ALIBABA_CLOUD_OIDC_PROVIDER_ARN = PROVIDER_ARN
      process.env.ALIBABA_CLOUD_OIDC_TOKEN_FILE = join(t.testdir({ token: oidcToken }), 'token')
      return sts
    },
    book,
    sls,
    metadata,
    lines,
    start(over) {
      const { project, logstore } = sls.config
      const archive = createSlsArchive({
        config: { project, logstore, topic: '' },
        cluster: 'prod-shanghai',
        store,
        logger,
        fetch: routed,
        metadataUrl: metadata.url,
        flushIntervalMs: 20,
        retryBaseMs: 20,
        maxRetryMs: 200,
        ...over,
      })
      archives.push(archive)
      archive.start()
      return archive
    },
  }
}

trustFakeSts()

t.test(
  'archive.sls.ramRole: credentials and region from the metadata service, intranet endpoint',
  async (t) => {
    const { book, sls, slsConfig, metadata, start } = await rig(t)
    const sent = events(30)
    const archive = start({
      config: slsConfig({ ramRole: ROLE }),
    })
    archive.enqueue(sent)
    await until('delivery', () => archive.stats().sentLogs === 30)
    assertExactlyOnce(t, sls, sent)
    assertSignedWithIssued(t, sls, book)
    t.ok(metadata.requests.includes('GET /latest/meta-data/region-id'), 'region read')
    t.ok(
      metadata.requests.includes(`GET /latest/meta-data/ram/security-credentials/${ROLE}`),
      'the named role read',
    )
    t.notOk(
      metadata.requests.includes('GET /latest/meta-data/ram/security-credentials/'),
      'no role lookup: the config named it',
    )
  },
)

t.test('a role the instance does not have is retried, not fatal, and says why', async (t) => {
  const { sls, slsConfig, lines, start } = await rig(t)
  const archive = start({
    config: slsConfig({ ramRole: 'NoSuchRole' }),
  })
  archive.enqueue(events(3))
  await until('a few attempts', () => archive.stats().failedBatches >= 3)
  t.match(archive.stats(), { state: 'retrying', queued: 3, lastError: /^CredentialsUnavailable: / })
  t.equal(sls.requests.length, 0, 'nothing unsigned was sent')
  const warnings = lines.filter((l) => l.level === 40)
  t.equal(warnings.length, 1, 'one warning for the streak, the repeats at debug')
})

t.test(
  'a credentials URI answering a key pair without a SecurityToken: the warning says so and quotes no secret',
  async (t) => {
    const { sls, slsConfig, lines, start } = await rig(t)
    // Off ECS and without a CLI profile: the chain is the environment, the credentials file and
    // the URI, whose reply the package quotes whole when it lacks the SecurityToken.
    process.env.ALIBABA_CLOUD_ECS_METADATA_DISABLED = 'true'
    process.env.ALIBABA_CLOUD_CLI_PROFILE_DISABLED = 'true'
    // A container's short HOME, without a credentials file (the test directory's long path
    // would push the URI's reason past any cut of the message).
    process.env.HOME = '/home/kubeding-absent'
    const secret = 'UriAccessKeySecret-5e0b7c'
    const uri = await startFakeCredentialsUri({
      AccessKeySecret: secret,
      AccessKeyId: 'LTAI5tStaticKeyId',
      Expiration: '2099-01-01T00:00:00Z',
    })
    t.teardown(() => uri.close())
    process.env.ALIBABA_CLOUD_CREDENTIALS_URI = uri.url
    const archive = start({ config: slsConfig({ endpoint: sls.config.endpoint }) })
    archive.enqueue(events(2))
    await until('a few attempts', () => archive.stats().failedBatches >= 3)
    t.ok(uri.requests >= 1, 'the credentials URI was asked')
    t.equal(sls.requests.length, 0, 'nothing unsigned was sent')
    const problem = /credential_uri: the credentials URI answered without a SecurityToken/
    const warnings = lines.filter((l) => l.level === 40)
    t.equal(warnings.length, 1, 'one warning for the streak')
    t.match(warnings[0], { errorCode: 'CredentialsUnavailable', errorMessage: problem })
    t.match(archive.stats(), { state: 'retrying', lastError: problem })
    const text = `${JSON.stringify(lines)} ${archive.stats().lastError}`
    t.notOk(text.includes(secret.slice(0, 10)), 'the secret is in no log line nor in lastError')
  },
)

t.test(
  'the metadata service refusing the first reads: logged once, retried, nothing lost',
  async (t) => {
    const { book, sls, slsConfig, metadata, lines, start } = await rig(t)
    metadata.refuse(3)
    const sent = events(12)
    const archive = start({
      config: slsConfig({ ramRole: ROLE }),
    })
    archive.enqueue(sent)
    await until('delivery', () => archive.stats().sentLogs === 12)
    assertExactlyOnce(t, sls, sent)
    assertSignedWithIssued(t, sls, book)
    t.equal(lines.filter((l) => l.level === 40).length, 1, 'one warning')
    t.ok(
      lines.some((l) => /accepts the archive again/.test(String(l.msg))),
      'recovery logged',
    )
  },
)

t.test(
  'RRSA: an expiry in the middle of a backlog, every batch signed with a live token',
  async (t) => {
    // Tokens live 1.2 s while the backlog takes longer to drain: the package refreshes them (it
    // refreshes whatever expires within 15 minutes) and the fake SLS refuses any expired one.
    const { book, sls, slsConfig, startRrsa, start } = await rig(t)
    const sts = await startRrsa(1200)
    sls.delayAnswers(300)
    const sent = events(80)
    const archive = start({
      config: slsConfig({ endpoint: sls.config.endpoint }),
      stsEndpoint: sts.endpoint,
      maxBatchLogs: 10,
    })
    archive.enqueue(sent)
    await until('the backlog to drain', () => archive.stats().sentLogs === 80, 30_000)
    assertExactlyOnce(t, sls, sent)
    assertSignedWithIssued(t, sls, book)
    t.same(
      sls.requests.filter((r) => r.status !== 200),
      [],
      'no request was refused: none carried an expired token',
    )
    const tokens = new Set(sls.requests.map((r) => r.securityToken))
    t.ok(tokens.size >= 2, `the backlog crossed an expiry (${tokens.size} tokens)`)
    t.ok(
      book.issued.some((c) => c.expiresAt < Date.now()),
      'a token issued during the backlog has expired by now',
    )
  },
)

t.test('RRSA: a refused refresh is logged once, retried, and loses nothing', async (t) => {
  const { book, sls, slsConfig, startRrsa, lines, start } = await rig(t)
  const sts = await startRrsa(300)
  // The endpoint given: only credentials come from outside in this test.
  const archive = start({
    config: slsConfig({ endpoint: sls.config.endpoint }),
    stsEndpoint: sts.endpoint,
  })
  const first = events(5)
  archive.enqueue(first)
  await until('the first batch', () => archive.stats().sentLogs === 5)
  sts.refuse(1)
  // The token of the first batch expires; the refresh for the next one is refused.
  await sleep(400)
  const second = events(5)
  archive.enqueue(second)
  await until('the refused refresh', () => sts.calls.some((c) => c.status === 403), 30_000)
  // The package waits 1 to 10 s before it tries a refused refresh again.
  await until('the second batch', () => archive.stats().sentLogs === 10, 30_000)
  assertExactlyOnce(t, sls, [...first, ...second])
  t.ok(sts.calls.at(-1)?.status === 200, 'refreshed after the refusal')
  const refusals = lines.filter((l) =>
    /could not get Alibaba Cloud credentials/.test(String(l.msg)),
  )
  t.equal(refusals.length, 1, 'the refusal logged once')
  t.match(refusals[0], { level: 50, source: 'oidc_role_arn' })
  t.ok(
    lines.some((l) => l.msg === 'Alibaba Cloud credentials refreshed again'),
    'the recovery logged',
  )
  t.ok(lines.filter((l) => l.level === 40).length <= 1, 'at most one warning from the archive')
  const text = JSON.stringify(lines)
  for (const c of book.issued) {
    t.notOk(text.includes(c.accessKeySecret) || text.includes(c.securityToken), 'no secret logged')
  }
})
