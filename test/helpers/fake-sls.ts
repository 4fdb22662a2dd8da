/**
 * A fake Alibaba Cloud Log Service that speaks PutLogs over HTTP on 127.0.0.1: it checks what the
 * real one checks (project, logstore, Content-MD5, x-log-bodyrawsize, the V1 signature with its
 * key pair), inflates the body, decodes the protobuf LogGroup with its own decoder, and keeps
 * the logs. It can fail on demand (500, WriteQuotaExceed, ...) or go down (refuse connections).
 * Its signature check is written from the spec on purpose, independent of src/archive. With a
 * credential book it also takes the STS key pairs the fake metadata service and fake STS issued,
 * each only with its own `x-acs-security-token` and only until it expires.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { inflateSync } from 'node:zlib'
import type { SlsConfig } from '../../src/config/schema.ts'
import type { CredentialBook } from './fake-alibaba-cloud.ts'

export interface DecodedLog {
  time: number
  timeNs?: number
  contents: Record<string, string>
}

export interface DecodedLogGroup {
  logs: DecodedLog[]
  topic?: string
  source?: string
  tags: Record<string, string>
}

/** A log as the fake received it, with its group's topic. */
export interface ReceivedLog extends DecodedLog {
  topic?: string
}

/** One PutLogs request and how the fake answered it. */
export interface ReceivedRequest {
  status: number
  /** The key id it was signed with, and the STS token it carried. */
  accessKeyId?: string
  securityToken?: string
  errorCode?: string
  logs: number
  bodyBytes: number
  rawBytes: number
}

/** An error answer, as Log Service sends them. */
export interface SlsErrorAnswer {
  status: number
  errorCode: string
  errorMessage?: string
}

export interface FakeSls {
  /** http://127.0.0.1:port */
  readonly url: string
  /** A config that points at this fake with its key pair (pass `fetch` too). */
  readonly config: SlsConfig & { endpoint: string; accessKeyId: string; accessKeySecret: string }
  /** Sends `https://{project}.{endpoint}/...` here; the original host goes in `x-fake-host`. */
  readonly fetch: typeof fetch
  readonly logs: ReceivedLog[]
  readonly requests: ReceivedRequest[]
  /** Answers the next `times` valid requests (default: all until cleared) with `answer`. */
  failWith(answer: SlsErrorAnswer | undefined, times?: number): void
  /** Answers after `ms` (to keep a request in flight). */
  delayAnswers(ms: number): void
  /** Requests received and not answered yet. */
  unanswered(): number
  /** Closes the port: connections are refused until `up()`. */
  down(): Promise<void>
  up(): Promise<void>
  close(): Promise<void>
}

export interface FakeSlsOptions {
  /** STS credentials it takes besides its own key pair. */
  book?: CredentialBook
  endpoint?: string
  project?: string
  logstore?: string
  accessKeyId?: string
  accessKeySecret?: string
}

/** Starts the fake on 127.0.0.1 and a free port. */
export async function startFakeSls(opts: FakeSlsOptions = {}): Promise<FakeSls> {
  const config: FakeSls['config'] = {
    endpoint: opts.endpoint ?? 'cn-hangzhou.log.aliyuncs.com',
    project: opts.project ?? 'k8s-log4j',
    logstore: opts.logstore ?? 'k8s-logstore',
    topic: '',
    accessKeyId: opts.accessKeyId ?? 'LTAI5tFakeKeyId',
    accessKeySecret: opts.accessKeySecret ?? 'fake-secret-Zm9vYmFy',
  }
  const logs: ReceivedLog[] = []
  const requests: ReceivedRequest[] = []
  let failure: { answer: SlsErrorAnswer; times: number } | undefined
  let delayMs = 0
  let unanswered = 0

  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      unanswered++
      const answer = () => {
        unanswered--
        handle(req, res, Buffer.concat(chunks))
      }
      if (delayMs > 0) setTimeout(answer, delayMs)
      else answer()
    })
  })

  function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const record: ReceivedRequest = { status: 200, logs: 0, bodyBytes: body.length, rawBytes: 0 }
    requests.push(record)
    let result = check(req, body, record)
    if ('logs' in result && failure) {
      result = failure.answer
      if (--failure.times <= 0) failure = undefined
    }
    if (!('logs' in result)) {
      const { status, errorCode, errorMessage = errorCode } = result
      record.status = status
      record.errorCode = errorCode
      res.writeHead(status, { 'content-type': 'application/json', 'x-log-requestid': 'fake-req' })
      res.end(JSON.stringify({ errorCode, errorMessage }))
      return
    }
    const { topic } = result
    record.logs = result.logs.length
    for (const log of result.logs) logs.push({ ...log, ...(topic ? { topic } : {}) })
    res.writeHead(200, { 'x-log-requestid': 'fake-req', 'content-length': '0' })
    res.end()
  }

  /** What Log Service checks, in its order; the decoded group when all pass. */
  function check(
    req: IncomingMessage,
    body: Buffer,
    record: ReceivedRequest,
  ): SlsErrorAnswer | DecodedLogGroup {
    const header = (name: string): string => {
      const value = req.headers[name]
      return Array.isArray(value) ? value.join(',') : (value ?? '')
    }
    const refuse = (status: number, errorCode: string, errorMessage: string) => ({
      status,
      errorCode,
      errorMessage,
    })
    const path = (req.url ?? '').split('?')[0] ?? ''
    const match = /^\/logstores\/([^/]+)\/shards\/lb$/.exec(path)
    if (req.method !== 'POST' || !match) {
      return refuse(404, 'NotFound', `no route ${req.method} ${path}`)
    }
    if (header('x-fake-host') !== `${config.project}.${config.endpoint}`) {
      return refuse(404, 'ProjectNotExist', `The Project does not exist : ${header('x-fake-host')}`)
    }
    if (decodeURIComponent(match[1] ?? '') !== config.logstore) {
      return refuse(404, 'LogStoreNotExist', `logstore ${match[1]} does not exist`)
    }
    const required = ['date', 'content-type', 'x-log-bodyrawsize']
    const missing = required.find((name) => header(name) === '')
    if (missing) return refuse(400, 'MissingParameter', `header ${missing} is missing`)
    if (header('x-log-apiversion') !== '0.6.0' || header('x-log-signaturemethod') !== 'hmac-sha1') {
      return refuse(
        400,
        'InvalidParameter',
        'need x-log-apiversion 0.6.0, x-log-signaturemethod hmac-sha1',
      )
    }
    const auth = /^LOG ([^:]+):(.+)$/.exec(header('authorization'))
    const keyId = auth?.[1] ?? ''
    const token = header('x-acs-security-token')
    record.accessKeyId = keyId
    if (token !== '') record.securityToken = token
    const sts = opts.book?.find(keyId)
    if (!auth || (keyId !== config.accessKeyId && !sts)) {
      return refuse(401, 'Unauthorized', `AccessKeyId not found: ${keyId}`)
    }
    if (sts && token !== sts.securityToken) {
      return refuse(401, 'Unauthorized', `The security token you provided is invalid: ${token}`)
    }
    if (sts && opts.book && opts.book.now() >= sts.expiresAt) {
      return refuse(401, 'Unauthorized', 'The security token you provided has expired')
    }
    const secret = sts ? sts.accessKeySecret : config.accessKeySecret
    const expected = Buffer.from(expectedSignature(req.method, path, req.headers, secret))
    const given = Buffer.from(auth[2] ?? '')
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return refuse(401, 'SignatureNotMatch', 'signature not match')
    }
    if (header('content-md5') !== createHash('md5').update(body).digest('hex').toUpperCase()) {
      return refuse(400, 'InvalidContentMD5', 'Content-MD5 does not match the body')
    }
    try {
      const compress = header('x-log-compresstype')
      if (compress !== '' && compress !== 'deflate') {
        throw new Error(`compress type ${compress} unsupported here`)
      }
      const raw = compress === 'deflate' ? inflateSync(body) : body
      if (String(raw.length) !== header('x-log-bodyrawsize')) {
        throw new Error(
          `x-log-bodyrawsize says ${header('x-log-bodyrawsize')}, body has ${raw.length}`,
        )
      }
      record.rawBytes = raw.length
      return decodeLogGroup(raw)
    } catch (err) {
      return refuse(400, 'PostBodyInvalid', err instanceof Error ? err.message : String(err))
    }
  }

  let port = 0
  const listen = (): Promise<void> =>
    new Promise((resolve) => {
      server.listen(port, '127.0.0.1', () => {
        port = (server.address() as AddressInfo).port
        resolve()
      })
    })
  const shut = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve()
      server.close(() => resolve())
      server.closeAllConnections()
    })
  await listen()
  const url = `http://127.0.0.1:${port}`

  const routed: typeof fetch = (input, init) => {
    const original = new URL(input instanceof Request ? input.url : String(input))
    const headers = new Headers(init?.headers)
    headers.set('x-fake-host', original.host)
    return fetch(`${url}${original.pathname}${original.search}`, { ...init, headers })
  }

  return {
    url,
    config,
    fetch: routed,
    logs,
    requests,
    failWith(answer, times = Number.POSITIVE_INFINITY) {
      failure = answer ? { answer, times } : undefined
    },
    delayAnswers(ms) {
      delayMs = ms
    },
    unanswered: () => unanswered,
    down: shut,
    up: listen,
    close: shut,
  }
}

/** The V1 string to sign, from the spec: headers lower-cased and sorted, path plus sorted query. */
function expectedSignature(
  method: string | undefined,
  path: string,
  headers: IncomingMessage['headers'],
  secret: string,
): string {
  const get = (name: string): string => String(headers[name] ?? '')
  const canonical = Object.keys(headers)
    .filter((name) => name.startsWith('x-log-') || name.startsWith('x-acs-'))
    .sort()
    .map((name) => `${name}:${get(name).trim()}\n`)
    .join('')
  const text = `${method}\n${get('content-md5')}\n${get('content-type')}\n${get('date')}\n${canonical}${path}`
  return createHmac('sha1', secret).update(text).digest('base64')
}

/** Decodes a protobuf LogGroup; throws on anything malformed. */
export function decodeLogGroup(buf: Uint8Array): DecodedLogGroup {
  const group: DecodedLogGroup = { logs: [], tags: {} }
  for (const f of fields(buf)) {
    if (f.no === 1) group.logs.push(decodeLog(bytes(f)))
    else if (f.no === 3) group.topic = text(f)
    else if (f.no === 4) group.source = text(f)
    else if (f.no === 6) {
      const [key, value] = decodePair(bytes(f))
      group.tags[key] = value
    }
  }
  return group
}

function decodeLog(buf: Uint8Array): DecodedLog {
  let time: number | undefined
  let timeNs: number | undefined
  const contents: Record<string, string> = {}
  for (const f of fields(buf)) {
    if (f.no === 1 && f.wire === 0) time = f.value as number
    else if (f.no === 2) {
      const [key, value] = decodePair(bytes(f))
      contents[key] = value
    } else if (f.no === 4 && f.wire === 5) timeNs = f.value as number
  }
  if (time === undefined) throw new Error('Log.Time (required) is missing')
  return { time, ...(timeNs === undefined ? {} : { timeNs }), contents }
}

function decodePair(buf: Uint8Array): [string, string] {
  let key: string | undefined
  let value: string | undefined
  for (const f of fields(buf)) {
    if (f.no === 1) key = text(f)
    else if (f.no === 2) value = text(f)
  }
  if (key === undefined || value === undefined) throw new Error('Key and Value are required')
  return [key, value]
}

interface Field {
  no: number
  wire: number
  value: number | Uint8Array
}

const bytes = (f: Field): Uint8Array => {
  if (!(f.value instanceof Uint8Array)) throw new Error(`field ${f.no} is not length-delimited`)
  return f.value
}
const utf8 = new TextDecoder('utf-8', { fatal: true })
const text = (f: Field): string => utf8.decode(bytes(f))

function* fields(buf: Uint8Array): Generator<Field> {
  let pos = 0
  const varint = (): number => {
    let result = 0
    let scale = 1
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) throw new Error('truncated varint')
      const b = buf[pos++] as number
      result += (b & 0x7f) * scale
      if (b < 0x80) return result
      scale *= 128
    }
    throw new Error('varint too long')
  }
  while (pos < buf.length) {
    const tag = varint()
    const no = Math.floor(tag / 8)
    const wire = tag & 7
    if (wire === 0) yield { no, wire, value: varint() }
    else if (wire === 2) {
      const length = varint()
      if (pos + length > buf.length) throw new Error(`field ${no} runs past the end`)
      yield { no, wire, value: buf.subarray(pos, pos + length) }
      pos += length
    } else if (wire === 5) {
      if (pos + 4 > buf.length) throw new Error('truncated fixed32')
      yield { no, wire, value: Buffer.from(buf.buffer, buf.byteOffset + pos, 4).readUInt32LE(0) }
      pos += 4
    } else throw new Error(`unexpected wire type ${wire} for field ${no}`)
  }
}
