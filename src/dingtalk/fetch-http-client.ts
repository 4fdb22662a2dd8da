/**
 * The HTTP client of every post to DingTalk (robot webhooks through dingtalk-robot-sender, which
 * takes it as its `httpclient`, and sessionWebhooks), built on Node's global fetch, so axios (the
 * library's default) never runs. It resolves for every HTTP status (DingTalk's verdict is in the
 * body) and never follows a redirect: a 3xx is an answer like any other.
 */
import type { ChatBotHttpClient, ChatBotRequest } from 'dingtalk-robot-sender'

/** An HTTP answer: status and raw body text. */
export interface HttpAnswer {
  status: number
  body: string
}

/** No HTTP answer at all: refused, reset, timed out, aborted. The message never holds the URL. */
export class TransportError extends Error {
  override readonly name = 'TransportError'
  /** Stable code: `timeout`, `aborted`, or the socket error (`ECONNREFUSED`, ...). */
  readonly code: string
  constructor(code: string, message: string) {
    super(message)
    this.code = code
  }
}

export interface FetchHttpClientOptions {
  fetch?: typeof globalThis.fetch | undefined
  /** Gives up on a request after this long. */
  timeoutMs: number
  /** Aborts the request early (shutdown). */
  signal?: AbortSignal | undefined
}

/** Creates the adapter; `request(url, {method, headers, data})` is what the library calls. */
export function createFetchHttpClient(
  options: FetchHttpClientOptions,
): ChatBotHttpClient<HttpAnswer> {
  const doFetch = options.fetch ?? globalThis.fetch
  return {
    async request(url: string, init: ChatBotRequest): Promise<HttpAnswer> {
      const timeout = AbortSignal.timeout(options.timeoutMs)
      const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout
      try {
        // The URL is passed as the string the library built: re-serialising it (URL,
        // URLSearchParams) would encode the already URL-encoded signature a second time.
        const response = await doFetch(url, {
          method: init.method,
          headers: init.headers,
          body: init.data,
          // A redirect would send the message, and its credentials, wherever the answer points.
          redirect: 'manual',
          signal,
        })
        return { status: response.status, body: await response.text() }
      } catch (err) {
        if (timeout.aborted) {
          throw new TransportError('timeout', `no answer within ${options.timeoutMs} ms`)
        }
        if (options.signal?.aborted) throw new TransportError('aborted', 'request aborted')
        const code = socketCode(err)
        throw new TransportError(code, `network error (${code})`)
      }
    },
  }
}

/** The socket error code undici keeps in `cause`; never the error's message, which may hold the URL. */
function socketCode(err: unknown): string {
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause
  if (typeof cause?.code === 'string') return cause.code
  const code = (err as { code?: unknown } | undefined)?.code
  return typeof code === 'string' ? code : 'unknown'
}
