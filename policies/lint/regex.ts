// A small analyser of `pattern` sources (JavaScript `u` syntax) for catastrophic backtracking:
// nested unbounded quantifiers that can end an inner and an outer repetition on the same character,
// and alternatives under an unbounded quantifier that can start with the same character.
// Conservative where exact language analysis would be needed; it never runs the regex.

import { ANY, DIGIT, SPACE, WORD, complement, normalize, overlaps, type CharSet, type Range } from './charSets';

type Node =
  | { k: 'chars'; set: CharSet }
  | { k: 'seq'; items: Node[] }
  | { k: 'alt'; alts: Node[] }
  | { k: 'rep'; body: Node; min: number; max: number; src: string }
  | { k: 'empty' };

/** Repetitions with an upper bound above this count as unbounded. */
const LARGE = 9;

/** Thrown inside the parser only; the analyser then reports nothing (invalid patterns are another rule's). */
class Unparsable extends Error {}

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  parse(): Node {
    const n = this.alternation();
    if (this.i < this.s.length) throw new Unparsable('unbalanced `)`');
    return n;
  }

  private peek(): string | undefined {
    return this.s[this.i];
  }

  private alternation(): Node {
    const alts = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : { k: 'alt', alts };
  }

  private sequence(): Node {
    const items: Node[] = [];
    while (this.i < this.s.length && this.peek() !== '|' && this.peek() !== ')') {
      const start = this.i;
      const atom = this.atom();
      items.push(this.quantified(atom, start));
    }
    return { k: 'seq', items };
  }

  private quantified(atom: Node, start: number): Node {
    const c = this.peek();
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{' && /^\{\d+(,\d*)?\}/.test(this.s.slice(this.i))) {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(this.s.slice(this.i))!;
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      this.i += m[0].length - 1;
    } else return atom;
    this.i++;
    if (this.peek() === '?') this.i++;
    return { k: 'rep', body: atom, min, max, src: this.s.slice(start, this.i) };
  }

  private atom(): Node {
    const c = this.s.codePointAt(this.i)!;
    const ch = String.fromCodePoint(c);
    this.i += ch.length;
    switch (ch) {
      case '.': return { k: 'chars', set: ANY };
      case '^': case '$': return { k: 'empty' };
      case '[': return { k: 'chars', set: this.charClass() };
      case '(': return this.group();
      case '\\': return this.escape(false);
      default: return { k: 'chars', set: [[c, c]] };
    }
  }

  private group(): Node {
    let look = false;
    if (this.s.startsWith('?:', this.i)) this.i += 2;
    else if (/^\?<?[=!]/.test(this.s.slice(this.i))) {
      look = true;
      this.i += this.s[this.i + 1] === '<' ? 3 : 2;
    } else if (this.s.startsWith('?<', this.i)) {
      const end = this.s.indexOf('>', this.i);
      if (end < 0) throw new Unparsable('group name');
      this.i = end + 1;
    }
    const body = this.alternation();
    if (this.peek() !== ')') throw new Unparsable('unclosed group');
    this.i++;
    // Lookarounds match no characters: they cannot take part in backtracking over the input's length here.
    return look ? { k: 'empty' } : body;
  }

  private escape(inClass: boolean): Node {
    const e = this.s[this.i++];
    if (e === undefined) throw new Unparsable('trailing backslash');
    const sets: Record<string, CharSet> = { d: DIGIT, D: complement(DIGIT), w: WORD, W: complement(WORD), s: SPACE, S: complement(SPACE) };
    if (sets[e]) return { k: 'chars', set: sets[e] };
    if (!inClass && (e === 'b' || e === 'B')) return { k: 'empty' };
    if ((e === 'p' || e === 'P') && this.peek() === '{') {
      this.i = this.s.indexOf('}', this.i) + 1;
      return { k: 'chars', set: ANY };
    }
    // A back-reference repeats earlier text: it may match anything, including nothing.
    if (!inClass && /[1-9]/.test(e)) return { k: 'rep', body: { k: 'chars', set: ANY }, min: 0, max: Infinity, src: `\\${e}` };
    if (!inClass && e === 'k' && this.peek() === '<') {
      this.i = this.s.indexOf('>', this.i) + 1;
      return { k: 'rep', body: { k: 'chars', set: ANY }, min: 0, max: Infinity, src: '\\k' };
    }
    const cp = this.escapedCodePoint(e);
    return { k: 'chars', set: [[cp, cp]] };
  }

  private escapedCodePoint(e: string): number {
    const simple: Record<string, number> = { n: 10, r: 13, t: 9, f: 12, v: 11, '0': 0, b: 8 };
    if (simple[e] !== undefined) return simple[e];
    const hex = (len: number): number => {
      const h = this.s.slice(this.i, this.i + len);
      this.i += len;
      return parseInt(h, 16);
    };
    if (e === 'x') return hex(2);
    if (e === 'u' && this.peek() === '{') {
      const end = this.s.indexOf('}', this.i);
      const v = parseInt(this.s.slice(this.i + 1, end), 16);
      this.i = end + 1;
      return v;
    }
    if (e === 'u') return hex(4);
    if (e === 'c') return (this.s.charCodeAt(this.i++) % 32);
    return e.codePointAt(0)!;
  }

  private charClass(): CharSet {
    const negate = this.peek() === '^';
    if (negate) this.i++;
    const ranges: Range[] = [];
    while (this.peek() !== ']') {
      if (this.i >= this.s.length) throw new Unparsable('unclosed class');
      const lo = this.classAtom();
      if (this.peek() === '-' && this.s[this.i + 1] !== ']' && lo.length === 1 && lo[0]![0] === lo[0]![1]) {
        this.i++;
        const hi = this.classAtom();
        ranges.push([lo[0]![0], hi[0]?.[1] ?? lo[0]![0]]);
      } else ranges.push(...lo);
    }
    this.i++;
    const set = normalize(ranges);
    return negate ? complement(set) : set;
  }

  private classAtom(): CharSet {
    const c = this.s.codePointAt(this.i)!;
    const ch = String.fromCodePoint(c);
    this.i += ch.length;
    if (ch !== '\\') return [[c, c]];
    const n = this.escape(true);
    return n.k === 'chars' ? n.set : ANY;
  }
}

function nullable(n: Node): boolean {
  switch (n.k) {
    case 'chars': return false;
    case 'empty': return true;
    case 'seq': return n.items.every(nullable);
    case 'alt': return n.alts.some(nullable);
    case 'rep': return n.min === 0 || nullable(n.body);
  }
}

/** The characters a non-empty match of `n` can start with. */
function first(n: Node): CharSet {
  switch (n.k) {
    case 'chars': return n.set;
    case 'empty': return [];
    case 'rep': return first(n.body);
    case 'alt': return normalize(n.alts.flatMap((a) => [...first(a)]));
    case 'seq': {
      const out: Range[] = [];
      for (const item of n.items) {
        out.push(...first(item));
        if (!nullable(item)) break;
      }
      return normalize(out);
    }
  }
}

/** Unbounded repetitions that can be the last thing `n` matches (what follows them in `n` may match nothing). */
function tails(n: Node): Array<Extract<Node, { k: 'rep' }>> {
  switch (n.k) {
    case 'chars': case 'empty': return [];
    case 'alt': return n.alts.flatMap(tails);
    case 'rep': return [...(n.max > LARGE ? [n] : []), ...tails(n.body)];
    case 'seq': {
      const out: Array<Extract<Node, { k: 'rep' }>> = [];
      for (let i = n.items.length - 1; i >= 0; i--) {
        const item = n.items[i]!;
        out.push(...tails(item));
        if (!nullable(item)) break;
      }
      return out;
    }
  }
}

/** One backtracking hazard, described in policy words. */
export interface RegexHazard {
  /** exponential: nested or overlapping repetition; polynomial: adjacent repetitions over shared characters */
  kind: 'exponential' | 'polynomial';
  /** the part of the pattern at fault */
  part: string;
  why: string;
}

/** Unbounded repetitions in a row (only optional parts between them) that can match the same characters. */
function adjacent(items: readonly Node[], found: RegexHazard[]): void {
  for (let i = 0; i < items.length; i++) {
    const a = items[i]!;
    if (a.k !== 'rep' || a.max <= LARGE) continue;
    for (let j = i + 1; j < items.length; j++) {
      const b = items[j]!;
      if (b.k === 'rep' && b.max > LARGE && overlaps(first(a.body), first(b.body))) {
        found.push({ kind: 'polynomial', part: `${a.src}…${b.src}`, why: 'two repetitions in a row can split the same characters in many ways (quadratic or worse)' });
        return;
      }
      if (!nullable(b)) break;
    }
  }
}

function walk(n: Node, found: RegexHazard[]): void {
  if (n.k === 'seq') {
    n.items.forEach((x) => walk(x, found));
    adjacent(n.items, found);
  }
  if (n.k === 'alt') n.alts.forEach((x) => walk(x, found));
  if (n.k !== 'rep') return;
  walk(n.body, found);
  if (n.max <= LARGE) return;
  const start = first(n.body);
  for (const inner of tails(n.body)) {
    if (inner !== n.body && overlaps(first(inner.body), start)) {
      found.push({ kind: 'exponential', part: n.src, why: `\`${inner.src}\` repeats inside a repetition and can end where the next repetition starts` });
      return;
    }
  }
  if (n.body.k === 'rep' && !nullable(n.body.body)) {
    found.push({ kind: 'exponential', part: n.src, why: 'a repetition of a repetition' });
    return;
  }
  const alts = n.body.k === 'alt' ? n.body.alts : [];
  for (let a = 0; a < alts.length; a++) {
    for (let b = a + 1; b < alts.length; b++) {
      if (overlaps(first(alts[a]!), first(alts[b]!))) {
        found.push({ kind: 'exponential', part: n.src, why: 'alternatives under a repetition can start with the same character' });
        return;
      }
    }
  }
}

/** Backtracking hazards of a regex source; empty when none is found or the source does not parse. */
export function regexHazards(source: string): RegexHazard[] {
  let tree: Node;
  try {
    tree = new Parser(source).parse();
  } catch (err) {
    if (err instanceof Unparsable || err instanceof RangeError || err instanceof TypeError) return [];
    throw err;
  }
  const found: RegexHazard[] = [];
  walk(tree, found);
  return found;
}
