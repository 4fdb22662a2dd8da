/** Where the config comes from, in the interface's order of precedence. */
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'

/** The file the default search looks for in the working directory. */
export const DEFAULT_CONFIG_FILE = 'kubeding.yaml'

/**
 * A config file (`from` says who named it; `shown` is the path as the operator wrote it) or,
 * with no file anywhere, the environment variables alone.
 */
export type ConfigLocation =
  | { kind: 'file'; from: '--config' | 'KUBEDING_CONFIG' | 'default'; path: string; shown: string }
  | { kind: 'env' }

/**
 * 1. `--config FILE`; 2. `KUBEDING_CONFIG`; 3. `./kubeding.yaml` if it exists; 4. environment only.
 * A file named by 1 or 2 is returned even when missing: reading it then reports the error,
 * because silently falling back to defaults would hide a typo in the path.
 */
export function locateConfig(options: {
  configPath: string | undefined
  env: NodeJS.ProcessEnv
  cwd: string
}): ConfigLocation {
  const { configPath, env, cwd } = options
  if (configPath !== undefined) {
    return { kind: 'file', from: '--config', path: resolve(cwd, configPath), shown: configPath }
  }
  const fromEnv = env.KUBEDING_CONFIG
  if (fromEnv) {
    return { kind: 'file', from: 'KUBEDING_CONFIG', path: resolve(cwd, fromEnv), shown: fromEnv }
  }
  const fallback = resolve(cwd, DEFAULT_CONFIG_FILE)
  if (existsSync(fallback)) {
    return { kind: 'file', from: 'default', path: fallback, shown: DEFAULT_CONFIG_FILE }
  }
  return { kind: 'env' }
}
