/**
 * How the benches print: one row per figure with its target and `ok`/`MISSED` at the end of the
 * line (bench/run.ts counts the misses by that ending), and notes on the setup wrapped beneath.
 */

const LABEL_WIDTH = 19
const LINE_WIDTH = 100

/** `MISSED` ends a row whose target was not met. */
export const MISSED = 'MISSED'

/** A figure: `  label   value   target …  ok`; without a target, just the value. */
export function row(label: string, value: string, target?: { text: string; met: boolean }): string {
  const line = `  ${label.padEnd(LABEL_WIDTH)}${value}`
  return target ? `${line}   target ${target.text}  ${target.met ? 'ok' : MISSED}` : line
}

/** Setup details under a row, indented to the values and wrapped at word boundaries. */
export function note(text: string): string[] {
  const indent = ' '.repeat(LABEL_WIDTH + 2)
  const lines: string[] = []
  let current = ''
  for (const word of text.split(' ')) {
    if (current !== '' && indent.length + current.length + 1 + word.length > LINE_WIDTH) {
      lines.push(indent + current)
      current = word
    } else {
      current = current === '' ? word : `${current} ${word}`
    }
  }
  if (current !== '') lines.push(indent + current)
  return lines
}
