/**
 * The `dingtalk-stream` SDK's DWClient, adjusted to how kubeding runs it:
 * - the gateway is asked with the injected `fetch` at a configurable URL (the SDK hard-codes
 *   `api.dingtalk.com` and calls it with axios), so tests can use a fake gateway;
 * - `connect()` throws when it fails (the SDK swallows the error) and never reconnects on its own:
 *   the Stream receiver owns reconnecting, with backoff (the SDK retries every second, forever,
 *   and can start two loops at once when a socket errors);
 * - it subscribes only to robot messages, with its own subscription list (the SDK's default
 *   list is one array shared by every client, and subscribes to every event).
 */
import { DWClient, GATEWAY_URL } from 'dingtalk-stream'

export interface StreamClientOptions {
  clientId: string
  clientSecret: string
  /** Default: DingTalk's `https://api.dingtalk.com/v1.0/gateway/connections/open`. */
  gatewayUrl?: string
  fetch: typeof fetch
}

/** A DWClient whose gateway call and reconnecting are kubeding's. */
class GatewayClient extends DWClient {
  readonly #gatewayUrl: string
  readonly #fetch: typeof fetch

  constructor(options: StreamClientOptions) {
    super({ clientId: options.clientId, clientSecret: options.clientSecret, keepAlive: false })
    this.config.autoReconnect = false
    this.config.subscriptions = []
    this.#gatewayUrl = options.gatewayUrl ?? GATEWAY_URL
    this.#fetch = options.fetch
  }

  /** Opens a connection ticket at the gateway; the SDK's `_connect` then dials the endpoint. */
  override async getEndpoint(): Promise<this> {
    const response = await this.#fetch(this.#gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({
        clientId: this.config.clientId,
        clientSecret: this.config.clientSecret,
        ua: 'kubeding',
        subscriptions: this.config.subscriptions,
      }),
      signal: AbortSignal.timeout(10_000),
    })
    if (!response.ok) {
      throw new Error(
        `the Stream gateway answered HTTP ${response.status}: check dingtalk.outgoing.stream.clientId and clientSecret`,
      )
    }
    const body = (await response.json()) as { endpoint?: unknown; ticket?: unknown }
    if (typeof body.endpoint !== 'string' || typeof body.ticket !== 'string') {
      throw new Error('the Stream gateway gave no endpoint or ticket')
    }
    // `dw_url` is the field the SDK's `_connect` dials; it is private only in the type declarations.
    ;(this as unknown as { dw_url: string }).dw_url =
      `${body.endpoint}?ticket=${encodeURIComponent(body.ticket)}`
    return this
  }

  /** Gateway, then socket; rejects when either fails. */
  override async connect(): Promise<void> {
    await this.getEndpoint()
    await this._connect()
  }
}

/** Creates the client; `createStreamReceiver` connects it and keeps it connected. */
export function createStreamClient(options: StreamClientOptions): DWClient {
  return new GatewayClient(options)
}
