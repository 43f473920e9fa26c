// Argument and context constraints, compiled once into checks: `check(value)` returns undefined
// when the value satisfies the constraint, or a one-line failure in policy words.

import { compileLinear, RegexBudgetExceeded, RegexRefused, type LinearRegex } from './linearRegex';
import { compileBase, containment, type PathBase } from './paths';
import { redact } from './audit';
import type { Constraint, ContextConstraint, Json } from './types';

/** The value of an argument or context key that is not there. */
export const ABSENT: unique symbol = Symbol('absent');
export type Value = unknown | typeof ABSENT;

/** Longest string a `pattern` is run on; longer input is an engine error (so the call is denied). */
export const MAX_PATTERN_INPUT = 16 * 1024;

/** Raised for data the engine refuses to evaluate; decide() turns it into a deny. */
export class EngineError extends Error {
  readonly code = 'MANDATE_ENGINE_ERROR';
}

/** A compiled constraint: undefined on success, else why it failed (without the key name). */
export type Check = (value: Value) => string | undefined;

/** How a value is masked in messages: wholly (its key is redacted), or the redacted keys inside it (a set), or not. */
export type Masking = boolean | ReadonlySet<string>;

/**
 * Render a value for a message: JSON, truncated, masked when its key is redacted. INVARIANT: a redacted key inside
 * the value (`payment: { card_number: … }`) is masked too, before anything is cut: a reason is written to the audit
 * log and sent to the client, and redaction applies at any depth.
 */
export function show(value: unknown, redacted: Masking = false): string {
  if (redacted === true) return '`[redacted]`';
  if (redacted !== false && value !== null && typeof value === 'object') value = redact(value, redacted);
  let s: string;
  try {
    s = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? String(value);
  } catch {
    s = '[unprintable]';
  }
  if (s.length > 60) s = `${s.slice(0, 57)}...`;
  return `\`${s}\``;
}

/** Read an own property; inherited keys (`__proto__`, `toString`…) are never values. */
export function own(obj: unknown, key: string): Value {
  if (obj === null || typeof obj !== 'object') return ABSENT;
  return Object.prototype.hasOwnProperty.call(obj, key) ? (obj as Record<string, unknown>)[key] : ABSENT;
}

/** JSON equality: same type, same members; object keys compared as own keys. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
  }
  const ak = Object.keys(a);
  const bo = b as Record<string, unknown>;
  if (ak.length !== Object.keys(bo).length) return false;
  return ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual((a as Record<string, unknown>)[k], bo[k]));
}

function isPrimitive(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** A membership test for `in` / `not_in`: a Set for primitives, deep equality for the rest. */
function member(list: readonly Json[]): (v: unknown) => boolean {
  const prims = new Set<unknown>(list.filter(isPrimitive));
  const objects = list.filter((x) => !isPrimitive(x));
  return (v) => (isPrimitive(v) ? prims.has(v) : objects.some((o) => jsonEqual(o, v)));
}

function typeOk(v: unknown, type: NonNullable<Constraint['type']>): boolean {
  switch (type) {
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number' && Number.isFinite(v);
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    case 'array': return Array.isArray(v);
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
  }
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Compile one constraint object. `redacted` masks the value in messages (see `show`). */
export function compileConstraint(c: Constraint, redacted: Masking = false): Check {
  // INVARIANT: the operators that can be undecidable go first (`mayBeUndecidable`): an undecidable one decides
  // the constraint whatever else would fail (see withinCheck), so the order of the operators never matters
  const first: Check[] = [];
  const checks: Check[] = [];
  const sv = (v: unknown): string => show(v, redacted);
  if (c.within) first.push(withinCheck(c.within, sv));
  const patternOk = c.pattern === undefined || validPattern(c.pattern);
  if (!patternOk) first.push(patternCheck(c.pattern!, sv));
  if ('equals' in c) {
    const want = c.equals;
    checks.push((v) => (jsonEqual(v, want) ? undefined : `${sv(v)} does not equal ${show(want)}`));
  }
  if (c.in) {
    const has = member(c.in);
    const list = c.in.map((x) => show(x)).join(', ');
    checks.push((v) => (has(v) ? undefined : `${sv(v)} is not one of ${list || 'an empty list'}`));
  }
  if (c.not_in) {
    const has = member(c.not_in);
    checks.push((v) => (has(v) ? `${sv(v)} is one of the forbidden values` : undefined));
  }
  if (c.min !== undefined) {
    const min = c.min;
    checks.push((v) => typeof v !== 'number' || !Number.isFinite(v) ? `${sv(v)} is not a finite number (min ${min})`
      : v < min ? `${sv(v)} is below min ${min}` : undefined);
  }
  if (c.max !== undefined) {
    const max = c.max;
    checks.push((v) => typeof v !== 'number' || !Number.isFinite(v) ? `${sv(v)} is not a finite number (max ${max})`
      : v > max ? `${sv(v)} exceeds max ${max}` : undefined);
  }
  if (c.pattern !== undefined && patternOk) checks.push(patternCheck(c.pattern, sv));
  if (c.prefix !== undefined) {
    const prefix = c.prefix;
    checks.push((v) => (typeof v === 'string' && v.startsWith(prefix) ? undefined : `${sv(v)} does not start with ${show(prefix)}`));
  }
  if (c.max_length !== undefined) {
    const n = c.max_length;
    checks.push((v) => typeof v === 'string' ? (codePoints(v) <= n ? undefined : `is longer than ${n} characters`)
      : Array.isArray(v) ? (v.length <= n ? undefined : `has more than ${n} items`)
      : `${sv(v)} is not a string or list (max_length ${n})`);
  }
  if (c.type !== undefined) {
    const t = c.type;
    checks.push((v) => (typeOk(v, t) ? undefined : `${sv(v)} is not of type ${t}`));
  }
  if (c.not) {
    const inner = compileConstraint(c.not, redacted);
    (mayBeUndecidable(c.not) ? first : checks).push((v) => (inner(v) === undefined ? `${sv(v)} matches a forbidden constraint (not)` : undefined));
  }
  // INVARIANT: an absent value satisfies no constraint, `not` included.
  if (first.length + checks.length === 1) {
    const only = first[0] ?? checks[0]!;
    return (v) => (v === ABSENT ? 'is missing' : only(v));
  }
  const nFirst = first.length;
  checks.unshift(...first);
  return (v) => {
    if (v === ABSENT) return 'is missing';
    // INVARIANT: every check that can be undecidable runs, even after one of them failed: one that cannot be
    // decided decides the constraint (it throws), so `not: { within: [/docs], pattern: "(" }` is undecidable,
    // not "not within, so the not holds"
    let failed: string | undefined;
    for (let i = 0; i < nFirst; i++) {
      const why = checks[i]!(v); // not `failed ??= …`, which would skip the rest
      if (failed === undefined) failed = why;
    }
    if (failed !== undefined) return failed;
    for (let i = nFirst; i < checks.length; i++) {
      failed = checks[i]!(v);
      if (failed !== undefined) return failed;
    }
    return undefined;
  };
}

function patternCheck(pattern: string, sv: (v: unknown) => string): Check {
  let re: LinearRegex;
  try {
    re = compileLinear(pattern);
  } catch (err) {
    // INVARIANT: a pattern the engine cannot run — invalid, or lookaround / backreferences (lint reports both) —
    // is undecidable, like a refused path: a grant holding it does not match and a deny rule holding it denies
    // ("matches nothing" let a deny rule's calls through)
    const why = err instanceof RegexRefused ? err.message : 'is invalid';
    return () => { throw new EngineError(`pattern ${show(pattern)} ${why}`); };
  }
  return (v) => {
    if (typeof v !== 'string') return `${sv(v)} is not a string (pattern ${show(pattern)})`;
    if (v.length > MAX_PATTERN_INPUT) throw new EngineError(`value longer than ${MAX_PATTERN_INPUT} characters for pattern ${show(pattern)}`);
    let matched: boolean;
    try {
      // linear in the value whatever the pattern: no value can make a check slow (no ReDoS)
      matched = re.test(v);
    } catch (err) {
      if (err instanceof RegexBudgetExceeded) throw new EngineError(err.message);
      throw err;
    }
    return matched ? undefined : `${sv(v)} does not match pattern ${show(pattern)}`;
  };
}

/**
 * `within`. INVARIANT: a value it refuses (not a string, an encoded separator, a backslash, NUL, a climb above its
 * start, a spelling that folding file systems place on the other side of a base — see containment) and a base
 * it cannot read make the check undecidable (EngineError), not merely failed: under `not`, or in a deny
 * rule, a mere failure would let exactly the refused paths through. decide() turns the error into a
 * failed grant or a matching deny rule.
 */
function withinCheck(raw: readonly string[], sv: (v: unknown) => string): Check {
  const compiled = raw.map(compileBase);
  const list = raw.map((b) => show(b)).join(', ');
  const bad = raw.find((_, i) => compiled[i] === undefined);
  if (bad !== undefined) return () => { throw new EngineError(`within base ${show(bad)} cannot be read as a path`); };
  const bases = compiled as PathBase[];
  return (v) => {
    if (typeof v !== 'string') throw new EngineError(`${sv(v)} is not a path (within ${list})`);
    const n = containment(v, bases);
    if (!n.ok) throw new EngineError(`${sv(v)} ${n.why} (within ${list})`);
    return n.inside ? undefined : `${sv(v)} is not within ${list}`;
  };
}

/**
 * A check for selecting calls (simulate's invariants and targets), not for deciding them: a value the check
 * cannot decide (EngineError) is simply not selected, where decide() would deny.
 */
export function selecting(check: Check): Check {
  return (v) => {
    try {
      return check(v);
    } catch (err) {
      if (err instanceof EngineError) return `cannot be decided: ${err.message}`;
      throw err;
    }
  };
}

/**
 * Whether a constraint holds an operator that can be undecidable — a `within`, or a `pattern` the engine
 * cannot run (patternProblem) — directly or under `not`. Such operators are evaluated first (see withinCheck).
 */
export function mayBeUndecidable(c: Constraint): boolean {
  return c.within !== undefined || (c.pattern !== undefined && !validPattern(c.pattern)) || (c.not !== undefined && mayBeUndecidable(c.not));
}

/**
 * Why the engine cannot run a policy pattern, or undefined when it can: not a valid regular expression (`u`
 * syntax), or valid but refused by the linear-time matcher (lookaround, backreferences, too large).
 */
export function patternProblem(pattern: string): string | undefined {
  // asked several times per pattern (compile orders the checks by it; four lint rules ask, on every edit in
  // the editor): building the automaton once is enough
  const known = problems.get(pattern);
  if (known !== undefined) return known === '' ? undefined : known;
  let problem = '';
  try {
    compileLinear(pattern);
  } catch (err) {
    problem = err instanceof RegexRefused ? `it ${err.message}` : `it is not a valid regular expression (${(err as Error).message})`;
  }
  if (problems.size >= 1024) problems.clear(); // INVARIANT: a cache only; bounded
  problems.set(pattern, problem);
  return problem === '' ? undefined : problem;
}

/** patternProblem's answers by pattern ('' for none). */
const problems = new Map<string, string>();

/** Whether the engine can run a policy pattern (see patternProblem). */
export function validPattern(pattern: string): boolean {
  return patternProblem(pattern) === undefined;
}

/** A context constraint: a bare list means `in`. */
export function compileContextConstraint(c: ContextConstraint, redacted: Masking = false): Check {
  return compileConstraint(Array.isArray(c) ? { in: c } : c, redacted);
}
