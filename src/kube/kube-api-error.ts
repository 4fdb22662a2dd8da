/**
 * What went wrong talking to the API server, in words an operator can act on. Every failure of a
 * list or a watch goes through `describeKubeError`, so log lines are alike whatever the source
 * (an HTTP answer, a watch ERROR line, a socket error) and never carry a request header, hence
 * never a token.
 */

/** The API server answered a request with an HTTP error, or a watch sent an `ERROR` Status. */
export class KubeApiError extends Error {
  /** HTTP status (or the Status object's `code`). */
  readonly status: number
  /** The Status object's `reason`, e.g. `Forbidden`, `Expired`; '' when the body had none. */
  readonly reason: string
  constructor(status: number, reason: string, message: string) {
    super(message)
    this.name = 'KubeApiError'
    this.status = status
    this.reason = reason
  }
}

/** A failure reduced to what the logs and `status` show. */
export interface KubeErrorDescription {
  /** HTTP status when the API server answered, else undefined. */
  status: number | undefined
  /** Socket or TLS error code (`ECONNREFUSED`, `CERT_HAS_EXPIRED`, ...) when it did not. */
  code: string | undefined
  /** One line: what happened. */
  message: string
  /** One line: what to check or fix. */
  hint: string
}

type Raw = Record<string, unknown>
const isRecord = (v: unknown): v is Raw => typeof v === 'object' && v !== null

/** Reads a Kubernetes `Status` (as object or JSON text); undefined when it is not one. */
export function toStatus(
  body: unknown,
): { code?: number; reason: string; message: string } | undefined {
  let value = body
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body)
    } catch {
      return undefined
    }
  }
  if (!isRecord(value) || value.kind !== 'Status') return undefined
  return {
    ...(typeof value.code === 'number' ? { code: value.code } : {}),
    reason: typeof value.reason === 'string' ? value.reason : '',
    message: typeof value.message === 'string' ? value.message : '',
  }
}

/** The HTTP status of an error, when the API server answered (not any numeric `code`: a DOMException has one too). */
export function statusOf(err: unknown): number | undefined {
  return err instanceof KubeApiError ? err.status : undefined
}

/** A socket-level code, looking through undici's `fetch failed` wrapper (`cause`). */
function socketCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string') return e.code
  }
  return undefined
}

function hintForStatus(status: number, what: string): string {
  if (status === 401)
    return 'the API server rejected the credentials: check the kubeconfig user (token, client certificate) or the service account token'
  if (status === 403)
    return `not allowed: grant get, list and watch on ${what} to kubeding's service account (RBAC)`
  if (status === 404) return 'the path does not exist: check the kubeconfig server address'
  if (status === 410) return 'the resourceVersion is too old: listing again'
  if (status === 429 || status >= 500) return 'the API server is busy or failing: retrying'
  return 'unexpected answer from the API server: retrying'
}

function hintForCode(code: string): string {
  if (code === 'TIMEOUT' || code === 'WATCH_IDLE')
    return 'the API server did not answer in time: check its health and the network; retrying'
  if (/^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT)$/.test(code))
    return 'cannot reach the API server: check the kubeconfig server address and the network'
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|EPROTO/.test(code))
    return "TLS verification failed: check the cluster's certificate-authority in the kubeconfig"
  return 'the connection to the API server failed: retrying'
}

/** Describes any error met while listing or watching `what` (e.g. `events in namespace prod`). */
export function describeKubeError(err: unknown, what: string): KubeErrorDescription {
  const status = statusOf(err)
  if (status !== undefined) {
    const text = err instanceof KubeApiError ? err.message : ''
    return {
      status,
      code: undefined,
      message: `HTTP ${status}${text ? `: ${text}` : ''}`,
      hint: hintForStatus(status, what),
    }
  }
  // AbortSignal.timeout() on a list page rejects with a DOMException named TimeoutError.
  const code = isRecord(err) && err.name === 'TimeoutError' ? 'TIMEOUT' : socketCode(err)
  const message = err instanceof Error ? err.message : String(err)
  const cause = isRecord(err) && err.cause instanceof Error ? `: ${err.cause.message}` : ''
  return {
    status: undefined,
    code,
    message: `${message}${cause}`,
    hint: code ? hintForCode(code) : 'unexpected error: retrying',
  }
}
