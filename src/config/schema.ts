/**
 * The config file's schema: every key of the interface contract (`shared/spec/interface.md`),
 * validated once at the edge. Objects are strict, so a misspelt key is an error that names it.
 */
import { z } from 'zod'
import { DEFAULT_LANGUAGE, LANGUAGES } from '../i18n/language.ts'
import { parseDuration } from './duration.ts'

/** An interpolated `${VAR}` that is unset becomes ''; optional secrets treat that as absent. */
const optionalText = z.preprocess(
  (v) => (v === '' || v === null ? undefined : v),
  z.string().min(1).optional(),
)

const names = z.array(z.string().min(1, 'must not be empty')).default([])

/** A duration written like `30s`, `5m`, `1h`, `7d`; parsed to milliseconds. */
export const duration = z
  .union([z.string(), z.number()], { error: 'must be a duration such as 30s, 5m, 1h, 7d' })
  .transform((value, ctx) => {
    const ms = typeof value === 'number' ? value * 1000 : parseDuration(value)
    if (ms === undefined || !Number.isFinite(ms) || ms < 0) {
      ctx.addIssue({
        code: 'custom',
        message: `"${value}" is not a duration (write 30s, 5m, 1h, 7d)`,
      })
      return z.NEVER
    }
    return ms
  })

const webhookUrl = z.string().refine(
  (text) => {
    try {
      const url = new URL(text)
      return url.protocol === 'https:' || url.protocol === 'http:'
    } catch {
      return false
    }
  },
  {
    message: 'must be an http(s) URL such as https://oapi.dingtalk.com/robot/send?access_token=...',
  },
)

export const Level = z.enum(['Normal', 'Warning'])
/** Minimum level of a route: `Normal` passes everything, `Warning` only Warnings. */
export type Level = z.infer<typeof Level>

const robot = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
  webhook: webhookUrl,
  /** The robot's 加签 secret (starts with SEC). */
  secret: optionalText,
  /** The robot's keyword security setting: every message carries one of them. DingTalk allows 10. */
  keywords: z.array(z.string().min(1)).max(10, 'DingTalk allows at most 10 keywords').default([]),
  ratePerMinute: z.number().int().min(1).max(20, 'DingTalk allows at most 20 a minute').default(20),
  /** Message type for alerts: markdown (default) or text (kube-eventer's `msg_type`). */
  msgType: z.enum(['markdown', 'text']).default('markdown'),
})
export type RobotConfig = z.infer<typeof robot>

const at = z
  .strictObject({
    mobiles: names,
    userIds: names,
    all: z.boolean().default(false),
  })
  .prefault({})

const route = z.strictObject({
  robot: z.string().min(1),
  level: Level.default('Warning'),
  kinds: names,
  namespaces: names,
  reasons: names,
  excludeReasons: names,
  at,
})
export type RouteConfig = z.infer<typeof route>

const outgoing = z
  .strictObject({
    path: z.string().startsWith('/', 'must start with /').default('/dingtalk/outgoing'),
    token: optionalText,
    appSecret: optionalText,
    stream: z
      .strictObject({ clientId: optionalText, clientSecret: optionalText })
      .optional()
      .transform((s) =>
        s?.clientId && s.clientSecret
          ? { clientId: s.clientId, clientSecret: s.clientSecret }
          : undefined,
      ),
    admins: names,
    conversations: names,
    /** Per sender; the excess gets a polite "try again in Ns" reply. */
    commandsPerMinute: z.number().int().min(1).max(600).default(10),
  })
  .prefault({})

const sls = z
  .strictObject({
    /** Default on Alibaba Cloud: `<region>-intranet.log.aliyuncs.com`, region from the metadata service. */
    endpoint: optionalText,
    project: z.string().min(1),
    logstore: z.string().min(1),
    topic: z.string().default(''),
    /** Both or neither: without a key pair, Alibaba Cloud's default credential chain. */
    accessKeyId: optionalText,
    accessKeySecret: optionalText,
    /** The ECS RAM role to take from the metadata service, instead of the whole chain. */
    ramRole: optionalText,
    /** Extra fields written into every log (kube-eventer's sls `label=key,value`). */
    labels: z.record(z.string().min(1), z.string()).optional(),
  })
  .superRefine((s, ctx) => {
    const pair = { accessKeyId: s.accessKeyId, accessKeySecret: s.accessKeySecret }
    for (const [key, other, env] of [
      ['accessKeyId', 'accessKeySecret', 'ALIBABA_CLOUD_ACCESS_KEY_ID'],
      ['accessKeySecret', 'accessKeyId', 'ALIBABA_CLOUD_ACCESS_KEY_SECRET'],
    ] as const) {
      if (pair[other] !== undefined && pair[key] === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `is required with archive.sls.${other} (is ${env} set? leave both out to use the RAM role or RRSA)`,
        })
      }
    }
    if (s.ramRole !== undefined && s.accessKeyId !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ramRole'],
        message: 'cannot be used with archive.sls.accessKeyId: choose the key pair or the RAM role',
      })
    }
  })
export type SlsConfig = z.infer<typeof sls>

/** A cross-reference problem: the key it is about and what is wrong. */
export type ReferenceIssue = { path: (string | number)[]; message: string }

/**
 * Robot names must be unique and every route must name a robot. Written over loose input so
 * the loader can also run it when other keys are invalid (zod skips refinements then) and
 * report every problem at once.
 */
export function findReferenceIssues(
  robots: readonly { name?: unknown }[],
  routes: readonly { robot?: unknown }[],
): ReferenceIssue[] {
  const issues: ReferenceIssue[] = []
  const seen = new Set<unknown>()
  robots.forEach((r, i) => {
    if (typeof r.name !== 'string') return
    if (seen.has(r.name)) {
      issues.push({
        path: ['dingtalk', 'robots', i, 'name'],
        message: `"${r.name}" is used by another robot`,
      })
    }
    seen.add(r.name)
  })
  routes.forEach((r, i) => {
    if (typeof r.robot === 'string' && r.robot !== '' && !seen.has(r.robot)) {
      issues.push({
        path: ['routes', i, 'robot'],
        message: `no robot named "${r.robot}" in dingtalk.robots`,
      })
    }
  })
  return issues
}

export const ConfigSchema = z
  .strictObject({
    /** An unset `${KUBEDING_CLUSTER}` interpolates to '', which falls back to the default. */
    cluster: z.preprocess(
      (v) => (v === '' || v === null ? undefined : v),
      z.string().min(1).default('kubernetes'),
    ),
    /** Every alert, notice and chat reply is worded in it; commands work in both. */
    language: z.enum(LANGUAGES).default(DEFAULT_LANGUAGE),
    kubernetes: z
      .strictObject({
        kubeconfig: optionalText,
        context: z.string().default(''),
        namespaces: names,
      })
      .prefault({}),
    server: z
      .strictObject({
        host: z.string().min(1).default('0.0.0.0'),
        port: z.number().int().min(0).max(65535).default(8080),
      })
      .prefault({}),
    state: z
      .strictObject({
        dir: z.string().min(1).default('./data'),
        retention: duration.prefault('7d'),
      })
      .prefault({}),
    /** Several replicas: one leader sends; every replica watches, archives and answers chat. */
    leaderElection: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** Default: $POD_NAMESPACE, else the service account's namespace file. */
        namespace: z
          .string()
          .regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)?$/, 'a namespace name (a DNS label)')
          .default(''),
        leaseName: z
          .string()
          .regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, 'a DNS label of at most 63 characters')
          .default('kubeding'),
        leaseDuration: duration
          .refine((ms) => ms >= 2_000 && ms <= 300_000, 'between 2s and 5m')
          .prefault('15s'),
      })
      .prefault({}),
    dingtalk: z
      .strictObject({
        robots: z.array(robot).default([]),
        outgoing,
      })
      .prefault({}),
    /** Omitted: one Warning route per robot. `[]`: no alerts at all (archive and chat only). */
    routes: z.array(route).optional(),
    archive: z.strictObject({ sls: sls.optional() }).prefault({}),
    alerting: z
      .strictObject({
        groupWindow: duration.prefault('1m'),
        muteLinks: z.boolean().default(true),
        /** The watch lost this long: the group is told once, and again when it is back. */
        watchDownAfter: duration.prefault('5m'),
        /** A node Ready=False/Unknown this long is alerted (from the node watch itself). */
        nodeNotReadyAfter: duration.prefault('1m'),
        /** Tell the group when a node condition returns to normal, and how long it lasted. */
        resolved: z.boolean().default(true),
      })
      .prefault({}),
  })
  .superRefine((config, ctx) => {
    for (const issue of findReferenceIssues(config.dingtalk.robots, config.routes ?? [])) {
      ctx.addIssue({ code: 'custom', ...issue })
    }
  })
  .transform((config) => ({
    ...config,
    routes:
      config.routes ??
      config.dingtalk.robots.map((r): RouteConfig => route.parse({ robot: r.name })),
  }))

/** The validated, defaulted config every module receives. Durations are milliseconds. */
export type Config = z.infer<typeof ConfigSchema>
