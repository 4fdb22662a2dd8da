/**
 * Whether the API server says it is ready (`GET /readyz` answered 200, an endpoint every
 * identity may read). The list+watch loop asks it while the server does not answer at all, so
 * that the watch comes back as soon as the server does rather than at the end of a backoff
 * that grew during the outage.
 */
import http from 'node:http'
import https from 'node:https'
import type { KubeConfig } from '@kubernetes/client-node'
import { toApiUrl } from './read-watch-stream.ts'

/** Never throws: anything but a 200 (no answer, an error, the abort) is "not ready". */
export async function isApiServerReady(kc: KubeConfig, signal: AbortSignal): Promise<boolean> {
  try {
    const url = toApiUrl(kc, '/readyz')
    const options: https.RequestOptions = {}
    await kc.applyToHTTPSOptions(options)
    return await new Promise<boolean>((resolve) => {
      const request = (url.protocol === 'http:' ? http : https).request(url, {
        ...options,
        method: 'GET',
        signal,
      })
      request.once('response', (response) => {
        response.resume()
        resolve(response.statusCode === 200)
      })
      request.once('error', () => resolve(false))
      request.end()
    })
  } catch {
    return false
  }
}
