// The naive reference interpreter: decides a call straight from the raw Policy object, read from
// DESIGN.md alone. No indexes, no precompilation, no code shared with policies/ — differential tests only.

import type { Call, Constraint, ContextConstraint, DenyRule, Effect, Grant, Policy } from '../policies/types';

/** What the reference decides: the effect and the ids of the rules that decided it. */
export interface ReferenceDecision {
  effect: Effect;
  /** the first matching deny rule, or the deciding grants: ids, or `grants[i]` / `deny[i]` without one */
  rules: string[];
}

/** Thrown inside the interpreter when the policy or the call cannot be evaluated; becomes a deny. */
class InterpretError extends Error {}

const DENY: ReferenceDecision = { effect: 'deny', rules: [] };

/** Longest tool name decided (an input bound, not a policy rule). */
const MAX_TOOL_NAME = 256;

/**
 * Decide `call` under `policy` the slow, obvious way: every deny rule, then every grant, in order.
 * Never throws: any error while deciding is a deny (fail closed).
 */
export function referenceDecide(policy: Policy, call: Call): ReferenceDecision {
  try {
    return decideOrThrow(policy, call);
  } catch {
    return DENY;
  }
}

function decideOrThrow(policy: Policy, call: Call): ReferenceDecision {
  // 1. no authenticated identity → deny
  if (typeof call.principal !== 'string' || call.principal === '') return DENY;
  // malformed input is denied: a tool name must be a non-empty string of bounded length
  if (typeof call.tool !== 'string' || call.tool === '' || call.tool.length > MAX_TOOL_NAME) return DENY;
  const roles = Array.isArray(call.roles) ? call.roles.filter((r): r is string => typeof r === 'string') : [];
  // INVARIANT: a clock that is not a finite number decides nothing but deny.
  if (typeof call.now !== 'number' || !Number.isFinite(call.now)) return DENY;
  const args = call.args === undefined ? {} : call.args;
  // MCP `arguments` is an object; anything else is malformed, whatever the grants say (fail closed)
  if (args === null || typeof args !== 'object' || Array.isArray(args)) return DENY;
  const context: unknown = call.context === undefined || call.context === null ? {} : call.context;
  // the context is a map of names to values; anything else is malformed (fail closed)
  if (typeof context !== 'object' || Array.isArray(context)) return DENY;

  // 2. any matching deny rule → deny, naming it
  const denies: string[] = [];
  const denyRules = policy.deny ?? [];
  for (let i = 0; i < denyRules.length; i++) {
    const rule = denyRules[i]!;
    // a deny rule that cannot be evaluated (an undecidable `within`) denies, as if it matched
    let matches: boolean;
    try {
      matches = denyMatches(policy, rule, roles, call.tool, args, context);
    } catch (err) {
      if (!(err instanceof InterpretError)) throw err;
      matches = true;
    }
    if (matches) denies.push(rule.id ?? `deny[${i}]`);
  }
  if (denies.length > 0) return { effect: 'deny', rules: denies.slice(0, 1) }; // the first one decides

  // 3. every grant that matches
  const withApproval: string[] = [];
  const without: string[] = [];
  const grants = policy.grants ?? [];
  for (let i = 0; i < grants.length; i++) {
    const grant = grants[i]!;
    // a grant that cannot be evaluated (an undecidable `within`) does not match; the others still may
    let matches: boolean;
    try {
      matches = grantMatches(policy, grant, roles, call.tool, args, context, call.now);
    } catch (err) {
      if (!(err instanceof InterpretError)) throw err;
      matches = false;
    }
    if (!matches) continue;
    (grant.requires_approval === true ? withApproval : without).push(grant.id ?? `grants[${i}]`);
  }
  if (without.length > 0) return { effect: 'allow', rules: without };
  if (withApproval.length > 0) return { effect: 'approval_required', rules: withApproval };
  // 4. nothing matches → deny
  return DENY;
}

function denyMatches(policy: Policy, rule: DenyRule, roles: string[], tool: string, args: unknown, context: unknown): boolean {
  if (!toolListMatches(rule.tool, rule.tools, tool)) return false;
  // A deny rule naming roles applies to a caller holding any of them; one naming none applies to all.
  const named: string[] = [...(rule.roles ?? []), ...(rule.agent_role !== undefined ? [rule.agent_role] : [])];
  if (named.length > 0 && !named.some((r) => roles.includes(r))) return false;
  // INVARIANT: a deny rule naming an undefined scope cannot be evaluated, so it denies whatever its
  // other constraints say (any error while deciding → deny); lint reports the scope.
  const names = rule.scope === undefined ? [] : typeof rule.scope === 'string' ? [rule.scope] : rule.scope;
  if (names.some((n) => !isOwn(policy.scopes, n))) return true;
  // the arguments (the rule's and its scopes'), `within` first, before any context: an undecidable path decides it
  const defs = names.map((n) => policy.scopes![n]!);
  const argSets = [rule.args, ...defs.map((d) => d.args)].filter((a): a is Record<string, Constraint> => a !== undefined);
  // every `within` on a present argument is tried first: one that cannot be decided throws (the rule denies)
  for (const set of argSets) for (const key of Object.keys(set)) if (mayBeUndecidable(set[key]!) && present(args, key)) holds(set[key]!, (args as Record<string, unknown>)[key]);
  const contextSets = [rule.context, ...defs.map((d) => d.context)].filter((c): c is Record<string, ContextConstraint> => c !== undefined);
  for (const set of contextSets) {
    for (const key of Object.keys(set)) {
      const c = set[key]!;
      if (!Array.isArray(c) && mayBeUndecidable(c) && present(context, key)) holds(c, (context as Record<string, unknown>)[key]);
    }
  }
  for (const set of argSets) if (!argsHold(set, args)) return false;
  if (rule.context !== undefined && !contextHolds(rule.context, context)) return false;
  for (const d of defs) if (d.context !== undefined && !contextHolds(d.context, context)) return false;
  return true;
}

function grantMatches(policy: Policy, grant: Grant, roles: string[], tool: string, args: unknown, context: unknown, now: number): boolean {
  // a role the policy does not declare has no grants
  if (!isOwn(policy.roles, grant.agent_role)) return false;
  if (!roles.includes(grant.agent_role)) return false;
  if (!toolListMatches(grant.tool, grant.tools, tool)) return false;
  // the clock is read in whole milliseconds, so a bound with finer digits takes effect at the next one
  if (grant.not_before !== undefined && !(now >= Math.ceil(exactDateTime(grant.not_before)))) return false;
  if (grant.expires !== undefined && !(now < Math.ceil(exactDateTime(grant.expires)))) return false;
  if (grant.context !== undefined && !contextHolds(grant.context, context)) return false;
  // a grant naming an undefined scope never matches (fail closed); lint reports it
  return scopesHold(policy, grant.scope, args, context);
}

/** Every named scope is defined and its argument and context constraints hold. */
function scopesHold(policy: Policy, scope: string[] | string | undefined, args: unknown, context: unknown): boolean {
  const names = scope === undefined ? [] : typeof scope === 'string' ? [scope] : scope;
  for (const name of names) {
    if (!isOwn(policy.scopes, name)) return false;
    const def = policy.scopes![name]!;
    if (def.args !== undefined && !argsHold(def.args, args)) return false;
    if (def.context !== undefined && !contextHolds(def.context, context)) return false;
  }
  return true;
}

function toolListMatches(one: string | undefined, many: string[] | undefined, tool: string): boolean {
  const patterns = [...(one !== undefined ? [one] : []), ...(many ?? [])];
  for (const p of patterns) if (globMatches(p, tool)) return true;
  return false;
}

/** `*` matches any run of characters (including none); every other character matches itself. */
function globMatches(pattern: string, text: string): boolean {
  // ok[j] = pattern[0..i) matches text[0..j)
  let ok: boolean[] = [true];
  for (let j = 1; j <= text.length; j++) ok.push(false);
  for (let i = 0; i < pattern.length; i++) {
    const next: boolean[] = [];
    const pc = pattern[i];
    for (let j = 0; j <= text.length; j++) {
      if (pc === '*') next.push(ok[j]! || (j > 0 && next[j - 1]!));
      else next.push(j > 0 && ok[j - 1]! && text[j - 1] === pc);
    }
    ok = next;
  }
  return ok[text.length]!;
}

function argsHold(constraints: Record<string, Constraint>, args: unknown): boolean {
  // INVARIANT: an undecidable `within` decides the rule whatever else fails, so the keys that hold one go first
  const keys = Object.keys(constraints);
  for (const key of [...keys.filter((k) => mayBeUndecidable(constraints[k]!)), ...keys.filter((k) => !mayBeUndecidable(constraints[k]!))]) {
    if (!present(args, key)) return false; // absent satisfies nothing, `not` included
    if (!holds(constraints[key]!, (args as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** Whether a constraint holds an operator that can be undecidable (a `within`, an invalid `pattern`), directly or under `not`. */
function mayBeUndecidable(c: Constraint): boolean {
  return c.within !== undefined || (c.pattern !== undefined && regex(c.pattern) === null) || (c.not !== undefined && mayBeUndecidable(c.not));
}

/**
 * The pattern as a regular expression, or null when it is not one — or uses lookaround or backreferences,
 * which DESIGN's engine refuses (it matches in linear time; they have no such meaning).
 */
function regex(pattern: string): RegExp | null {
  try {
    return refusedSyntax(pattern) ? null : new RegExp(pattern, 'u');
  } catch {
    return null;
  }
}

/** Whether the source has a lookahead, a lookbehind or a backreference (outside classes, not escaped). */
function refusedSyntax(pattern: string): boolean {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1] ?? '';
      if (!inClass && (n === 'k' || (n >= '1' && n <= '9'))) return true;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!') || rest === '<=' || rest === '<!') return true;
    }
  }
  return false;
}

function contextHolds(constraints: Record<string, ContextConstraint>, context: unknown): boolean {
  for (const key of Object.keys(constraints)) {
    if (!present(context, key)) return false;
    const c = constraints[key]!;
    const value = (context as Record<string, unknown>)[key];
    if (!holds(Array.isArray(c) ? { in: c } : c, value)) return false;
  }
  return true;
}

/** An own property of a plain (non-array) object; anything else has no keys at all. */
function present(container: unknown, key: string): boolean {
  if (container === null || typeof container !== 'object' || Array.isArray(container)) return false;
  return Object.prototype.hasOwnProperty.call(container, key);
}

function isOwn(map: Record<string, unknown> | undefined, key: string): boolean {
  return map !== undefined && map !== null && Object.prototype.hasOwnProperty.call(map, key);
}

/** Every operator in `c` holds on a present value. */
function holds(c: Constraint, v: unknown): boolean {
  // the operators that can be undecidable first, every one of them (`within`, an invalid pattern, a `not`
  // holding either): when one cannot be decided, nothing else decides instead — not even a `within` that failed
  const inside = c.within === undefined || isWithinAny(v, c.within);
  if (c.pattern !== undefined && regex(c.pattern) === null) throw new InterpretError('invalid pattern');
  const forbidden = c.not !== undefined && mayBeUndecidable(c.not) && holds(c.not, v);
  if (!inside || forbidden) return false;
  if (c.equals !== undefined && !jsonEquals(c.equals, v)) return false;
  if (c.in !== undefined && !c.in.some((x) => jsonEquals(x, v))) return false;
  if (c.not_in !== undefined && c.not_in.some((x) => jsonEquals(x, v))) return false;
  if (c.min !== undefined && !(isFiniteNumber(v) && v >= c.min)) return false;
  if (c.max !== undefined && !(isFiniteNumber(v) && v <= c.max)) return false;
  if (c.pattern !== undefined && !(typeof v === 'string' && regex(c.pattern)!.test(v))) return false;
  if (c.prefix !== undefined && !(typeof v === 'string' && v.startsWith(c.prefix))) return false;
  if (c.max_length !== undefined && !hasMaxLength(c.max_length, v)) return false;
  if (c.type !== undefined && !hasType(c.type, v)) return false;
  if (c.not !== undefined && holds(c.not, v)) return false;
  return true;
}

/** `max_length` bounds a string's characters (code points) or a list's items; nothing else has a length. */
function hasMaxLength(n: number, v: unknown): boolean {
  if (typeof v === 'string') return [...v].length <= n;
  return Array.isArray(v) && v.length <= n;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function hasType(t: string, v: unknown): boolean {
  switch (t) {
    case 'string': return typeof v === 'string';
    case 'number': return isFiniteNumber(v);
    case 'integer': return isFiniteNumber(v) && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'null': return v === null;
    case 'array': return Array.isArray(v);
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    default: throw new InterpretError(`unknown type ${t}`);
  }
}

/** Structural JSON equality: key order does not matter, nothing is coerced. */
function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return a === b;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!jsonEquals(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.prototype.hasOwnProperty.call(b, k)) return false;
    if (!jsonEquals((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Path containment: the normalised value lies at or under one of the normalised bases. A value that is
 * not a string or that splitPath refuses, and a base that is refused or climbs out, cannot be decided:
 * InterpretError (a grant holding it does not match; a deny rule holding it denies). Neither can a value
 * whose answer changes when names are folded as macOS, Windows and normalising servers fold them (case,
 * Unicode compatibility forms, invisible characters, trailing dots and spaces): the server may read either.
 */
function isWithinAny(value: unknown, bases: string[]): boolean {
  if (typeof value !== 'string') throw new InterpretError('within: not a path');
  const asWritten = insideAny(value, bases);
  const folded = insideAny(foldName(value), bases.map(foldName));
  if (asWritten !== folded) throw new InterpretError('within: the answer depends on how the file system folds names');
  return asWritten;
}

function insideAny(value: string, bases: string[]): boolean {
  const parsed = bases.map(splitPath);
  if (parsed.some((b) => b === null)) throw new InterpretError('a within base cannot be read as a path');
  const p = splitPath(value);
  if (p === null) throw new InterpretError('within: refused path');
  for (const b of parsed as Array<{ absolute: boolean; segments: string[] }>) {
    if (b.absolute !== p.absolute || b.segments.length > p.segments.length) continue;
    let prefix = true;
    for (let i = 0; i < b.segments.length; i++) if (b.segments[i] !== p.segments[i]) prefix = false;
    if (prefix) return true;
  }
  return false;
}

/**
 * A path as a folding file system reads it: no invisible characters, NFKC, lower case (final sigma as sigma), names
 * without an NTFS stream (`name:stream`) and without trailing dots or spaces.
 */
function foldName(path: string): string {
  const text = path.replace(/\p{Default_Ignorable_Code_Point}/gu, '').normalize('NFKC').toLowerCase().split('ς').join('σ');
  return text.split('/').map((whole) => {
    const name = whole.indexOf(':') > 0 ? whole.split(':')[0]! : whole;
    let end = name.length;
    while (end > 0 && (name[end - 1] === '.' || name[end - 1] === ' ')) end--;
    return end === 0 ? name : name.slice(0, end); // a name of dots only (`..`, `...`) is kept
  }).join('/');
}

/** Normalise `.`, `..` and duplicate separators; refuse backslashes, NUL, encoded dots/separators/NUL, climbing above the start and a scheme or drive. */
function splitPath(path: string): { absolute: boolean; segments: string[] } | null {
  // an empty path names nothing; a NUL byte (raw or `%00`) ends the path early for some servers
  if (path === '' || path.includes('\\') || path.includes('\u0000')) return null;
  const lower = path.toLowerCase();
  // encoded once or more (`%252e` is `%2e` to a server that decodes once, `.` to one that decodes twice; so is
  // `%25%32%65`): decode every escape, round after round, looking for an encoded one each time
  let decoded = lower;
  for (let round = 0; ; round++) {
    for (const enc of ['%2e', '%2f', '%5c', '%00']) if (decoded.includes(enc)) return null;
    // overlong UTF-8 (`%c0%ae` is `.` to a lenient decoder): lead bytes no valid UTF-8 has
    if (/%c[01]|%e0%[89]|%f0%8/.test(decoded)) return null;
    let next = '';
    for (let i = 0; i < decoded.length; i++) {
      const hex = decoded.slice(i + 1, i + 3);
      if (decoded[i] === '%' && /^[0-9a-f]{2}$/.test(hex)) {
        next += String.fromCharCode(parseInt(hex, 16)).toLowerCase();
        i += 2;
      } else next += decoded[i];
    }
    if (next === decoded) break;
    if (round === 7) return null; // still decoding to something new: what the server reads is anyone's guess
    decoded = next;
  }
  // `file:///etc`, `C:/etc`: a first name ending in a colon after letters (a URI scheme, a drive) names its own root
  const first = path.split('/')[0]!;
  const colon = first.indexOf(':');
  if (colon > 0 && /^[a-z][a-z0-9+.-]*$/.test(lower.slice(0, colon))) return null;
  // `//host/share`: a network path on Windows; POSIX leaves a leading `//` to the system
  if (path.startsWith('//')) return null;
  const absolute = path.startsWith('/');
  const segments: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') segments.push(part);
    else if (segments.length > 0) segments.pop();
    // `/..` is `/`; a relative path that climbs above its start lands where the server's working folder puts it
    else if (!absolute) return null;
  }
  return { absolute, segments };
}

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt\s](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;

/** RFC 3339 date-time → ms since epoch (NaN when it is not one); a leap second `:60` is the instant after `:59.999`. */
export function parseDateTime(text: string): number {
  const m = DATE_TIME.exec(text);
  if (m === null) return NaN; // compares false both ways: the grant cannot match
  const n = (i: number): number => Number(m[i] ?? '0');
  // a field out of its range names no instant (never rolled over): a grant bounded by it cannot match
  if (n(2) < 1 || n(2) > 12 || n(4) > 23 || n(5) > 59 || n(6) > 60 || n(10) > 23 || n(11) > 59) return NaN;
  const ms = Number(`${(m[7] ?? '.').slice(1)}000`.slice(0, 3)); // sub-millisecond digits are dropped
  const d = new Date(0);
  d.setUTCFullYear(n(1), n(2) - 1, n(3));
  if (n(3) < 1 || d.getUTCMonth() !== n(2) - 1) return NaN; // 2026-02-30
  d.setUTCHours(n(4), n(5), Math.min(n(6), 59), ms);
  const offset = m[8] !== undefined ? 0 : (m[9] === '-' ? -1 : 1) * (n(10) * 60 + n(11)) * 60_000;
  const utc = d.getTime() - offset;
  if (n(6) < 60) return utc;
  // a leap second exists only in the last minute of a UTC day, and is the instant after its :59.999
  const at = new Date(utc);
  if (at.getUTCHours() !== 23 || at.getUTCMinutes() !== 59) return NaN;
  return utc + 1000;
}

/**
 * The date-time as an instant: parseDateTime plus half a millisecond when digits below the millisecond are
 * not all zero (any point strictly inside that millisecond compares the same with a whole-millisecond clock).
 */
function exactDateTime(text: string): number {
  const frac = DATE_TIME.exec(text)?.[7] ?? '';
  return parseDateTime(text) + (/[1-9]/.test(frac.slice(4)) ? 0.5 : 0);
}
