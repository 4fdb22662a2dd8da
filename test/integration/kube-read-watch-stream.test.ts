/** The watch stream reader against raw HTTP servers that misbehave in ways the fake does not. */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { KubeConfig } from '@kubernetes/client-node'
import t, { type Test } from 'tap'
import { KubeApiError } from '../../src/kube/kube-api-error.ts'
import { WatchIdleError } from '../../src/kube/kube-request.ts'
import { readWatchStream, type WatchLine } from '../../src/kube/read-watch-stream.ts'

async function rawServer(
  t: Test,
  handler: http.RequestListener,
): Promise<{ url: string; paths: string[] }> {
  const paths: string[] = []
  const server = http.createServer((req, res) => {
    paths.push(req.url ?? '')
    handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => {
    server.closeAllConnections()
    server.close()
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, paths }
}

function kubeConfig(server: string): KubeConfig {
  const kc = new KubeConfig()
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'tok' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  })
  return kc
}

function read(server: string, opts: { idleTimeoutMs?: number; signal?: AbortSignal } = {}) {
  const lines: WatchLine[] = []
  const garbage: string[] = []
  let connected = false
  const done = readWatchStream({
    kc: kubeConfig(server),
    path: '/api/v1/events',
    query: { resourceVersion: '7' },
    signal: opts.signal ?? new AbortController().signal,
    idleTimeoutMs: opts.idleTimeoutMs ?? 5000,
    onConnected: () => {
      connected = true
    },
    onLine: (l) => lines.push(l),
    onGarbage: (g) => garbage.push(g),
  })
  return { done, lines, garbage, isConnected: () => connected }
}

t.test(
  'lines split across chunks, CRLF, blank lines, a last line without newline; JSON that is not an event is garbage',
  async (t) => {
    const s = await rawServer(t, (_req, res) => {
      res.writeHead(200)
      res.write('{"type":"ADDED","obj')
      res.write('ect":{"a":1}}\r\n\n')
      res.write('42\n{"no":"type"}\n')
      res.end('{"type":"MODIFIED","object":{"a":2}}')
    })
    const r = read(`${s.url}/`)
    await r.done
    t.ok(r.isConnected())
    t.same(r.lines, [
      { type: 'ADDED', object: { a: 1 } },
      { type: 'MODIFIED', object: { a: 2 } },
    ])
    t.same(r.garbage, ['42', '{"no":"type"}'])
    t.equal(
      s.paths[0],
      '/api/v1/events?watch=1&resourceVersion=7',
      'a trailing slash in the server address is dropped',
    )
  },
)

t.test('a line spread over three reads, and reads that start or end at a newline', async (t) => {
  const pause = () => new Promise((r) => setTimeout(r, 30))
  const s = await rawServer(t, async (_req, res) => {
    res.writeHead(200)
    res.write('{"type":"ADDED","object":{"a":1}}\n{"type":"ADD')
    await pause()
    res.write('ED","obj')
    await pause()
    res.write('ect":{"a":2}}\n\n{"type":"DELETED","object":{"a":3}}\n')
    await pause()
    res.write('\n{"type":"MODIFIED","object":{"a":4}}')
    await pause()
    res.end('\n')
  })
  const r = read(s.url)
  await r.done
  t.same(
    r.lines.map((l) => [l.type, (l.object as { a: number }).a]),
    [
      ['ADDED', 1],
      ['ADDED', 2],
      ['DELETED', 3],
      ['MODIFIED', 4],
    ],
  )
  t.same(r.garbage, [])
})

t.test('a character split between two reads is read whole', async (t) => {
  const bytes = Buffer.from('{"type":"ADDED","object":{"message":"节点内存不足"}}\n')
  const cut = bytes.indexOf(Buffer.from('内')) + 1
  const s = await rawServer(t, async (_req, res) => {
    res.writeHead(200)
    res.write(bytes.subarray(0, cut))
    await new Promise((r) => setTimeout(r, 30))
    res.end(bytes.subarray(cut))
  })
  const r = read(s.url)
  await r.done
  t.same(r.lines, [{ type: 'ADDED', object: { message: '节点内存不足' } }])
})

t.test('a last line without newline that is not JSON is garbage too', async (t) => {
  const s = await rawServer(t, (_req, res) => {
    res.writeHead(200)
    res.end('{"type":"ADDED","object":{}}\n<truncated')
  })
  const r = read(s.url)
  await r.done
  t.equal(r.lines.length, 1)
  t.same(r.garbage, ['<truncated'])
})

t.test('a path prefix in the server address is kept', async (t) => {
  const s = await rawServer(t, (_req, res) => res.end())
  await read(`${s.url}/k8s/clusters/c-1`).done
  t.match(s.paths[0], /^\/k8s\/clusters\/c-1\/api\/v1\/events\?/)
})

t.test(
  'an error answer becomes a KubeApiError, with the Status message or the HTTP reason',
  async (t) => {
    const s = await rawServer(t, (req, res) => {
      if (req.url?.includes('status')) {
        res.writeHead(403, { 'content-type': 'application/json' })
        res.end(
          JSON.stringify({
            kind: 'Status',
            code: 403,
            reason: 'Forbidden',
            message: 'cannot watch events',
          }),
        )
      } else {
        res.writeHead(502)
        res.end('<html>bad gateway</html>')
      }
    })
    const err = await read(`${s.url}/status`).done.catch((e: unknown) => e)
    t.ok(err instanceof KubeApiError)
    t.match(err, { status: 403, reason: 'Forbidden', message: 'cannot watch events' })
    const r = read(s.url)
    t.match(await r.done.catch((e: unknown) => e), {
      status: 502,
      reason: '',
      message: 'Bad Gateway',
    })
    t.notOk(r.isConnected())
  },
)

t.test('silence before or after the headers is a dead connection', async (t) => {
  const silent = await rawServer(t, () => {})
  t.ok(
    (await read(silent.url, { idleTimeoutMs: 100 }).done.catch((e: unknown) => e)) instanceof
      WatchIdleError,
  )
  const stalled = await rawServer(t, (_req, res) => {
    res.writeHead(200)
    res.write('{"type":"BOOKMARK","object":{}}\n')
  })
  const r = read(stalled.url, { idleTimeoutMs: 150 })
  const err = await r.done.catch((e: unknown) => e)
  t.match(err, { code: 'WATCH_IDLE', message: /no data from the API server/ })
  t.equal(r.lines.length, 1)
})

t.test('a line over 16 MiB is refused instead of growing without end', async (t) => {
  const s = await rawServer(t, (_req, res) => {
    res.writeHead(200)
    const chunk = 'x'.repeat(1024 * 1024)
    for (let i = 0; i < 17; i++) res.write(chunk)
    res.end()
  })
  t.match(await read(s.url).done.catch((e: unknown) => e), { message: /exceeded 16 MiB/ })
})

t.test('abort ends the request at once', async (t) => {
  let closed = false
  const s = await rawServer(t, (_req, res) => {
    res.writeHead(200)
    res.flushHeaders()
    res.on('close', () => {
      closed = true
    })
  })
  const abort = new AbortController()
  const r = read(s.url, { signal: abort.signal })
  while (!r.isConnected()) await new Promise((resolve) => setTimeout(resolve, 5))
  abort.abort()
  t.match(await r.done.catch((e: unknown) => e), { name: 'AbortError' })
  while (!closed) await new Promise((resolve) => setTimeout(resolve, 5))
  t.ok(closed, 'the server saw the connection close')
})

t.test('a KubeConfig without a current cluster is refused before any request', async (t) => {
  const kc = new KubeConfig()
  const err = await readWatchStream({
    kc,
    path: '/api/v1/events',
    query: {},
    signal: new AbortController().signal,
    idleTimeoutMs: 1000,
    onConnected: () => {},
    onLine: () => {},
    onGarbage: () => {},
  }).catch((e: unknown) => e)
  t.match(err, { message: /no current cluster/ })
})
