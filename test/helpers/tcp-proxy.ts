/**
 * A TCP proxy on 127.0.0.1 in front of a fake server, to cut one client off the way a network
 * partition does: `partition()` leaves every connection open but silent (bytes either way are
 * swallowed, new connections hang) until `heal()`. Nothing is refused, so the client only
 * learns of it through its own timeouts, as with a real partition.
 */
import net from 'node:net'

export interface TcpProxy {
  readonly url: string
  /** From now on nothing passes in either direction, on open or new connections. */
  partition(): void
  /** Traffic passes again; connections cut off meanwhile are closed (their requests are lost). */
  heal(): void
  close(): Promise<void>
}

/** Starts a proxy to `target` (`http://127.0.0.1:port`). Close it with `close()`. */
export async function createTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port } = new URL(target)
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; cut: boolean }>()
  let cut = false
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname)
    const pair = { client, upstream, cut }
    pairs.add(pair)
    client.on('data', (chunk) => {
      if (!pair.cut) upstream.write(chunk)
    })
    upstream.on('data', (chunk) => {
      if (!pair.cut) client.write(chunk)
    })
    const end = () => {
      pairs.delete(pair)
      client.destroy()
      upstream.destroy()
    }
    client.on('close', end)
    upstream.on('close', end)
    client.on('error', end)
    upstream.on('error', end)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as net.AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}`,
    partition() {
      cut = true
      for (const pair of pairs) pair.cut = true
    },
    heal() {
      cut = false
      for (const pair of pairs) {
        if (!pair.cut) continue
        pair.client.destroy()
        pair.upstream.destroy()
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.client.destroy()
        pair.upstream.destroy()
      }
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
