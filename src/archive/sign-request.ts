/**
 * Log Service request signature, version 1 (`shared/reference/sls.md`, "Signature (V1)").
 */
import { createHmac } from 'node:crypto'

/** What the signature covers. Header names may be in any case. */
export interface SignableRequest {
  method: string
  /** The path, e.g. `/logstores/k8s-logstore/shards/lb`. */
  path: string
  query?: Readonly<Record<string, string>>
  headers: Readonly<Record<string, string>>
}

/**
 * The string Log Service signs, built by the rules:
 * 1. VERB, Content-MD5, Content-Type and Date, each followed by "\n" ('' when absent);
 * 2. every `x-log-*` and `x-acs-*` header, name lower-cased, value trimmed, sorted by name,
 *    each as `name:value\n`;
 * 3. the path, plus `?` and the query's `k=v` pairs sorted by key and joined by `&` when there
 *    is a query (values not URL-encoded).
 */
export function toStringToSign(request: SignableRequest): string {
  const headers = new Map<string, string>()
  for (const [name, value] of Object.entries(request.headers)) {
    headers.set(name.toLowerCase(), value.trim())
  }
  const canonicalHeaders = [...headers]
    .filter(([name]) => name.startsWith('x-log-') || name.startsWith('x-acs-'))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => `${name}:${value}\n`)
    .join('')
  const query = Object.entries(request.query ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&')
  return [
    request.method.toUpperCase(),
    headers.get('content-md5') ?? '',
    headers.get('content-type') ?? '',
    headers.get('date') ?? '',
    canonicalHeaders + request.path + (query === '' ? '' : `?${query}`),
  ].join('\n')
}

/** `base64(HMAC-SHA1(accessKeySecret, stringToSign))`: the part after `LOG {accessKeyId}:`. */
export function signRequest(request: SignableRequest, accessKeySecret: string): string {
  return createHmac('sha1', accessKeySecret).update(toStringToSign(request)).digest('base64')
}
