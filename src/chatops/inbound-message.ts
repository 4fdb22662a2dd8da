/**
 * The message JSON DingTalk sends for an @-mention (custom robot Outgoing, app robot HTTP mode
 * and Stream push alike), validated once here; the rest of ChatOps trusts its types.
 */
import { z } from 'zod'

/** DingTalk leaves some ids as '' (senderStaffId for outsiders): treat that as absent. */
const optionalId = z.preprocess(
  (v) => (v === '' || v === null ? undefined : v),
  z.string().max(256).optional(),
)

const httpUrl = z
  .string()
  .max(2048)
  .refine((text) => /^https?:\/\//.test(text) && URL.canParse(text), 'must be an http(s) URL')

/** The latest time a JavaScript Date holds (ECMA-262: 8.64e15 ms after the epoch). */
const MAX_DATE_MS = 8.64e15

export const InboundMessage = z.looseObject({
  msgtype: z.string().min(1).max(64),
  text: z.looseObject({ content: z.string().max(8192) }).optional(),
  msgId: z.string().min(1).max(256),
  createAt: z.number().optional(),
  conversationType: z.string().max(16).optional(),
  conversationId: z.string().min(1).max(256),
  conversationTitle: z.string().max(1024).optional(),
  senderId: z.string().min(1).max(256),
  senderStaffId: optionalId,
  senderNick: z.string().max(256).default(''),
  sessionWebhook: httpUrl.optional(),
  /** Epoch ms; the sessionWebhook takes no replies after it. Within what a Date can hold. */
  sessionWebhookExpiredTime: z.number().int().min(0).max(MAX_DATE_MS).optional(),
})

/** A validated @-mention. */
export type InboundMessage = z.output<typeof InboundMessage>

/** Validates a body; on failure says which field is wrong and how. */
export function parseInboundMessage(
  body: unknown,
): { ok: true; message: InboundMessage } | { ok: false; reason: string } {
  const parsed = InboundMessage.safeParse(body)
  if (parsed.success) return { ok: true, message: parsed.data }
  const issue = parsed.error.issues[0]
  const path = issue?.path.join('.') || 'body'
  return { ok: false, reason: `${path}: ${issue?.message ?? 'is not valid'}` }
}
