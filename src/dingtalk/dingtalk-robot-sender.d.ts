/** Types for dingtalk-robot-sender (it ships none): only what src/dingtalk uses. */
declare module 'dingtalk-robot-sender' {
  /** What the library hands its `httpclient`; `data` is the JSON body as a string. */
  export interface ChatBotRequest {
    method: 'POST'
    headers: Record<string, string>
    data: string
  }

  /** The library calls `request(url, options)` and returns its promise unchanged. */
  export interface ChatBotHttpClient<R> {
    request(url: string, options: ChatBotRequest): Promise<R>
  }

  export interface ChatBotOptions<R> {
    webhook?: string
    baseUrl?: string
    accessToken?: string
    /** When set, each send() appends `&timestamp=<ms>&sign=<URL-encoded HmacSHA256>`. */
    secret?: string | undefined
    httpclient?: ChatBotHttpClient<R>
  }

  export default class ChatBot<R = unknown> {
    constructor(options: ChatBotOptions<R>)
    send(content: unknown): Promise<R>
  }
}
