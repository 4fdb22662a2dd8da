/**
 * `${VAR}` references in config values, read from the environment.
 *
 * Rules:
 * 1. `${VAR}` is the variable's value; unset becomes '' (the schema treats '' as absent for
 *    optional secrets, so `secret: ${DINGTALK_SECRET}` just works when it is not set).
 * 2. `${VAR:-default}` is `default` when VAR is unset or empty, as in the shell.
 * 3. `$${` writes a literal `${` (so `$${HOME}` stays `${HOME}`); a `$` anywhere else is kept.
 * 4. VAR is a shell name (`[A-Za-z_][A-Za-z0-9_]*`); the default ends at the first `}` and is
 *    not itself interpolated (no nesting). Anything else inside `${...}`, or a `${` that is
 *    never closed, is a problem rather than silently kept, since it is almost always a typo.
 */

const REFERENCE = /\$\$\{|\$\{([^}]*)(\}?)/g
const INSIDE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s

/** The interpolated text, or what is wrong with a reference (never the variable's value). */
export type Interpolated = { ok: true; text: string } | { ok: false; problem: string }

/** Replaces every `${VAR}` / `${VAR:-default}` in `text` with its value from `env`. */
export function interpolateEnv(text: string, env: NodeJS.ProcessEnv): Interpolated {
  let problem: string | undefined
  const result = text.replace(REFERENCE, (match, inside: string | undefined, closed: string) => {
    if (match === '$${') return '${'
    const parts = closed ? INSIDE.exec(inside ?? '') : null
    if (!parts) {
      // The text is not echoed: it may be a secret that happens to contain `${`.
      problem ??= closed
        ? `a \${...} reference must be \${VAR} or \${VAR:-default} (write $\${ for a literal \${)`
        : `a \${ is never closed with } (write $\${ for a literal \${)`
      return match
    }
    const [, name, fallback] = parts
    const value = env[name as string]
    if (fallback !== undefined && (value === undefined || value === '')) return fallback
    return value ?? ''
  })
  return problem === undefined ? { ok: true, text: result } : { ok: false, problem }
}
