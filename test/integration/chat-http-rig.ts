/**
 * The @-mention callback as DingTalk reaches it, for the integration tests: the real ChatOps on
 * the chat harness's store, the outgoing route on a built app, and a fake sessionWebhook on
 * 127.0.0.1. Requests are signed the way DingTalk signs them and go through `app.inject()`.
 */
import { buildApp } from '../../src/app.ts'
import type { HttpLimits } from '../../src/http/limit-connections.ts'
import { registerOutgoing } from '../../src/http/outgoing-route.ts'
import {
  createSignatureMemory,
  MAX_SIGNATURES,
  type SignatureMemory,
} from '../../src/http/signature-memory.ts'
import {
  appRobotHeaders,
  aTextMessage,
  createFakeSessionWebhook,
  outgoingHeaders,
} from '../helpers/dingtalk-callback.ts'
import { createChatHarness, type HarnessOptions } from '../unit/chatops/chat-harness.ts'

export const TOKEN = 'outgoing-token-3f9a'
export const APP_SECRET = 'app-secret-b71c-never-logged'
export const PATH = '/dingtalk/outgoing'

export type RigOptions = HarnessOptions & {
  token?: string | undefined
  appSecret?: string | undefined
  /** Default: kept in the harness's store, as the service keeps them, with `maxSignatures`. */
  signatures?: SignatureMemory
  maxSignatures?: number
  httpLimits?: HttpLimits
}

/** Builds the rig; everything it opens is closed at `t`'s teardown. */
export async function createChatHttpRig(
  t: { teardown(fn: () => unknown): void },
  options: RigOptions = {},
) {
  const webhook = await createFakeSessionWebhook()
  t.teardown(() => webhook.close())
  // The fake sessionWebhook stands where a configured robot's host would: replies may go there.
  const h = createChatHarness(t, { robotWebhooks: [`${webhook.origin}/robot/send`], ...options })
  const outgoing = {
    path: PATH,
    token: 'token' in options ? options.token : TOKEN,
    appSecret: 'appSecret' in options ? options.appSecret : APP_SECRET,
  }
  const app = await buildApp({
    logger: h.logger,
    isReady: () => ({ ready: true }),
    ...(options.httpLimits ? { httpLimits: options.httpLimits } : {}),
    plugins: [
      (app) =>
        registerOutgoing(app, {
          outgoing,
          chat: h.chat,
          now: () => h.clock.now,
          logger: h.logger,
          signatures:
            options.signatures ??
            createSignatureMemory(options.maxSignatures ?? MAX_SIGNATURES, {
              store: h.store,
              logger: h.logger,
            }),
        }),
    ],
  })
  t.teardown(() => app.close())
  /** A text @-mention whose replies go to the fake sessionWebhook. */
  const message = (content: string, overrides: Record<string, unknown> = {}) =>
    aTextMessage(content, {
      createAt: h.clock.now,
      sessionWebhook: webhook.newSession(),
      sessionWebhookExpiredTime: h.clock.now + 90 * 60_000,
      ...overrides,
    })
  const post = (body: unknown, headers: Record<string, string>) =>
    app.inject({
      method: 'POST',
      url: PATH,
      headers: { 'content-type': 'application/json', ...headers },
      payload: typeof body === 'string' ? body : JSON.stringify(body),
    })
  const viaToken = (content: string, overrides: Record<string, unknown> = {}) =>
    post(message(content, overrides), outgoingHeaders(TOKEN))
  const viaSign = (body: Record<string, unknown>) =>
    post(body, appRobotHeaders(APP_SECRET, h.clock.now))
  return { h, app, webhook, message, post, viaToken, viaSign }
}

/** The markdown of a token-answered reply. */
export const markdownOf = (res: { json(): unknown }) =>
  (res.json() as { markdown: { title: string; text: string } }).markdown
