// Regular expressions that run in time linear in their input, whatever the pattern.
//
// Policy `pattern`s, and the `pattern` / `patternProperties` of the JSON Schemas MCP servers send in
// `tools/list`, are JavaScript regular expressions (`u` syntax). V8 runs them by backtracking, so one crafted
// pattern — `^(.*a){20}$`, written by a policy author or sent by a server — could hold the proxy for minutes
// on a 41-character value. Here the pattern is parsed into a Thompson NFA and the input is read once, every
// live state advanced together (no backtracking), so a test costs O(input length × pattern states).
//
// Exactness: the meaning of each single-character atom (a literal, an escape such as `\s` or `\p{L}`, a
// class, `.`) is V8's own — the atom is compiled by V8 and tried on one code point at a time — and the
// structure around the atoms (sequence, `|`, groups, `* + ? {n,m}`, `^ $ \b \B`) is regular, so a test
// answers exactly what `new RegExp(pattern, 'u').test(input)` answers. `test/property/linearRegex.test.ts`
// holds the two to that on generated patterns and inputs.
//
// Refused (RegexRefused): lookahead, lookbehind and backreferences, which have no linear-time meaning;
// inline modifiers; and patterns whose automaton would exceed MAX_STATES. A test that would take more
// than MATCH_STEP_LIMIT steps throws RegexBudgetExceeded. Callers fail closed on both.

/** A pattern this engine will not run (lookaround, backreferences, too large); the message reads after "the pattern". */
export class RegexRefused extends Error {
  readonly code = 'MANDATE_REGEX_REFUSED';
}

/** A test that would exceed the step budget. */
export class RegexBudgetExceeded extends Error {
  readonly code = 'MANDATE_REGEX_BUDGET';
}

/** Largest automaton compiled (counted repetitions are expanded: `a{1000}` is about 1,000 states). */
export const MAX_STATES = 50_000;
/**
 * Most steps one test may take — and, inside a match budget (enterMatchBudget), all the tests of one decision together: a
 * bound on their cost whatever the patterns and values (a few hundred ms at worst here; `npm run bench --
 * pattern` prints the worst case it knows). A step is a state visited or an atom tried; an atom's first use
 * in a test and each distinct non-ASCII code point it is asked about cost more (ATOM_FIRST_USE,
 * ATOM_MISS_COST: V8 may have to decide them), charged the same whatever the caches hold (see v8Atom).
 */
export const MATCH_STEP_LIMIT = 4_000_000;
export const ATOM_MISS_COST = 25;
export const ATOM_FIRST_USE = 1024;

export interface LinearRegex {
  /** Whether the pattern matches anywhere in `input` (RegExp.prototype.test without flags beyond `u`). */
  test(input: string): boolean;
  /** The pattern source. */
  readonly source: string;
  /** States in the automaton. */
  readonly size: number;
  /** Steps the last test took (states visited plus atoms tried): at most about 3 × size per input character. */
  readonly steps: number;
}

/**
 * Compile a pattern (JavaScript `u` syntax). Throws SyntaxError when it is not a valid regular expression
 * and RegexRefused when it is valid but cannot be run in linear time.
 */
export function compileLinear(source: string): LinearRegex {
  new RegExp(source, 'u'); // the syntax is V8's: the parser below may assume a valid pattern
  const parser = new Parser(source);
  const ast = parser.parse();
  return new Program(source, ast, parser.atoms);
}

/** States left for the patterns compiled inside withStateBudget, and what that budget is (for messages). */
let stateAllowance: { remaining: number; what: string } | undefined;

/**
 * Steps left for the tests of the current match budget (a decision: its policy patterns and every schema
 * pattern Ajv tests, however many values), so the cost of a call is bounded, not the cost of each test.
 * Infinity outside a budget. Plain numbers, not an object: decide() opens a budget on every call.
 */
let stepsLeft = Infinity;

/** Open a match budget of `steps` (within any open one); returns what leaveMatchBudget needs. */
export function enterMatchBudget(steps: number): number {
  const outer = stepsLeft;
  stepsLeft = Math.min(steps, outer);
  return outer;
}

/** Close the budget enterMatchBudget(steps) opened, charging the steps used to the one around it. */
export function leaveMatchBudget(outer: number, steps: number): void {
  stepsLeft = outer - (Math.min(steps, outer) - stepsLeft);
}

/**
 * Run `fn` with one state budget shared by every pattern compiled inside it (a server's tool list: a schema
 * of thousands of large patterns would otherwise hold gigabytes), beyond which patterns are refused.
 */
export function withStateBudget<T>(states: number, fn: () => T): T {
  const outer = stateAllowance;
  stateAllowance = { remaining: states, what: `${states} states for all the patterns of one tool list` };
  try {
    return fn();
  } finally {
    stateAllowance = outer;
  }
}

/** Ajv's `code.regExp` option: schemas' `pattern` and `patternProperties` run in linear time too. */
export const ajvLinearRegExp = Object.assign(
  (pattern: string, flags: string): { test(s: string): boolean } => {
    if (flags !== 'u' && flags !== '') throw new RegexRefused(`is used with flags ${JSON.stringify(flags)}, which are not supported`);
    return compileLinear(pattern);
  },
  { code: 'mandateLinearRegExp' },
);

// ---- parsing ---------------------------------------------------------------------------------------------

/** Zero-width assertions, stored as numbers in the automaton. */
const START = 0;
const END = 1;
const WORD_BOUNDARY = 2;
const NOT_WORD_BOUNDARY = 3;
type Assert = typeof START | typeof END | typeof WORD_BOUNDARY | typeof NOT_WORD_BOUNDARY;

type Ast =
  | { t: 'atom'; atom: number }
  | { t: 'assert'; a: Assert }
  | { t: 'seq'; items: Ast[] }
  | { t: 'alt'; alts: Ast[] }
  | { t: 'rep'; body: Ast; min: number; max: number };

/** One code point's test. */
type Atom = (cp: number) => boolean;

const DOT: Atom = (cp) => cp !== 0x0a && cp !== 0x0d && cp !== 0x2028 && cp !== 0x2029;

/** Steps owed for atoms V8 decided since the running test last collected them. */
let atomCharges = 0;
/** Which test is running (atoms charge per test, whatever their caches hold). */
let testSerial = 0;
/** (atom, code point) → answer, for the running test only: a pair is charged (and asked of V8) once per test. */
const testAnswers = new Map<number, boolean>();
let nextAtomId = 0;

/**
 * An atom V8 decides: `^(?:src)$` tried on one code point, remembered for ASCII and (boundedly) the rest.
 * INVARIANT: what a test is charged depends on the pattern and the input only, never on what earlier tests
 * left in the caches — the same call gets the same decision, at the budget's edge too. An atom's first use
 * in a test costs ATOM_FIRST_USE (covering the 128 V8 calls that may fill its ASCII table), each distinct
 * non-ASCII code point ATOM_MISS_COST; the real cost is never more.
 */
function v8Atom(src: string): Atom {
  const re = new RegExp(`^(?:${src})$`, 'u');
  const id = nextAtomId++;
  const ascii = new Int8Array(128); // 0 unknown, 1 yes, 2 no
  const other = new Map<number, boolean>();
  let usedIn = -1;
  return (cp) => {
    if (usedIn !== testSerial) {
      usedIn = testSerial;
      atomCharges += ATOM_FIRST_USE;
    }
    if (cp < 128) {
      const known = ascii[cp]!;
      if (known !== 0) return known === 1;
      const yes = re.test(String.fromCharCode(cp));
      ascii[cp] = yes ? 1 : 2;
      return yes;
    }
    const key = id * 0x110000 + cp;
    const answered = testAnswers.get(key);
    if (answered !== undefined) return answered;
    atomCharges += ATOM_MISS_COST;
    let yes = other.get(cp);
    if (yes === undefined) {
      yes = re.test(String.fromCodePoint(cp));
      if (other.size >= 4096) other.clear(); // INVARIANT: a cache only; bounded so input cannot grow it
      other.set(cp, yes);
    }
    testAnswers.set(key, yes);
    return yes;
  };
}

function isHex(c: string | undefined): boolean {
  return c !== undefined && /^[0-9a-fA-F]$/.test(c);
}

class Parser {
  private i = 0;
  readonly atoms: Atom[] = [];
  private readonly bySource = new Map<string, number>();

  constructor(private readonly s: string) {}

  parse(): Ast {
    const ast = this.alternation();
    if (this.i !== this.s.length) throw new RegexRefused(`cannot be read at offset ${this.i}`);
    return ast;
  }

  private alternation(): Ast {
    const alts = [this.sequence()];
    while (this.s[this.i] === '|') {
      this.i++;
      alts.push(this.sequence());
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private sequence(): Ast {
    const items: Ast[] = [];
    while (this.i < this.s.length && this.s[this.i] !== '|' && this.s[this.i] !== ')') {
      items.push(this.quantified(this.term()));
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  }

  private quantified(body: Ast): Ast {
    const s = this.s;
    let min: number;
    let max: number;
    const c = s[this.i];
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') {
      const m = /^\{(\d+)(,(\d*))?\}/.exec(s.slice(this.i, this.i + 64));
      if (!m) throw new RegexRefused(`has a repetition that cannot be read at offset ${this.i}`);
      min = Number(m[1]);
      max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
      if (min > MAX_STATES || (max !== Infinity && max > MAX_STATES)) {
        throw new RegexRefused(`repeats more than ${MAX_STATES} times (\`${m[0]}\`)`);
      }
      this.i += m[0].length - 1;
    } else return body;
    this.i++;
    if (s[this.i] === '?') this.i++; // lazy: the same language, and test() asks only whether a match exists
    return { t: 'rep', body, min, max };
  }

  private term(): Ast {
    const s = this.s;
    const c = s[this.i]!;
    switch (c) {
      case '^': this.i++; return { t: 'assert', a: START };
      case '$': this.i++; return { t: 'assert', a: END };
      case '(': return this.group();
      case '.': this.i++; return this.atom('.', DOT);
      case '[': {
        const start = this.i;
        let j = this.i + 1;
        if (s[j] === '^') j++;
        while (j < s.length && s[j] !== ']') j += s[j] === '\\' ? 2 : 1;
        this.i = j + 1;
        return this.v8(s.slice(start, this.i));
      }
      case '\\': return this.escape();
      default: {
        const cp = s.codePointAt(this.i)!;
        this.i += cp > 0xffff ? 2 : 1;
        return this.atom(String.fromCodePoint(cp), (x) => x === cp);
      }
    }
  }

  private group(): Ast {
    const s = this.s;
    this.i++;
    if (s.startsWith('?:', this.i)) this.i += 2;
    else if (s.startsWith('?<', this.i) && s[this.i + 2] !== '=' && s[this.i + 2] !== '!') {
      this.i = s.indexOf('>', this.i) + 1; // a named group captures like any group; captures are not needed
    } else if (s[this.i] === '?') {
      const [what, opener] = s.startsWith('?=', this.i) || s.startsWith('?!', this.i) ? ['a lookahead', s.slice(this.i - 1, this.i + 2)]
        : s.startsWith('?<', this.i) ? ['a lookbehind', s.slice(this.i - 1, this.i + 3)] : ['a group modifier', s.slice(this.i - 1, this.i + 2)];
      throw new RegexRefused(`uses ${what} (\`${opener}\`), which cannot be matched in linear time`);
    }
    const inner = this.alternation();
    if (s[this.i] !== ')') throw new RegexRefused(`has a group that cannot be read at offset ${this.i}`);
    this.i++;
    return inner;
  }

  private escape(): Ast {
    const s = this.s;
    const start = this.i;
    const n = s[this.i + 1];
    let end = this.i + 2;
    switch (n) {
      case 'b': this.i = end; return { t: 'assert', a: WORD_BOUNDARY };
      case 'B': this.i = end; return { t: 'assert', a: NOT_WORD_BOUNDARY };
      case 'k': throw new RegexRefused('uses a named backreference (`\\k<…>`), which cannot be matched in linear time');
      case 'p': case 'P': end = s.indexOf('}', end) + 1; break;
      case 'x': end += 2; break;
      case 'c': end += 1; break;
      case 'u':
        if (s[end] === '{') end = s.indexOf('}', end) + 1;
        else {
          end += 4;
          // INVARIANT: in `u` syntax an escaped surrogate pair is one code point, as V8 reads it
          const lead = parseInt(s.slice(start + 2, end), 16);
          if (lead >= 0xd800 && lead <= 0xdbff && s[end] === '\\' && s[end + 1] === 'u' && [2, 3, 4, 5].every((k) => isHex(s[end + k]))) {
            const trail = parseInt(s.slice(end + 2, end + 6), 16);
            if (trail >= 0xdc00 && trail <= 0xdfff) end += 6;
          }
        }
        break;
      default:
        if (n !== undefined && n >= '1' && n <= '9') {
          throw new RegexRefused(`uses a backreference (\`\\${n}\`), which cannot be matched in linear time`);
        }
    }
    this.i = end;
    return this.v8(s.slice(start, end));
  }

  private v8(src: string): Ast {
    return this.atom(src, undefined);
  }

  private atom(src: string, direct: Atom | undefined): Ast {
    let index = this.bySource.get(src);
    if (index === undefined) {
      index = this.atoms.length;
      this.atoms.push(direct ?? v8Atom(src));
      this.bySource.set(src, index);
    }
    return { t: 'atom', atom: index };
  }
}

// ---- the automaton ---------------------------------------------------------------------------------------

/** Automaton state kinds (a Uint8Array holds them). */
const ATOM = 0;
const SPLIT = 1;
const ASSERT = 2;
const JUMP = 3;
const MATCH = 4;
type Op = typeof ATOM | typeof SPLIT | typeof ASSERT | typeof JUMP | typeof MATCH;

class Builder {
  readonly op: Op[] = [];
  readonly out1: number[] = [];
  readonly out2: number[] = [];
  readonly arg: number[] = [];

  add(op: Op, out1: number, out2 = -1, arg = 0): number {
    if (this.op.length >= MAX_STATES) throw new RegexRefused(`needs more than ${MAX_STATES} matcher states`);
    this.op.push(op);
    this.out1.push(out1);
    this.out2.push(out2);
    this.arg.push(arg);
    return this.op.length - 1;
  }

  /** The start state of `ast` followed by state `next` (built back to front). */
  build(ast: Ast, next: number): number {
    switch (ast.t) {
      case 'atom': return this.add(ATOM, next, -1, ast.atom);
      case 'assert': return this.add(ASSERT, next, -1, ast.a);
      case 'seq': {
        let cur = next;
        for (let k = ast.items.length - 1; k >= 0; k--) cur = this.build(ast.items[k]!, cur);
        return cur === next ? this.add(JUMP, next) : cur;
      }
      case 'alt': {
        let cur = this.build(ast.alts[ast.alts.length - 1]!, next);
        for (let k = ast.alts.length - 2; k >= 0; k--) cur = this.add(SPLIT, this.build(ast.alts[k]!, next), cur);
        return cur;
      }
      case 'rep': {
        let cur = next;
        if (ast.max === Infinity) {
          const loop = this.add(SPLIT, -1, next);
          this.out1[loop] = this.build(ast.body, loop);
          cur = loop;
        } else {
          for (let k = ast.min; k < ast.max; k++) cur = this.add(SPLIT, this.build(ast.body, cur), next);
        }
        for (let k = 0; k < ast.min; k++) cur = this.build(ast.body, cur);
        return cur === next ? this.add(JUMP, next) : cur;
      }
    }
  }
}

/** ASCII word characters: `\b` in `u` syntax without the `i` flag. */
function isWordUnit(u: number): boolean {
  return (u >= 0x61 && u <= 0x7a) || (u >= 0x41 && u <= 0x5a) || (u >= 0x30 && u <= 0x39) || u === 0x5f;
}

const MATCHED = -1;

/**
 * Run-time buffers shared by every program, grown to the largest one tested: a program holds only its
 * automaton (13 bytes a state), so compiling many large patterns costs no run-time memory. INVARIANT: tests
 * never nest (an atom calls V8, never a program), so one set serves all; marks are told apart by a
 * generation counter shared by all programs.
 */
const shared = { mark: new Uint32Array(0), a: new Int32Array(0), b: new Int32Array(0), scratch: new Int32Array(0), stack: new Int32Array(0), generation: 0, running: false };

function buffersFor(size: number): void {
  if (shared.mark.length >= size) return;
  const n = Math.max(size, 2 * shared.mark.length, 64);
  shared.mark = new Uint32Array(n);
  shared.generation = 0;
  shared.a = new Int32Array(n);
  shared.b = new Int32Array(n);
  shared.scratch = new Int32Array(n);
  shared.stack = new Int32Array(2 * n + 1);
}

function nextGeneration(): number {
  if (shared.generation === 0xffffffff) {
    shared.mark.fill(0);
    shared.generation = 0;
  }
  return ++shared.generation;
}

class Program implements LinearRegex {
  readonly size: number;
  private readonly op: Uint8Array;
  private readonly out1: Int32Array;
  private readonly out2: Int32Array;
  private readonly arg: Int32Array;
  private readonly start: number;
  /** Whether every match must begin at offset 0 (the pattern starts with `^` on every branch). */
  private readonly anchored: boolean;
  steps = 0;

  constructor(readonly source: string, ast: Ast, private readonly atoms: readonly Atom[]) {
    const b = new Builder();
    const match = b.add(MATCH, -1);
    this.start = b.build(ast, match);
    this.size = b.op.length;
    if (stateAllowance) {
      if (this.size > stateAllowance.remaining) throw new RegexRefused(`needs ${this.size} matcher states, beyond the ${stateAllowance.what}`);
      stateAllowance.remaining -= this.size;
    }
    this.op = Uint8Array.from(b.op);
    this.out1 = Int32Array.from(b.out1);
    this.out2 = Int32Array.from(b.out2);
    this.arg = Int32Array.from(b.arg);
    this.anchored = startsAnchored(ast);
  }

  test(input: string): boolean {
    if (shared.running) throw new Error('linearRegex: a test ran inside another test');
    shared.running = true;
    this.steps = 0;
    atomCharges = 0;
    testSerial++;
    testAnswers.clear();
    const limit = Math.min(MATCH_STEP_LIMIT, stepsLeft);
    try {
      return this.run(input, limit);
    } finally {
      shared.running = false;
      this.steps += atomCharges;
      atomCharges = 0;
      testAnswers.clear();
      stepsLeft -= this.steps; // Infinity outside a budget stays Infinity
    }
  }

  private run(input: string, limit: number): boolean {
    buffersFor(this.size);
    const n = input.length;
    let cur = shared.a;
    let nxt = shared.b;
    let count = this.closure(this.start, input, 0, cur, 0, nextGeneration());
    if (count === MATCHED) return true;
    let pos = 0;
    while (pos < n) {
      const cp = input.codePointAt(pos)!;
      const np = pos + (cp > 0xffff ? 2 : 1);
      // V8 also tries a match starting between the halves of a surrogate pair, where nothing can be read:
      // only an empty match (`\B`) succeeds there. Mirrored so the answer stays V8's.
      if (cp > 0xffff && !this.anchored && this.closure(this.start, input, pos + 1, shared.scratch, 0, nextGeneration()) === MATCHED) return true;
      const gen = nextGeneration();
      let ncount = 0;
      for (let k = 0; k < count; k++) {
        const st = cur[k]!;
        if (this.atoms[this.arg[st]!]!(cp)) {
          ncount = this.closure(this.out1[st]!, input, np, nxt, ncount, gen);
          if (ncount === MATCHED) return true;
        }
      }
      this.steps += count + atomCharges;
      atomCharges = 0;
      if (!this.anchored) {
        ncount = this.closure(this.start, input, np, nxt, ncount, gen);
        if (ncount === MATCHED) return true;
      } else if (ncount === 0) return false;
      if (this.steps > limit) {
        const whose = limit < MATCH_STEP_LIMIT ? `${MATCH_STEP_LIMIT} steps for one decision` : `${MATCH_STEP_LIMIT} steps`;
        throw new RegexBudgetExceeded(`pattern ${JSON.stringify(this.source.slice(0, 40))} would take more than the ${whose} on a ${n}-character value`);
      }
      [cur, nxt] = [nxt, cur];
      count = ncount;
      pos = np;
    }
    return false;
  }

  /** Add the atom states reachable from `from` without reading (at offset `pos`) to `list`; MATCHED if Match is. */
  private closure(from: number, input: string, pos: number, list: Int32Array, count: number, gen: number): number {
    const { op, out1, out2, arg } = this;
    const { mark, stack } = shared;
    let top = 0;
    stack[top++] = from;
    while (top > 0) {
      const st = stack[--top]!;
      if (mark[st] === gen) continue;
      mark[st] = gen;
      this.steps++;
      switch (op[st]) {
        case ATOM: list[count++] = st; break;
        case MATCH: return MATCHED;
        case JUMP: stack[top++] = out1[st]!; break;
        case SPLIT: stack[top++] = out2[st]!; stack[top++] = out1[st]!; break;
        case ASSERT: if (holds(arg[st]! as Assert, input, pos)) stack[top++] = out1[st]!; break;
      }
    }
    return count;
  }

  /** INVARIANT: distinct per source — Ajv keys its cache of compiled patterns by `toString()`. */
  toString(): string {
    return `/${this.source}/u (linear)`;
  }
}

function holds(a: Assert, input: string, pos: number): boolean {
  switch (a) {
    case START: return pos === 0;
    case END: return pos === input.length;
    default: {
      const before = pos > 0 && isWordUnit(input.charCodeAt(pos - 1));
      const after = pos < input.length && isWordUnit(input.charCodeAt(pos));
      return (before !== after) === (a === WORD_BOUNDARY);
    }
  }
}

/** Whether every way through `ast` starts with `^` (so a match can only begin at offset 0). */
function startsAnchored(ast: Ast): boolean {
  switch (ast.t) {
    case 'assert': return ast.a === START;
    case 'seq': return ast.items.length > 0 && startsAnchored(ast.items[0]!);
    case 'alt': return ast.alts.every(startsAnchored);
    case 'rep': return ast.min > 0 && startsAnchored(ast.body);
    default: return false;
  }
}
