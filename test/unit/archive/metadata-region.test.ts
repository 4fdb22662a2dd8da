/**
 * The endpoint from the metadata service's region: the internal endpoint of a well-formed
 * region, a token when the service gives one, and a clear error (never a host built from a
 * hostile answer) otherwise.
 */
import t from 'tap'
import { readRegionEndpoint } from '../../../src/archive/metadata-region.ts'
import { createCredentialBook, startFakeMetadata } from '../../helpers/fake-alibaba-cloud.ts'

t.test('the region of the fake metadata service gives its internal endpoint', async (t) => {
  const metadata = await startFakeMetadata({
    book: createCredentialBook(),
    region: 'ap-southeast-1',
  })
  t.teardown(() => metadata.close())
  t.equal(await readRegionEndpoint(metadata.url, fetch), 'ap-southeast-1-intranet.log.aliyuncs.com')
  t.same(metadata.requests, ['PUT /latest/api/token', 'GET /latest/meta-data/region-id'])
})

t.test('without a token service the read goes without one (IMDSv1)', async (t) => {
  const seen: { url: string; token: string | null }[] = []
  const v1: typeof fetch = async (input, init) => {
    const url = String(input)
    seen.push({ url, token: new Headers(init?.headers).get('x-aliyun-ecs-metadata-token') })
    if (url.endsWith('/latest/api/token')) return new Response('', { status: 404 })
    return new Response('cn-beijing\n')
  }
  t.equal(
    await readRegionEndpoint('http://169.254.0.1/', v1),
    'cn-beijing-intranet.log.aliyuncs.com',
  )
  t.same(seen.at(-1), { url: 'http://169.254.0.1/latest/meta-data/region-id', token: null })
})

t.test('an answer that is no region id is refused, not used as a host', async (t) => {
  for (const body of [
    'evil.example.com/x',
    'cn-hangzhou.attacker.net',
    '',
    'CN-HANGZHOU',
    'x'.repeat(300),
  ]) {
    const hostile: typeof fetch = async () => new Response(body)
    await t.rejects(
      readRegionEndpoint('http://meta', hostile),
      /archive\.sls\.endpoint is not set.*without a region id/,
      JSON.stringify(body.slice(0, 30)),
    )
  }
  const refused: typeof fetch = async () => new Response('forbidden', { status: 403 })
  await t.rejects(readRegionEndpoint('http://meta', refused), /HTTP 403/)
})

t.test(
  'no metadata service (not on Alibaba Cloud): the error says to set the endpoint',
  async (t) => {
    const offline: typeof fetch = async () => {
      throw new TypeError('fetch failed')
    }
    await t.rejects(
      readRegionEndpoint('http://meta', offline),
      /cannot be reached.*set archive\.sls\.endpoint/,
    )
  },
)
