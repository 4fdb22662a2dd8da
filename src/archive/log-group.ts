/**
 * Protobuf encoding of Log Service's `LogGroup` (the PutLogs body), written by hand: two wire
 * types (varint, length-delimited) and one fixed32 are all it takes, so no protobuf library.
 *
 * ```proto
 * message Log { required uint32 Time = 1; repeated Content Contents = 2; optional fixed32 TimeNs = 4; }
 * message Content { required string Key = 1; required string Value = 2; }
 * message LogTag { required string Key = 1; required string Value = 2; }
 * message LogGroup { repeated Log Logs = 1; optional string Reserved = 2; optional string Topic = 3;
 *                    optional string Source = 4; repeated LogTag LogTags = 6; }
 * ```
 */

/** One log as Log Service stores it: a time and string key/values, in this order. */
export interface SlsLog {
  /** Seconds since the epoch (uint32). */
  time: number
  /** Nanoseconds within `time` (0..999,999,999). */
  timeNs?: number
  contents: Readonly<Record<string, string>>
}

/** A PutLogs body before encoding. `logs` are already encoded with `encodeLog`. */
export interface LogGroupParts {
  logs: readonly Uint8Array[]
  topic?: string
  source?: string
  tags?: Readonly<Record<string, string>>
}

// Tags are (field number << 3) | wire type: 0 varint, 2 length-delimited, 5 fixed32.
const LOG_TIME = 0x08
const LOG_CONTENTS = 0x12
const LOG_TIME_NS = 0x25
const PAIR_KEY = 0x0a
const PAIR_VALUE = 0x12
const GROUP_LOGS = 0x0a
const GROUP_TOPIC = 0x1a
const GROUP_SOURCE = 0x22
const GROUP_TAGS = 0x32

/** Bytes a varint of `n` (0 <= n < 2^32) takes. */
function varintSize(n: number): number {
  let size = 1
  while (n >= 0x80) {
    n = Math.floor(n / 128)
    size++
  }
  return size
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 128)
  }
  buf[pos++] = n
  return pos
}

/** Size of a length-delimited field of `length` bytes, tag included. */
const fieldSize = (length: number): number => 1 + varintSize(length) + length

/** Size of a Content / LogTag message body: key then value. */
const pairSize = (keyBytes: number, valueBytes: number): number =>
  fieldSize(keyBytes) + fieldSize(valueBytes)

function writePair(
  buf: Buffer,
  pos: number,
  key: string,
  keyBytes: number,
  value: string,
  valueBytes: number,
): number {
  buf[pos++] = PAIR_KEY
  pos = writeVarint(buf, pos, keyBytes)
  pos += buf.write(key, pos, 'utf8')
  buf[pos++] = PAIR_VALUE
  pos = writeVarint(buf, pos, valueBytes)
  return pos + buf.write(value, pos, 'utf8')
}

/** Encodes the pairs of a record as repeated length-delimited messages under `tag`. */
function encodePairs(
  tag: number,
  pairs: Readonly<Record<string, string>>,
  head: number,
  extra: number,
): { buf: Buffer; pos: number } {
  const entries = Object.entries(pairs)
  const lengths: number[] = []
  let size = head + extra
  for (const [key, value] of entries) {
    const k = Buffer.byteLength(key)
    const v = Buffer.byteLength(value)
    lengths.push(k, v)
    size += fieldSize(pairSize(k, v))
  }
  const buf = Buffer.allocUnsafe(size)
  let pos = head
  entries.forEach(([key, value], i) => {
    const k = lengths[2 * i] as number
    const v = lengths[2 * i + 1] as number
    buf[pos++] = tag
    pos = writeVarint(buf, pos, pairSize(k, v))
    pos = writePair(buf, pos, key, k, value, v)
  })
  return { buf, pos }
}

function assertUint32(name: string, n: number, max = 0xffffffff): void {
  if (!Number.isInteger(n) || n < 0 || n > max) {
    throw new RangeError(`${name} must be an integer from 0 to ${max}, got ${n}`)
  }
}

/** Encodes one `Log` message (without the LogGroup field tag around it). */
export function encodeLog(log: SlsLog): Buffer {
  assertUint32('Log.Time', log.time)
  if (log.timeNs !== undefined) assertUint32('Log.TimeNs', log.timeNs, 999_999_999)
  const head = 1 + varintSize(log.time)
  const { buf, pos } = encodePairs(
    LOG_CONTENTS,
    log.contents,
    head,
    log.timeNs === undefined ? 0 : 5,
  )
  buf[0] = LOG_TIME
  writeVarint(buf, 1, log.time)
  if (log.timeNs !== undefined) {
    buf[pos] = LOG_TIME_NS
    buf.writeUInt32LE(log.timeNs, pos + 1)
  }
  return buf
}

function encodeString(tag: number, value: string): Buffer {
  const length = Buffer.byteLength(value)
  const buf = Buffer.allocUnsafe(fieldSize(length))
  buf[0] = tag
  buf.write(value, writeVarint(buf, 1, length), 'utf8')
  return buf
}

/** Encodes a `LogGroup` around logs already encoded with `encodeLog`. */
export function encodeLogGroup(parts: LogGroupParts): Buffer {
  const chunks: Uint8Array[] = []
  for (const log of parts.logs) {
    const head = Buffer.allocUnsafe(1 + varintSize(log.length))
    head[0] = GROUP_LOGS
    writeVarint(head, 1, log.length)
    chunks.push(head, log)
  }
  if (parts.topic) chunks.push(encodeString(GROUP_TOPIC, parts.topic))
  if (parts.source) chunks.push(encodeString(GROUP_SOURCE, parts.source))
  if (parts.tags) chunks.push(encodePairs(GROUP_TAGS, parts.tags, 0, 0).buf)
  return Buffer.concat(chunks)
}

/** Bytes `log` (already encoded) adds to a LogGroup, field tag and length included. */
export const logFieldSize = (log: Uint8Array): number => fieldSize(log.length)
