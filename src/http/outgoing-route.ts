/**
 * `POST dingtalk.outgoing.path`: DingTalk's callback for @-mentions (custom robot Outgoing, app
 * robot HTTP mode). Verified before the body is read, validated, then handed to ChatOps; the
 * reply goes in the response (token) or through the sessionWebhook (sign).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ChatOps } from '../chatops/chat-ops.ts'
import { parseInboundMessage } from '../chatops/inbound-message.ts'
import type { Logger } from '../chatops/logger.ts'
import { createSignatureMemory, type SignatureMemory, toDelivery } from './signature-memory.ts'
import { verifyOutgoing } from './verify-outgoing.ts'

/** The interface contract's limit on callback bodies. */
export const OUTGOING_BODY_LIMIT = 64 * 1024

export interface OutgoingRouteDeps {
  /** `dingtalk.outgoing` from the config. */
  outgoing: { path: string; token?: string | undefined; appSecret?: string | undefined }
  chat: Pick<ChatOps, 'dispatch' | 'toMessage' | 'answerViaSessionWebhook'>
  now: () => number
  logger: Logger
  /**
   * The pairs already used (default: a new memory in this process only); the service passes one
   * kept in its store, tests a small one to fill it.
   */
  signatures?: SignatureMemory
}

/** How a request was verified; a signed one keeps its pair for the replay check. */
type Verified = { via: 'token' } | { via: 'sign'; timestamp: string; sign: string }

const REPLAY_REASONS: Readonly<Record<'replayed' | 'full', string>> = {
  replayed: 'this timestamp+sign pair was already used with another msgId or another message',
  full: 'too many signed callbacks within the hour to tell a replay from a new one',
}

const ERROR_NAMES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  413: 'body_too_large',
  415: 'unsupported_media_type',
}

/**
 * Registers the route. With neither `token` nor `appSecret` configured it registers nothing
 * (the path answers 404) and says so in the log.
 */
export function registerOutgoing(app: FastifyInstance, deps: OutgoingRouteDeps): void {
  const { outgoing, chat, now, logger } = deps
  if (outgoing.token === undefined && outgoing.appSecret === undefined) {
    logger.info(
      { path: outgoing.path },
      'chat callback is off: set dingtalk.outgoing.token (custom robot Outgoing) or dingtalk.outgoing.appSecret (app robot) to answer @-mentions over HTTP',
    )
    return
  }
  const verifiedBy = new WeakMap<FastifyRequest, Verified>()
  const signatures = deps.signatures ?? createSignatureMemory()

  app.post(
    outgoing.path,
    {
      bodyLimit: OUTGOING_BODY_LIMIT,
      // onRequest runs before the body is read: an unverified caller cannot make us parse anything.
      onRequest: async (request, reply) => {
        const { token, timestamp, sign } = request.headers
        const auth = verifyOutgoing({ token, timestamp, sign }, outgoing, now())
        if (!auth.ok) {
          request.log.warn({ reason: auth.reason, ip: request.ip }, 'DingTalk callback refused')
          return reply.code(401).send({ error: 'unauthorized', message: auth.reason })
        }
        verifiedBy.set(
          request,
          auth.via === 'token'
            ? { via: 'token' }
            : { via: 'sign', timestamp: String(timestamp), sign: String(sign) },
        )
      },
      errorHandler: (error: FastifyError, request, reply) => sendError(error, request, reply),
    },
    async (request, reply) => {
      const parsed = parseInboundMessage(request.body)
      if (!parsed.ok) {
        request.log.warn({ reason: parsed.reason }, 'DingTalk callback body is not a message')
        return reply.code(400).send({ error: 'bad_request', message: parsed.reason })
      }
      const message = parsed.message
      const verified = verifiedBy.get(request)
      if (verified?.via === 'token') {
        const { reply: answer, quiet } = await chat.dispatch(message)
        // A quiet refusal: the sender was told to wait already; `{}` puts nothing in the group.
        return reply.send(quiet ? {} : chat.toMessage(answer))
      }
      const use =
        verified?.via === 'sign' ? signatures.claim(verified, toDelivery(message), now()) : 'new'
      if (use === 'replayed' || use === 'full') {
        request.log.warn(
          { reason: use, msgId: message.msgId, ip: request.ip },
          'DingTalk callback refused',
        )
        return reply.code(401).send({ error: 'unauthorized', message: REPLAY_REASONS[use] })
      }
      if (message.sessionWebhook === undefined) {
        return reply.code(400).send({
          error: 'bad_request',
          message: 'sessionWebhook: is required to answer an app robot',
        })
      }
      // The very delivery again: DingTalk re-delivering one it had accepted, so it ran already
      // (or is running). Its reply went to the group then; this time nothing runs, even when the
      // reply memory has forgotten the msgId since (an hour on, or a restart).
      if (use === 'same_message') {
        request.log.debug({ msgId: message.msgId }, 'message delivered again: already answered')
        return reply.send({})
      }
      // App robot: answer at once (its deadline is undocumented), reply through the sessionWebhook.
      void chat.answerViaSessionWebhook(message)
      return reply.send({})
    },
  )
}

/** Body errors (too large, malformed JSON, wrong type) answer JSON with a reason, like the rest. */
function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500
  const name = ERROR_NAMES[status]
  if (name === undefined) throw error
  request.log.warn({ status, code: error.code }, 'DingTalk callback body refused')
  const message =
    status === 413
      ? `the body is over ${OUTGOING_BODY_LIMIT / 1024} KiB`
      : status === 415
        ? 'send the message as application/json'
        : `the body is not valid JSON (${error.message})`
  return reply.code(status).send({ error: name, message })
}
