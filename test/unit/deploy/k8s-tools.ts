/**
 * `helm` and `kubectl` for the deploy tests, without anything installed on the machine: the
 * devDependency @aws-cdk/asset-kubectl-v20 (Apache-2.0) ships helm v3.8.1 and kubectl v1.20.0
 * for linux/amd64 in a zip (lib/layer.zip). They are unpacked with Node alone, once, into
 * node_modules/.cache. `HELM` / `KUBECTL` name other binaries (e.g. a newer helm); on a machine
 * the packaged binaries cannot run on, the tools on PATH are used.
 */

import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { inflateRawSync } from 'node:zlib'

export type Tool = 'helm' | 'kubectl'

const require = createRequire(import.meta.url)
const PACKAGE = '@aws-cdk/asset-kubectl-v20'
const ROOT = join(import.meta.dirname, '../../..')

/** The path of `tool`: `$HELM`/`$KUBECTL`, else the packaged binary, else the name (PATH). */
export function toolPath(tool: Tool): string {
  const override = process.env[tool.toUpperCase()]
  if (override) return override
  if (process.platform !== 'linux' || process.arch !== 'x64') return tool
  const { version } = require(`${PACKAGE}/package.json`) as { version: string }
  const target = join(ROOT, 'node_modules/.cache/kubeding-k8s-tools', version, tool)
  if (!existsSync(target)) {
    const { ASSET_FILE } = require(PACKAGE) as { ASSET_FILE: string }
    const bytes = readZipEntry(readFileSync(ASSET_FILE), `${tool}/${tool}`)
    mkdirSync(dirname(target), { recursive: true })
    // Test files run in parallel: each writes its own temporary file, and the rename is atomic.
    const partial = `${target}.${process.pid}.partial`
    writeFileSync(partial, bytes)
    chmodSync(partial, 0o755)
    renameSync(partial, target)
  }
  return target
}

/**
 * One file of a zip archive, by the central directory (APPNOTE 4.3): find the end-of-central-
 * directory record, walk the entries to `name`, then read its data after the local header.
 * Stored (0) and deflated (8) entries; what else a zip may hold is refused.
 */
export function readZipEntry(zip: Buffer, name: string): Buffer {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]))
  if (eocd < 0) throw new Error('not a zip: no end of central directory')
  const entries = zip.readUInt16LE(eocd + 10)
  let pos = zip.readUInt32LE(eocd + 16)
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(pos) !== 0x02014b50) throw new Error('zip central directory damaged')
    const method = zip.readUInt16LE(pos + 10)
    const compressedSize = zip.readUInt32LE(pos + 20)
    const size = zip.readUInt32LE(pos + 24)
    const nameLength = zip.readUInt16LE(pos + 28)
    const extraLength = zip.readUInt16LE(pos + 30)
    const commentLength = zip.readUInt16LE(pos + 32)
    const localHeader = zip.readUInt32LE(pos + 42)
    const entryName = zip.toString('utf8', pos + 46, pos + 46 + nameLength)
    pos += 46 + nameLength + extraLength + commentLength
    if (entryName !== name) continue
    if (zip.readUInt32LE(localHeader) !== 0x04034b50) throw new Error('zip local header damaged')
    const start =
      localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28)
    const data = zip.subarray(start, start + compressedSize)
    const out = method === 0 ? Buffer.from(data) : method === 8 ? inflateRawSync(data) : undefined
    if (!out) throw new Error(`zip entry ${name}: compression method ${method} unsupported`)
    if (out.length !== size) throw new Error(`zip entry ${name}: ${out.length} bytes, not ${size}`)
    return out
  }
  throw new Error(`zip has no entry ${name}`)
}
