/**
 * `POST dingtalk.outgoing.path`: DingTalk's callback for @-mentions (custom robot Outgoing, app
 * robot HTTP mode). Verified before the body is read, validated, then handed to ChatOps; the
 * reply goes in the response (token) or through the sessionWebhook (sign).
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { ChatOps } from '../chatops/chat-ops.ts'
import { parseInboundMessage } from '../chatops/inbound-message.ts'
import type { Logger } from '../chatops/logger.ts'
import { verifyOutgoing } from './verify-outgoing.ts'

/** The interface contract's limit on callback bodies. */
export const OUTGOING_BODY_LIMIT = 64 * 1024

export interface OutgoingRouteDeps {
  /** `dingtalk.outgoing` from the config. */
  outgoing: { path: string; token?: string | undefined; appSecret?: string | undefined }
  chat: Pick<ChatOps, 'dispatch' | 'toMessage' | 'answerViaSessionWebhook'>
  now: () => number
  logger: Logger
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
  const verifiedBy = new WeakMap<FastifyRequest, 'token' | 'sign'>()

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
        verifiedBy.set(request, auth.via)
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
      if (verifiedBy.get(request) === 'token') {
        const { reply: answer } = await chat.dispatch(message)
        return reply.send(chat.toMessage(answer))
      }
      if (message.sessionWebhook === undefined) {
        return reply.code(400).send({
          error: 'bad_request',
          message: 'sessionWebhook: is required to answer an app robot',
        })
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
