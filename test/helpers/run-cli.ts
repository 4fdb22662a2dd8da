/** `runCli` in-process with its output captured, as the CLI tests drive it. */
import { runCli } from '../../src/cli.ts'

/** Runs the command line `argv` in `cwd` with only `env`; returns the result and what it printed. */
export async function runCliCaptured(argv: string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = ''
  let stderr = ''
  const result = await runCli(argv, env, {
    cwd,
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
  })
  return { result, stdout, stderr }
}
