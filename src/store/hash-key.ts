/**
 * A 53-bit hash of a string, for the store's lookup indexes (event uid, grouping key). An index
 * of the full text holds ~45 bytes an entry and is written at random places: ~80 entries to a
 * page, so every routed event dirtied a page of its own in each such index, and with the archive
 * past the page cache each of those was a read and a write of 4 KiB. An integer of at most 8
 * bytes packs about three times as many entries to a page. The hash only narrows the search:
 * every lookup compares the text too, so two strings that share a hash stay two rows.
 *
 * Two 32-bit lanes over the UTF-16 code units (FNV-1a, and a multiply-xorshift lane with
 * MurmurHash2's constant), mixed at the end and joined into a safe integer. Stable: stored
 * hashes must match across versions and restarts, so this function never changes (a change
 * needs a migration that recomputes them).
 */
export function hashKey(text: string): number {
  let a = 0x811c9dc5
  let b = 0x9e3779b9
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    a = Math.imul(a ^ c, 0x01000193)
    b = Math.imul(b ^ c, 0x5bd1e995)
    b ^= b >>> 15
  }
  a ^= a >>> 16
  a = Math.imul(a, 0x85ebca6b)
  a ^= a >>> 13
  b ^= b >>> 16
  b = Math.imul(b, 0xc2b2ae35)
  b ^= b >>> 13
  // 32 bits of one lane and 21 of the other: below 2^53, exact as a JavaScript number.
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff)
}
