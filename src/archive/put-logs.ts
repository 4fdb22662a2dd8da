/**
 * One PutLogs call (`POST /logstores/{logstore}/shards/lb`): compress, sign, send, and turn the
 * answer into a typed outcome. Batching and retry are the caller's (create-sls-archive.ts).
 */
import { createHash } from 'node:crypto'
import { promisify } from 'node:util'
import { deflate } from 'node:zlib'
import type { SlsConfig } from '../config/schema.ts'
import { redact } from '../dingtalk/mask-webhook.ts'
import {
  classifyNetworkError,
  classifySlsError,
  type SlsErrorAction,
} from './classify-sls-error.ts'
import { signRequest } from './sign-request.ts'
import type { SlsCredentials } from './sls-credentials.ts'

export type PutLogsOutcome =
  | { ok: true; bytesSent: number }
  | {
      ok: false
      action: SlsErrorAction
      /** Log Service's errorCode, or `NetworkError`. */
      errorCode: string
      errorMessage: string
      hint: string
      status?: number
      requestId?: string
      bytesSent: number
    }

export interface PutLogsRequest {
  config: Pick<SlsConfig, 'project' | 'logstore'>
  /** `archive.sls.endpoint`, or the one the metadata service's region gave. */
  endpoint: string
  credentials: SlsCredentials
  /** The encoded LogGroup, before compression. */
  logGroup: Uint8Array
  fetch: typeof fetch
  now: () => number
  signal?: AbortSignal
}

const deflateAsync = promisify(deflate)

/** Longest error message kept from an answer; Log Service's are short, a proxy's page is not. */
const MAX_MESSAGE = 300

/**
 * `https://{project}.{endpoint}`. The endpoint may carry its own scheme
 * (`http://cn-hangzhou-intranet.log.aliyuncs.com`, as in kube-eventer's sink URI).
 */
export function toProjectOrigin(endpoint: string, project: string): string {
  const match = /^(https?):\/\/(.*)$/i.exec(endpoint.trim())
  const scheme = match?.[1]?.toLowerCase() ?? 'https'
  const host = (match?.[2] ?? endpoint.trim()).replace(/\/+$/, '')
  return `${scheme}://${project}.${host}`
}

/** Sends one LogGroup, deflate-compressed (zlib format, as the official SDKs send it). */
export async function putLogs(request: PutLogsRequest): Promise<PutLogsOutcome> {
  const { config, credentials } = request
  // Compressed on libuv's pool, so a 512 KiB batch does not stall the watch or the HTTP side.
  const body = await deflateAsync(request.logGroup)
  const path = `/logstores/${encodeURIComponent(config.logstore)}/shards/lb`
  const headers: Record<string, string> = {
    'content-type': 'application/x-protobuf',
    'content-md5': createHash('md5').update(body).digest('hex').toUpperCase(),
    date: new Date(request.now()).toUTCString(),
    'x-log-apiversion': '0.6.0',
    'x-log-bodyrawsize': String(request.logGroup.length),
    'x-log-compresstype': 'deflate',
    'x-log-signaturemethod': 'hmac-sha1',
  }
  // STS credentials: the token is an x-acs-* header, so the signature covers it.
  if (credentials.securityToken) headers['x-acs-security-token'] = credentials.securityToken
  const signature = signRequest({ method: 'POST', path, headers }, credentials.accessKeySecret)
  headers.authorization = `LOG ${credentials.accessKeyId}:${signature}`
  // An answer may quote what it was sent (the key id, the signature): none of it reaches a log.
  const secrets = [
    credentials.accessKeyId,
    credentials.accessKeySecret,
    credentials.securityToken ?? '',
    signature,
  ]
  const origin = toProjectOrigin(request.endpoint, config.project)
  let response: Response
  try {
    response = await request.fetch(origin + path, {
      method: 'POST',
      headers,
      body,
      ...(request.signal ? { signal: request.signal } : {}),
    })
  } catch (err) {
    return {
      ok: false,
      ...classifyNetworkError(origin),
      errorCode: 'NetworkError',
      errorMessage: redact(describeNetworkError(err), secrets),
      bytesSent: 0,
    }
  }
  const text = await response.text().catch(() => '')
  if (response.status === 200) return { ok: true, bytesSent: body.length }
  const { errorCode, errorMessage } = parseError(response.status, redact(text, secrets))
  const requestId = response.headers.get('x-log-requestid')
  return {
    ok: false,
    ...classifySlsError(response.status, errorCode, credentials.securityToken !== undefined),
    errorCode: errorCode.slice(0, 100),
    errorMessage,
    status: response.status,
    ...(requestId ? { requestId } : {}),
    bytesSent: body.length,
  }
}

function parseError(status: number, text: string): { errorCode: string; errorMessage: string } {
  try {
    const json = JSON.parse(text) as { errorCode?: unknown; errorMessage?: unknown }
    if (typeof json.errorCode === 'string') {
      return {
        errorCode: json.errorCode,
        errorMessage: String(json.errorMessage ?? '').slice(0, MAX_MESSAGE),
      }
    }
  } catch {
    // Not Log Service's JSON (a proxy or load balancer answered): keep the text.
  }
  return { errorCode: `HTTP${status}`, errorMessage: text.slice(0, MAX_MESSAGE) }
}

/** fetch hides the socket error in `cause`; that is the part that tells the operator something. */
function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : ''
  return `${err.message}${cause}`.slice(0, MAX_MESSAGE)
}
