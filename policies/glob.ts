// Tool-name globs: `*` matches any run of characters (including none); everything else is literal.

/** True when `pattern` contains a wildcard. */
export function isGlob(pattern: string): boolean {
  return pattern.includes('*');
}

/**
 * Match `name` against a `*` glob in O(pattern × name) time without regular expressions
 * (no backtracking blow-up, whatever the caller sends).
 */
export function globMatch(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let mark = 0;
  while (n < name.length) {
    if (p < pattern.length && pattern[p] !== '*' && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = n;
    } else if (star !== -1) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * True when some tool name matches both `*` globs (either may be a plain name). A walk over the pairs of
 * positions, O(a × b): a star consumes a character the other side's literal (or star) consumes.
 */
export function globsOverlap(a: string, b: string): boolean {
  const seen = new Set<number>();
  const stack: Array<[number, number]> = [[0, 0]];
  const width = b.length + 1;
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    const key = i * width + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (i === a.length && j === b.length) return true;
    const sa = a[i] === '*';
    const sb = b[j] === '*';
    if (sa) stack.push([i + 1, j]); // the star matches nothing more
    if (sb) stack.push([i, j + 1]);
    if (sa && j < b.length && !sb) stack.push([i, j + 1]); // a's star takes b's literal
    if (sb && i < a.length && !sa) stack.push([i + 1, j]); // b's star takes a's literal
    if (!sa && !sb && i < a.length && j < b.length && a[i] === b[j]) stack.push([i + 1, j + 1]);
  }
  return false;
}
