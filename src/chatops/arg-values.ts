/**
 * The value rules of chat arguments, as zod schemas over the typed text. Each failure message
 * says what is wrong and shows a value that would work; `readArgs` prefixes the key.
 */
import { z } from 'zod'
import { parseDuration, toDurationText } from '../config/duration.ts'
import { clip } from './markdown.ts'

/** The typed value as an error message quotes it: short, so a long paste cannot flood the chat. */
const quote = (value: string) => `"${clip(value, 40)}"`

const fail = (ctx: z.RefinementCtx, message: string) => {
  ctx.addIssue({ code: 'custom', message })
  return z.NEVER
}

/** A namespace: a DNS label. Namespaces are lower-case, so `ns=Prod` means `prod`. */
export const namespaceArg = z.string().transform((value, ctx) => {
  const ns = value.toLowerCase()
  return /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(ns)
    ? ns
    : fail(ctx, `${quote(value)} is not a namespace name (letters, digits and -, e.g. ns=prod)`)
})

/** An object kind such as `Pod` or `Node` (any case). */
export const kindArg = z
  .string()
  .transform((value, ctx) =>
    /^[A-Za-z][A-Za-z0-9]{0,62}$/.test(value)
      ? value
      : fail(ctx, `${quote(value)} is not a kind (e.g. kind=Pod, kind=Node)`),
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
      : fail(ctx, `${quote(value)} is not an object name (letters, digits, . - : and * only)`),
  )

/** An event reason (`BackOff`, or quoted with spaces: `reason="Back Off"`). */
export const reasonArg = z
  .string()
  .transform((value, ctx) =>
    /^[\p{L}\p{N}][\p{L}\p{N} ._:-]{0,127}$/u.test(value)
      ? value.trim()
      : fail(ctx, `${quote(value)} is not a reason (e.g. reason=BackOff)`),
  )

const LEVELS: Readonly<Record<string, 'Warning' | 'Normal' | 'all'>> = {
  warning: 'Warning',
  normal: 'Normal',
  all: 'all',
}

/** `level=Warning|Normal|all`, any case. */
export const levelArg = z
  .string()
  .transform(
    (value, ctx) =>
      LEVELS[value.toLowerCase()] ??
      fail(ctx, `${quote(value)} is not a level: write Warning, Normal or all`),
  )

/** A duration between `min` and `max`, written like `30m`, `2h`, `7d`; parsed to ms. */
export function durationArg(min: number, max: number) {
  return z.string().transform((value, ctx) => {
    const ms = parseDuration(value.toLowerCase())
    if (ms === undefined) {
      return fail(ctx, `${quote(value)} is not a duration (write 30m, 2h or 7d)`)
    }
    if (ms < min) return fail(ctx, `at least ${toDurationText(min)} (got ${quote(value)})`)
    if (ms > max) return fail(ctx, `at most ${toDurationText(max)} (got ${quote(value)})`)
    return ms
  })
}

/** A whole number from 1 to `max`. */
export function countArg(max: number) {
  return z.string().transform((value, ctx) => {
    const n = Number(value)
    return /^\d{1,9}$/.test(value) && n >= 1 && n <= max
      ? n
      : fail(ctx, `must be a whole number from 1 to ${max} (got ${quote(value)})`)
  })
}
