import t from 'tap'
import {
  describeKubeError,
  KubeApiError,
  statusOf,
  toStatus,
} from '../../../src/kube/kube-api-error.ts'
import { WatchIdleError } from '../../../src/kube/kube-request.ts'

const status = (code: number, message: string, reason = 'X') =>
  JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message })

t.test('toStatus reads a Status object or its JSON, and nothing else', async (t) => {
  t.same(toStatus(status(410, 'too old', 'Expired')), {
    code: 410,
    reason: 'Expired',
    message: 'too old',
  })
  t.same(toStatus({ kind: 'Status' }), { reason: '', message: '' })
  t.equal(toStatus('<html>'), undefined)
  t.equal(toStatus({ kind: 'Event' }), undefined)
  t.equal(toStatus(undefined), undefined)
})

t.test('statusOf: a KubeApiError has one, a socket error or a DOMException none', async (t) => {
  t.equal(statusOf(new KubeApiError(403, 'Forbidden', 'no')), 403)
  t.equal(statusOf(new DOMException('timed out', 'TimeoutError')), undefined)
  t.equal(statusOf(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), undefined)
})

t.test('HTTP answers: the Status message is kept, the hint says what to do', async (t) => {
  const forbidden = new KubeApiError(
    403,
    'Forbidden',
    'events is forbidden: User "sa" cannot list resource "events"',
  )
  const d = describeKubeError(forbidden, 'events in namespace prod')
  t.same(d, {
    status: 403,
    code: undefined,
    message: 'HTTP 403: events is forbidden: User "sa" cannot list resource "events"',
    hint: "not allowed: grant get, list and watch on events in namespace prod to kubeding's service account (RBAC)",
  })
  t.match(describeKubeError(new KubeApiError(401, 'Unauthorized', ''), 'nodes'), {
    message: 'HTTP 401',
    hint: /rejected the credentials/,
  })
  t.match(describeKubeError(new KubeApiError(410, 'Expired', 'too old'), 'nodes'), {
    message: 'HTTP 410: too old',
    hint: /listing again/,
  })
  t.match(describeKubeError(new KubeApiError(404, '', 'gone'), 'nodes').hint, /server address/)
  t.match(describeKubeError(new KubeApiError(429, '', 'slow down'), 'nodes').hint, /busy/)
  t.match(describeKubeError(new KubeApiError(503, '', 'x'), 'nodes').hint, /busy or failing/)
  t.match(describeKubeError(new KubeApiError(418, '', 'x'), 'nodes').hint, /unexpected answer/)
})

t.test('socket and TLS failures, also wrapped in fetch failed', async (t) => {
  const refused = new TypeError('fetch failed', {
    cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }),
  })
  t.same(describeKubeError(refused, 'nodes'), {
    status: undefined,
    code: 'ECONNREFUSED',
    message: 'fetch failed: connect ECONNREFUSED 127.0.0.1:1',
    hint: 'cannot reach the API server: check the kubeconfig server address and the network',
  })
  const tls = Object.assign(new Error('self-signed certificate'), {
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
  })
  t.match(describeKubeError(tls, 'nodes'), {
    code: 'DEPTH_ZERO_SELF_SIGNED_CERT',
    hint: /certificate-authority/,
  })
  const reset = Object.assign(new Error('aborted'), { code: 'ECONNRESET' })
  t.match(describeKubeError(reset, 'nodes').hint, /connection to the API server failed/)
  t.match(describeKubeError('weird', 'nodes'), { message: 'weird', hint: /unexpected/ })
})

t.test('timeouts: an abandoned list page and a silent watch', async (t) => {
  const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError')
  t.equal(statusOf(timeout), undefined, 'a DOMException code is not an HTTP status')
  t.match(describeKubeError(timeout, 'nodes'), {
    status: undefined,
    code: 'TIMEOUT',
    hint: /did not answer in time/,
  })
  t.match(describeKubeError(new WatchIdleError(330_000), 'nodes'), {
    code: 'WATCH_IDLE',
    message: 'no data from the API server for 330 s',
    hint: /did not answer in time/,
  })
})
