/**
 * The effective config as YAML for `--check-config`: every default filled in, durations written
 * back as `7d`/`1m`, and every secret masked so the output can be pasted into an issue.
 */
import { stringify } from 'yaml'
import { maskUrl } from '../dingtalk/mask-webhook.ts'
import { toDurationText } from './duration.ts'
import type { Config, RobotConfig, SlsConfig } from './schema.ts'

/** What a masked secret is shown as. */
export const MASK = '****'

/** Query parameters of a webhook URL whose values are secrets (DingTalk's `access_token`). */
const SECRET_PARAM = /token|secret|sign|key/i

/** `access_token=abc` → `access_token=****`; the rest of the URL stays readable. */
export function toMaskedUrl(text: string): string {
  return maskUrl(text, MASK, (name) => SECRET_PARAM.test(name))
}

/** Keeps the first 4 characters (`LTAI`, the AccessKey ID prefix) when the rest stays hidden. */
function toMaskedKeyId(id: string): string {
  return id.length > 8 ? `${id.slice(0, 4)}${MASK}` : MASK
}

function mask(secret: string | undefined): string | undefined {
  return secret === undefined ? undefined : MASK
}

function toMaskedRobot(robot: RobotConfig): Record<string, unknown> {
  return { ...robot, webhook: toMaskedUrl(robot.webhook), secret: mask(robot.secret) }
}

function toMaskedSls(sls: SlsConfig): Record<string, unknown> {
  return {
    ...sls,
    accessKeyId: sls.accessKeyId && toMaskedKeyId(sls.accessKeyId),
    accessKeySecret: mask(sls.accessKeySecret),
  }
}

/** The config with secrets masked and durations as text, ready to print as YAML. */
export function toMaskedConfig(config: Config): Record<string, unknown> {
  const { outgoing } = config.dingtalk
  return {
    ...config,
    state: { ...config.state, retention: toDurationText(config.state.retention) },
    leaderElection: {
      ...config.leaderElection,
      leaseDuration: toDurationText(config.leaderElection.leaseDuration),
    },
    dingtalk: {
      robots: config.dingtalk.robots.map(toMaskedRobot),
      outgoing: {
        ...outgoing,
        token: mask(outgoing.token),
        appSecret: mask(outgoing.appSecret),
        stream: outgoing.stream && { ...outgoing.stream, clientSecret: MASK },
      },
    },
    archive: { ...config.archive, sls: config.archive.sls && toMaskedSls(config.archive.sls) },
    alerting: {
      ...config.alerting,
      groupWindow: toDurationText(config.alerting.groupWindow),
      watchDownAfter: toDurationText(config.alerting.watchDownAfter),
      nodeNotReadyAfter: toDurationText(config.alerting.nodeNotReadyAfter),
    },
  }
}

/** `toMaskedConfig` printed as YAML; keys left unset (undefined) are omitted. */
export function toMaskedYaml(config: Config): string {
  return stringify(toMaskedConfig(config))
}
