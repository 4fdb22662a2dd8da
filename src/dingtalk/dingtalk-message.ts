/**
 * The message JSON the robot webhook takes (`shared/reference/dingtalk.md`). Field names are
 * DingTalk's own, inconsistent casing included. kubeding sends markdown and text only.
 */

/** Who a message mentions. A mention only notifies when the text also contains `@<mobile>`. */
export interface DingTalkAt {
  atMobiles?: string[]
  atUserIds?: string[]
  isAtAll?: boolean
}

export interface MarkdownMessage {
  msgtype: 'markdown'
  markdown: { title: string; text: string }
  at?: DingTalkAt
}

export interface TextMessage {
  msgtype: 'text'
  text: { content: string }
  at?: DingTalkAt
}

/** A message as posted to `/robot/send`. */
export type DingTalkMessage = MarkdownMessage | TextMessage

/** DingTalk's body limit: longer bodies get errcode 460101. */
export const DINGTALK_MAX_BYTES = 20_000

/** Bytes of the body as it goes on the wire (UTF-8 JSON). */
export const toWireBytes = (message: DingTalkMessage): number =>
  Buffer.byteLength(JSON.stringify(message), 'utf8')
