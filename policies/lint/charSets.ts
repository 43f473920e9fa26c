// Character sets for the regex analyser: code points as sorted, disjoint ranges.

export type Range = readonly [number, number];
/** A set of code points as sorted, disjoint ranges. */
export type CharSet = readonly Range[];

export const MAX_CP = 0x10ffff;
export const ANY: CharSet = [[0, MAX_CP]];
export const DIGIT: CharSet = [[48, 57]];
export const WORD: CharSet = [[48, 57], [65, 90], [95, 95], [97, 122]];
export const SPACE: CharSet = [[9, 13], [32, 32], [160, 160], [0x1680, 0x1680], [0x2000, 0x200a], [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff]];

/** Sort and merge ranges. */
export function normalize(ranges: Range[]): CharSet {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const out: Array<[number, number]> = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

/** Every code point not in `set`. */
export function complement(set: CharSet): CharSet {
  const out: Range[] = [];
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** True when the sets share a code point. */
export function overlaps(a: CharSet, b: CharSet): boolean {
  return a.some(([lo, hi]) => b.some(([l2, h2]) => lo <= h2 && l2 <= hi));
}
