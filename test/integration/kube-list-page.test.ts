/** One list page over raw HTTP: what the API server sends, what it refuses, and what it must not. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import t, { type Test } from 'tap'
import { KubeApiError } from '../../src/kube/kube-api-error.ts'
import { listPageOf } from '../../src/kube/list-page.ts'

async function rawServer(t: Test, handler: http.RequestListener) {
  const requests: http.IncomingMessage[] = []
  const server = http.createServer((req, res) => {
    requests.push(req)
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [
      {
        name: 'c',
        server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        skipTLSVerify: true,
      },
    ],
    users: [{ name: 'u', token: 'tok' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  })
  return { kc, requests }
}

const page = (continueToken?: string) => ({
  limit: 2,
  continueToken,
  signal: new AbortController().signal,
})

t.test('a page: plain JSON items, its resourceVersion and continue token', async (t) => {
  const items = [{ metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' } }]
  const { kc, requests } = await rawServer(t, (_req, res) => {
    res.end(
      JSON.stringify({
        kind: 'EventList',
        metadata: { resourceVersion: '9', continue: 'next' },
        items,
      }),
    )
  })
  const list = listPageOf(kc, '/api/v1/events')
  t.same(await list(page()), { items, resourceVersion: '9', continueToken: 'next' })
  await list(page('next'))
  t.same(
    requests.map((r) => r.url),
    ['/api/v1/events?limit=2', '/api/v1/events?limit=2&continue=next'],
  )
  t.equal(requests[0]?.headers.authorization, 'Bearer tok', 'the kubeconfig user authenticates it')
})

t.test('the last page has no continue token; null items are an empty page', async (t) => {
  const { kc } = await rawServer(t, (_req, res) => {
    res.end(
      JSON.stringify({
        kind: 'NodeList',
        metadata: { resourceVersion: '3', continue: '' },
        items: null,
      }),
    )
  })
  t.same(await listPageOf(kc, '/api/v1/nodes')(page()), {
    items: [],
    resourceVersion: '3',
    continueToken: undefined,
  })
})

t.test('a refusal keeps the Status message that says which RBAC rule is missing', async (t) => {
  const { kc } = await rawServer(t, (_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        kind: 'Status',
        code: 403,
        reason: 'Forbidden',
        message: 'events is forbidden',
      }),
    )
  })
  const error = await listPageOf(kc, '/api/v1/events')(page()).catch((e: unknown) => e)
  t.ok(error instanceof KubeApiError)
  t.match(error, { status: 403, reason: 'Forbidden', message: 'events is forbidden' })
})

t.test('hostile answers: not a list, not JSON, bigger than the bound', async (t) => {
  const bodies = [
    '{"kind":"Status"}',
    '<html>502</html>',
    JSON.stringify({ items: ['x'.repeat(5_000)] }),
  ]
  let next = 0
  const { kc } = await rawServer(t, (_req, res) => res.end(bodies[next++]))
  const list = listPageOf(kc, '/api/v1/events', 1_000)
  await t.rejects(list(page()), /not a list/)
  await t.rejects(list(page()), SyntaxError)
  await t.rejects(list(page()), /exceeded/)
})

t.test('aborted while the body streams: rejects with the abort reason', async (t) => {
  const { kc } = await rawServer(t, (_req, res) => {
    res.writeHead(200)
    res.write('{"items":[')
  })
  const controller = new AbortController()
  const listing = listPageOf(kc, '/api/v1/events')({ ...page(), signal: controller.signal })
  setTimeout(() => controller.abort(new Error('stopping')), 50)
  await t.rejects(listing, { message: 'stopping' })
})
