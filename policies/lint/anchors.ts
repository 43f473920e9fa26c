// Anchoring of `pattern` sources: the engine tests patterns as a search, so `acme` matches `evil-acme`
// unless every alternative is anchored with `^…$`.

/** Split a regex source at its top-level `|` (outside groups and classes). */
export function topAlternatives(source: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) {
      out.push(source.slice(start, i));
      start = i + 1;
    }
  }
  out.push(source.slice(start));
  return out;
}

function anchoredOne(alt: string): boolean {
  if (!alt.startsWith('^') || !alt.endsWith('$')) return false;
  let slashes = 0;
  for (let i = alt.length - 2; i >= 0 && alt[i] === '\\'; i--) slashes++;
  return slashes % 2 === 0;
}

/** True when every top-level alternative starts with `^` and ends with an unescaped `$`. */
export function isAnchored(source: string): boolean {
  return topAlternatives(source).every(anchoredOne);
}

/** The pattern anchored at both ends: `acme` → `^(?:acme)$`, `^acme` → `^(?:acme)$`. */
export function anchor(source: string): string {
  const alts = topAlternatives(source);
  let core = source;
  if (alts.length === 1) {
    core = core.startsWith('^') ? core.slice(1) : core;
    if (anchoredOne(`^${core}`)) core = core.slice(0, -1);
  }
  return `^(?:${core})$`;
}
