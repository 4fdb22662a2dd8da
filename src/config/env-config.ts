/**
 * The config a newcomer gets with no file: defaults plus a few environment variables, so
 * `DINGTALK_WEBHOOK=... npx kubeding` is enough to start.
 */

/** The robot the environment-only config builds from `DINGTALK_WEBHOOK`. */
export const ENV_ROBOT_NAME = 'default'

/**
 * Config keys as the environment-only mode fills them, mapped back to the variable that set
 * them, so a problem names what the operator actually typed (`config: PORT: must be a number`).
 */
export const ENV_KEY_NAMES: Readonly<Record<string, string>> = {
  cluster: 'KUBEDING_CLUSTER',
  'server.port': 'PORT',
  'dingtalk.robots.0.webhook': 'DINGTALK_WEBHOOK',
  'dingtalk.robots.0.secret': 'DINGTALK_SECRET',
  'dingtalk.outgoing.token': 'DINGTALK_OUTGOING_TOKEN',
  'dingtalk.outgoing.appSecret': 'DINGTALK_APP_SECRET',
  'dingtalk.outgoing.stream.clientId': 'DINGTALK_CLIENT_ID',
  'dingtalk.outgoing.stream.clientSecret': 'DINGTALK_CLIENT_SECRET',
}

/**
 * Raw (unvalidated) config from `DINGTALK_WEBHOOK`, `DINGTALK_SECRET`, `DINGTALK_OUTGOING_TOKEN`,
 * `DINGTALK_APP_SECRET`, `KUBEDING_CLUSTER` and `PORT`, plus `DINGTALK_CLIENT_ID` /
 * `DINGTALK_CLIENT_SECRET` for Stream mode (the names the example config file uses).
 * With a webhook: one robot named `default` and one Warning route to it. Without: no robot and
 * no route, which is valid: the service still archives events and answers chat.
 */
export function toEnvConfig(env: NodeJS.ProcessEnv): Record<string, unknown> {
  const webhook = env.DINGTALK_WEBHOOK
  const port = env.PORT
  return {
    ...(env.KUBEDING_CLUSTER ? { cluster: env.KUBEDING_CLUSTER } : {}),
    // A numeric PORT becomes a number; anything else is left as text for the schema to refuse.
    ...(port ? { server: { port: /^\d+$/.test(port) ? Number(port) : port } } : {}),
    dingtalk: {
      robots: webhook ? [{ name: ENV_ROBOT_NAME, webhook, secret: env.DINGTALK_SECRET }] : [],
      outgoing: {
        token: env.DINGTALK_OUTGOING_TOKEN,
        appSecret: env.DINGTALK_APP_SECRET,
        stream: { clientId: env.DINGTALK_CLIENT_ID, clientSecret: env.DINGTALK_CLIENT_SECRET },
      },
    },
    routes: webhook ? [{ robot: ENV_ROBOT_NAME, level: 'Warning' }] : [],
  }
}
