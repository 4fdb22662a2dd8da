/**
 * kube-eventer's `--sink` URIs, taken as they are so a kube-eventer user migrates by copying one
 * flag. Parameter names and meanings follow kube-eventer's own parsers (sinks/dingtalk/dingtalk.go,
 * sinks/sls/sls.go); where kube-eventer silently ignored a mistake, kubeding refuses it clearly.
 */
import { DINGTALK_PARAMS, type DingTalkSink, toDingTalkSink } from './dingtalk-sink.ts'
import { SinkError, toSinkParams } from './sink-params.ts'
import { SLS_PARAMS, type SlsSink, toSlsSink } from './sls-sink.ts'

export type { DingTalkSink } from './dingtalk-sink.ts'
export type { SlsSink } from './sls-sink.ts'

/** A parsed sink, or what is wrong with it (never a parameter's value: it may be a secret). */
export type ParsedSink = { ok: true; sink: DingTalkSink | SlsSink } | { ok: false; problem: string }

/**
 * Parses `dingtalk:https://oapi.dingtalk.com/robot/send?access_token=...&level=Warning...` or
 * `sls:https://cn-hangzhou.log.aliyuncs.com?project=...&logStore=...`. `env` supplies the
 * access keys an `sls:` URI leaves out, as kube-eventer did.
 */
export function parseSinkUri(text: string, env: NodeJS.ProcessEnv): ParsedSink {
  try {
    const colon = text.indexOf(':')
    const scheme = colon > 0 ? text.slice(0, colon).trim() : ''
    if (scheme !== 'dingtalk' && scheme !== 'sls') {
      throw new SinkError('must start with dingtalk: or sls: (kube-eventer sink URIs)')
    }
    const url = toUrl(text.slice(colon + 1).trim(), scheme)
    const params = toSinkParams(url, scheme === 'dingtalk' ? DINGTALK_PARAMS : SLS_PARAMS, scheme)
    const sink = scheme === 'dingtalk' ? toDingTalkSink(url, params) : toSlsSink(url, params, env)
    return { ok: true, sink }
  } catch (error) {
    if (error instanceof SinkError) return { ok: false, problem: error.message }
    throw error
  }
}

function toUrl(text: string, scheme: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new SinkError(`the part after "${scheme}:" is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new SinkError(`the part after "${scheme}:" must be an http(s) URL`)
  }
  return url
}
