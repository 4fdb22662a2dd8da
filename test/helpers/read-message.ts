/**
 * Reads back what a delivered message accounts for, in either language, for tests that count
 * occurrences end to end: a digest says its total in its first line, an alert names its object.
 */

/** The occurrences a digest accounts for; undefined for a message that is not a digest. */
export function digestOccurrences(text: string): number | undefined {
  const m =
    /^#### 【[^】]+】\S+ · (?:(\d+) occurrences? in \d+ alerts?|\d+ 条告警，共 (\d+) 次)/.exec(text)
  return m ? Number(m[1] ?? m[2]) : undefined
}

/** The name of the Pod a single alert is about, from its first line. */
export function alertPodName(text: string): string | undefined {
  return /^#### 【[^】]+】\S+ · Pod (?:[^/\s]+\/)?(\S+) · /.exec(text)?.[1]
}
