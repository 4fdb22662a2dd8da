/**
 * Keeps robot credentials out of logs and errors: the access_token, the 加签 secret and the
 * per-request signature never appear in text kubeding writes.
 */

const MASK = '***'
const SENSITIVE_PARAMS = ['access_token', 'sign', 'timestamp']

/**
 * A URL fit to print: user and password dropped, and the value of every query parameter that
 * `isSecret` names replaced by `mask`; the rest keeps its order and encoding. Text that is not a
 * URL is masked whole.
 */
export function maskUrl(text: string, mask: string, isSecret: (param: string) => boolean): string {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return mask
  }
  const query = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '')
    .map((pair) => {
      const name = pair.split('=')[0] ?? ''
      return isSecret(name) ? `${name}=${mask}` : pair
    })
  return `${url.origin}${url.pathname}${query.length > 0 ? `?${query.join('&')}` : ''}`
}

/**
 * The webhook with its credentials masked, for logs:
 * `https://oapi.dingtalk.com/robot/send?access_token=***`. Text that is not a URL is masked whole.
 */
export function maskWebhook(webhook: string): string {
  return maskUrl(webhook, MASK, (name) => SENSITIVE_PARAMS.includes(name))
}

/** The secrets of a robot that must never be written anywhere: its token and its secret. */
export function robotSecrets(webhook: string, secret: string | undefined): string[] {
  const secrets: string[] = []
  try {
    const token = new URL(webhook).searchParams.get('access_token')
    if (token) secrets.push(token, encodeURIComponent(token))
  } catch {
    // An unparsable webhook is masked whole by maskWebhook; nothing to pick out here.
  }
  if (secret) secrets.push(secret, encodeURIComponent(secret))
  return secrets
}

/** `text` with every occurrence of each secret replaced by `***`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join(MASK)
  }
  return out
}
