/**
 * The credential source: the configured key pair as it is, else the chain, whose failure names
 * every way to give credentials; the metadata service is always the injected one.
 */
import pino from 'pino'
import t from 'tap'
import { createCredentialSource } from '../../../src/archive/sls-credentials.ts'
import {
  createCredentialBook,
  isolateAlibabaCloudEnv,
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
