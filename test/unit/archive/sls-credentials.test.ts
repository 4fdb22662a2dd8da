/**
 * The credential source: the configured key pair as it is, else the chain, whose failure names
 * every way to give credentials; the metadata service is always the injected one.
 */
import { join } from 'node:path'
import pino from 'pino'
import t from 'tap'
import { createCredentialSource } from '../../../src/archive/sls-credentials.ts'
import {
  createCredentialBook,
  isolateAlibabaCloudEnv,
  startFakeCredentialsUri,
  startFakeMetadata,
} from '../../helpers/fake-alibaba-cloud.ts'

const logger = pino({ level: 'silent' })

t.test('a configured key pair is used as it is, without a token', async (t) => {
  const source = createCredentialSource({
    config: { accessKeyId: 'LTAI5tExample', accessKeySecret: 's3cr3t' },
    logger,
  })
  t.same(await source.get(), { accessKeyId: 'LTAI5tExample', accessKeySecret: 's3cr3t' })
  t.equal(source.describe(), 'config')
})

t.test('the chain takes the instance role from the metadata service it is given', async (t) => {
  isolateAlibabaCloudEnv(t)
  const book = createCredentialBook()
  const metadata = await startFakeMetadata({ book, role: 'WorkerRole' })
  t.teardown(() => metadata.close())
  const source = createCredentialSource({ config: {}, logger, metadataUrl: `${metadata.url}/` })
  t.equal(source.describe(), 'default credential chain')
  const credentials = await source.get()
  const issued = book.issued[0]
  t.same(credentials, {
    accessKeyId: issued?.accessKeyId,
    accessKeySecret: issued?.accessKeySecret,
    securityToken: issued?.securityToken,
  })
  t.equal(source.describe(), 'ecs_ram_role')
  t.ok(
    metadata.requests.includes('GET /latest/meta-data/ram/security-credentials/'),
    'role looked up',
  )
})

t.test('no credentials anywhere: one error naming the ways to give them', async (t) => {
  const book = createCredentialBook()
  const metadata = await startFakeMetadata({ book, role: 'WorkerRole' })
  t.teardown(() => metadata.close())
  metadata.refuse(100)
  const source = createCredentialSource({
    config: { ramRole: 'WorkerRole' },
    logger,
    metadataUrl: metadata.url,
  })
  await t.rejects(
    source.get(),
    /no Alibaba Cloud credentials: set archive\.sls\.accessKeyId\/accessKeySecret, RRSA .* or archive\.sls\.ramRole \(ecs_ram_role: /,
  )
  t.equal(book.issued.length, 0)
})

t.test(
  "no provider answers: the error says why each gave nothing, in kubeding's words, never quoting a secret",
  async (t) => {
    isolateAlibabaCloudEnv(t)
    // A CLI config that is not JSON (the package quotes the whole file when it cannot parse it),
    // an instance without a RAM role, and a credentials URI answering a static key pair: the
    // package quotes that reply whole, secret included, when the SecurityToken is missing.
    const cliSecret = 'CliProfileSecret-4f1d9a'
    const uriSecret = 'UriAccessKeySecret-8c27e1'
    process.env.HOME = t.testdir({
      '.aliyun': { 'config.json': `current = default\naccess_key_secret = ${cliSecret}\n` },
    })
    const metadata = await startFakeMetadata({ book: createCredentialBook(), role: null })
    t.teardown(() => metadata.close())
    const uri = await startFakeCredentialsUri({
      AccessKeyId: 'LTAI5tStaticKeyId',
      AccessKeySecret: uriSecret,
      Expiration: '2099-01-01T00:00:00Z',
    })
    t.teardown(() => uri.close())
    process.env.ALIBABA_CLOUD_CREDENTIALS_URI = uri.url
    const source = createCredentialSource({ config: {}, logger, metadataUrl: metadata.url })
    let message = ''
    try {
      await source.get()
      t.fail('credentials from nowhere')
    } catch (err) {
      message = (err as Error).message
    }
    t.equal(uri.requests, 1, 'the credentials URI was asked')
    t.match(
      message,
      /or archive\.sls\.ramRole \(env: ALIBABA_CLOUD_ACCESS_KEY_ID not set; cli_profile: ~\/\.aliyun\/config\.json is not JSON; profile: no ~\/\.alibabacloud\/credentials; ecs_ram_role: no ECS RAM role \(the metadata service names none\); credential_uri: the credentials URI answered without a SecurityToken /,
    )
    for (const secret of [cliSecret, uriSecret]) {
      t.notMatch(message, secret.slice(0, 10), 'no secret, not even in part')
    }
    t.notMatch(message, join(String(process.env.HOME), '.aliyun'), 'no file path')
  },
)

t.test(
  'a refresh the metadata service cannot answer is logged once; the last credentials serve meanwhile',
  async (t) => {
    isolateAlibabaCloudEnv(t)
    const lines: Record<string, unknown>[] = []
    const capture = pino(
      { level: 'debug' },
      { write: (line: string) => lines.push(JSON.parse(line)) },
    )
    const book = createCredentialBook()
    // Credentials that expire within 15 minutes are refreshed on every use.
    const metadata = await startFakeMetadata({ book, role: 'WorkerRole', ttlMs: 60_000 })
    const source = createCredentialSource({
      config: { ramRole: 'WorkerRole' },
      logger: capture,
      metadataUrl: metadata.url,
    })
    const first = await source.get()
    await metadata.close()
    t.same(await source.get(), first, 'the package keeps the last credentials while they last')
    await source.get()
    const errors = lines.filter((l) => l.level === 50)
    t.equal(errors.length, 1, 'logged once')
    t.match(errors[0], {
      source: 'ecs_ram_role',
      msg: /could not get Alibaba Cloud credentials from ecs_ram_role/,
    })
    t.notMatch(JSON.stringify(lines), first.accessKeySecret, 'no secret logged')
  },
)
