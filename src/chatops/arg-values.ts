/**
 * The value rules of chat arguments, as zod schemas over the typed text. Each failure message
 * says what is wrong and shows a value that would work; `readArgs` prefixes the key.
 */
import { z } from 'zod'
import { parseDuration, toDurationText } from '../config/duration.ts'
import { en } from '../i18n/en.ts'
import type { Strings } from '../i18n/strings.ts'
import { clip } from './markdown.ts'

/** The typed value as an error message quotes it: short, so a long paste cannot flood the chat. */
const quote = (value: string) => `"${clip(value, 40)}"`

/**
 * Refuses the value. The issue carries how to say it in each language (`params.say`, read by
 * `readArgs`); its message is the English, for anything that reads zod's issues directly.
 */
export const fail = (ctx: z.RefinementCtx, say: (strings: Strings) => string) => {
  ctx.addIssue({ code: 'custom', message: say(en), params: { say } })
  return z.NEVER
}

/** A namespace: a DNS label. Namespaces are lower-case, so `ns=Prod` means `prod`. */
export const namespaceArg = z.string().transform((value, ctx) => {
  const ns = value.toLowerCase()
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)
    ? ns
    : fail(ctx, (s) => s.args.notNamespace(quote(value)))
})

/** An object kind such as `Pod` or `Node` (any case). */
export const kindArg = z
  .string()
  .transform((value, ctx) =>
    /^[A-Za-z][A-Za-z0-9]{0,62}$/.test(value)
      ? value
      : fail(ctx, (s) => s.args.notKind(quote(value))),
  )

/**
 * An object name; `*` matches any run of characters (`name=web-*`). At most 253 characters (the
 * Kubernetes limit), and a run of stars is one star: it means the same and costs less to match.
 */
export const nameArg = z
  .string()
  .transform((value, ctx) =>
    /^[A-Za-z0-9.:_*-]{1,253}$/.test(value)
      ? value.replace(/\*+/g, '*')
      : fail(ctx, (s) => s.args.notName(quote(value))),
  )

/** An event reason (`BackOff`, or quoted with spaces: `reason="Back Off"`). */
export const reasonArg = z
  .string()
  .transform((value, ctx) =>
    /^[\p{L}\p{N}][\p{L}\p{N} ._:-]{0,127}$/u.test(value)
      ? value.trim()
      : fail(ctx, (s) => s.args.notReason(quote(value))),
  )

const LEVELS: Readonly<Record<string, 'Warning' | 'Normal' | 'all'>> = {
  warning: 'Warning',
  normal: 'Normal',
  all: 'all',
  警告: 'Warning',
  正常: 'Normal',
  全部: 'all',
}

/** `level=Warning|Normal|all`, any case, or in Chinese: 警告, 正常, 全部. */
export const levelArg = z
  .string()
  .transform(
    (value, ctx) => LEVELS[value.toLowerCase()] ?? fail(ctx, (s) => s.args.notLevel(quote(value))),
  )

/** A duration between `min` and `max`, written like `30m`, `2h`, `7d`; parsed to ms. */
export function durationArg(min: number, max: number) {
  return z.string().transform((value, ctx) => {
    const ms = parseDuration(value.toLowerCase())
    if (ms === undefined) {
      return fail(ctx, (s) => s.args.notDuration(quote(value)))
    }
    if (ms < min) return fail(ctx, (s) => s.args.atLeast(toDurationText(min), quote(value)))
    if (ms > max) return fail(ctx, (s) => s.args.atMost(toDurationText(max), quote(value)))
    return ms
  })
}

/** A whole number from 1 to `max`. */
export function countArg(max: number) {
  return z.string().transform((value, ctx) => {
    const n = Number(value)
    return /^\d{1,9}$/.test(value) && n >= 1 && n <= max
      ? n
      : fail(ctx, (s) => s.args.wholeNumber(max, quote(value)))
  })
}
