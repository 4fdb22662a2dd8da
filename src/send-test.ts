/**
 * `kubeding send-test`: one test message to every configured robot, and what DingTalk answered,
 * its errcode explained in words. Succeeds only if every robot accepted.
 */
import type { Config } from './config/schema.ts'
import { createRobotClient } from './dingtalk/robot-client.ts'
import { renderMessage } from './notify/render-message.ts'

/** Sends the test messages; returns the exit status (0 all accepted, 1 otherwise). */
export async function sendTest(
  config: Config,
  io: { stdout(text: string): void; stderr(text: string): void },
  fetchFn: typeof fetch = fetch,
): Promise<number> {
  const { robots } = config.dingtalk
  if (robots.length === 0) {
    io.stderr(
      'send-test: no DingTalk robot configured (set DINGTALK_WEBHOOK, or dingtalk.robots in the config file)\n',
    )
    return 1
  }
  let failed = 0
  for (const robot of robots) {
    const message = renderMessage(
      { kind: 'notice', topic: 'test', robot: robot.name },
      { robot, cluster: config.cluster, muteLinks: false, language: config.language },
    )
    const outcome = await createRobotClient({ robot, fetch: fetchFn }).send(message)
    if (outcome.kind === 'ok') {
      io.stdout(`${robot.name}: ok (DingTalk accepted the message)\n`)
    } else {
      failed++
      io.stdout(`${robot.name}: FAILED: ${outcome.explanation}\n`)
    }
  }
  return failed === 0 ? 0 : 1
}
