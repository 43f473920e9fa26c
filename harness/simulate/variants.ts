// Near-miss values around a policy constant: string look-alikes, numeric edges, path tricks.
// Each function returns the constant's neighbours a careful attacker (or a careless agent) would try.

import type { Constraint, Json } from '../../policies';

const LOOKALIKE: Readonly<Record<string, string>> = { a: '\u0430', e: '\u0435', o: '\u043e', c: '\u0441', p: '\u0440', i: '\u0456' };

/** Strings a reviewer would read as `s`, or as a sibling of `s`: case, affixes, separators, homoglyphs. */
export function stringVariants(s: string): string[] {
  const out = [s, s.toUpperCase(), s.charAt(0).toUpperCase() + s.slice(1), `${s} `, ` ${s}`, `${s}x`, `x${s}`,
    `${s}-x`, `evil-${s}`, `${s}\n`, `${s}.evil.example`, s.slice(0, -1), s.replace(/-/g, '_'), s.replace(/_/g, '-'),
    s.replace(/[-_.]/g, ''), `${s}/x`, `x/${s}`];
  const ch = [...s].findIndex((c) => c in LOOKALIKE);
  if (ch >= 0) out.push([...s].map((c, i) => (i === ch ? LOOKALIKE[c]! : c)).join(''));
  return out;
}

/** Numbers at and around a bound, the same as strings, and the usual edges. */
export function numberVariants(n: number): Json[] {
  const out: Json[] = [n, n - 1, n + 1, n - 0.01, n + 0.01, n - 0.001, n + 0.001, Math.floor(n), Math.ceil(n), -n, String(n), String(n + 1)];
  return out.filter((v) => typeof v !== 'number' || Number.isFinite(v));
}

/** Paths that look inside `base` but may not be, and paths that are. */
export function pathVariants(base: string): string[] {
  const b = base.replace(/\/+$/, '');
  const rel = b.replace(/^\/+/, '');
  const out = [`${b}/readme.md`, b, `${b}/./x.md`, `${b}/../secret.txt`, `${b}/sub/../../secret.txt`, `${b}//x.md`,
    `${b}\\..\\secret.txt`, `${b}/%2e%2e/secret.txt`, `${b}%2fx.md`, `${b}-private/x.md`, `${b}x/y.md`, `../${rel}/x.md`,
    `./${rel}/x.md`, b.startsWith('/') ? `${rel}/x.md` : `/${rel}/x.md`, `${b}/sub/x.md`, `${b}/..`];
  return out;
}

/** Strings around a `prefix`: inside it, climbing out of it, and just short of it. */
export function prefixVariants(p: string): string[] {
  return [`${p}x`, `${p}../secret.txt`, `${p}/../../etc/passwd`, p, p.slice(0, -1), `${p.toUpperCase()}x`, `x${p}`];
}

/**
 * Every constant a constraint mentions, with its neighbours: one list per constant (the constant or
 * its nearest value first), so a pool that must be cut can keep every constant before any near-miss.
 * `samples` supplies strings matching a pattern.
 */
export function constraintValues(c: Constraint, samples: (pattern: string) => string[]): Json[][] {
  const out: Json[][] = [];
  const addAny = (v: Json): void => {
    if (typeof v === 'string') out.push(stringVariants(v));
    else if (typeof v === 'number') out.push(numberVariants(v));
    else out.push([v]);
  };
  if ('equals' in c && c.equals !== undefined) addAny(c.equals);
  for (const v of c.in ?? []) addAny(v);
  for (const v of c.not_in ?? []) addAny(v);
  if (c.min !== undefined) out.push(numberVariants(c.min));
  if (c.max !== undefined) out.push(numberVariants(c.max));
  if (c.pattern !== undefined) {
    for (const s of samples(c.pattern)) out.push([s, `x${s}`, `${s}x`, `${s}\n`, `../${s}`]);
  }
  if (c.prefix !== undefined) out.push(prefixVariants(c.prefix));
  for (const base of c.within ?? []) out.push(pathVariants(base));
  if (c.max_length !== undefined) {
    const n = Math.min(c.max_length, 4096);
    out.push(['a'.repeat(n), 'a'.repeat(n + 1), Array.from({ length: Math.min(n + 1, 64) }, () => 'a')]);
  }
  if (c.not) out.push(...constraintValues(c.not, samples));
  return out;
}

/** Round-robin merge: the first of every list, then the second of every list, and so on. */
export function interleave<T>(lists: ReadonlyArray<readonly T[]>): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((l) => l.length));
  for (let i = 0; i < longest; i++) for (const l of lists) if (i < l.length) out.push(l[i]!);
  return out;
}

/** Values of every JSON type, so type confusion is always on the menu. */
export const GENERIC_VALUES: readonly Json[] = ['x', '', 0, 1, -1, 0.5, 1e12, true, false, null, [], {}, '1', 'ADMIN', '*'];

/** Context values not mentioned anywhere. */
export const UNKNOWN_CONTEXT = ['unknown', ''];
