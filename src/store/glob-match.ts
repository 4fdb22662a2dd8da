/**
 * `*` wildcards for mute names, matched without building a regex from user text: a pattern
 * like `****************Z` made the old backtracking regex take 53 s on one pod name. Here the
 * pattern is split once into literal pieces, and a name is checked by finding each piece left to
 * right, so the work is bounded by name length × pattern length, whatever the input.
 */

/** A compiled `*` pattern: literal pieces that must appear in order. */
export interface Glob {
  /** The text before the first `*` (the whole pattern when it has none). */
  head: string
  /** Pieces between stars, empty ones dropped; undefined when the pattern has no `*`. */
  middle: string[] | undefined
  /** The text after the last `*`. */
  tail: string
}

/** Splits `pattern` on `*`; every other character is literal. */
export function toGlob(pattern: string): Glob {
  const pieces = pattern.split('*')
  if (pieces.length === 1) return { head: pattern, middle: undefined, tail: '' }
  return {
    head: pieces[0] as string,
    middle: pieces.slice(1, -1).filter((piece) => piece !== ''),
    tail: pieces.at(-1) as string,
  }
}

/**
 * True when `text` matches the whole pattern. Leftmost-first placement of each middle piece is
 * enough: a star before it can absorb anything, so an earlier fit never rules out a match that a
 * later fit would allow. No backtracking, each piece is searched for once.
 */
export function isGlobMatch(glob: Glob, text: string): boolean {
  if (glob.middle === undefined) return text === glob.head
  const end = text.length - glob.tail.length
  if (end < glob.head.length || !text.startsWith(glob.head) || !text.endsWith(glob.tail)) {
    return false
  }
  let from = glob.head.length
  for (const piece of glob.middle) {
    const at = text.indexOf(piece, from)
    if (at === -1 || at + piece.length > end) return false
    from = at + piece.length
  }
  return true
}
