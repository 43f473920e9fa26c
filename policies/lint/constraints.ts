// Constraint sanity: constraints that admit nothing, contradict themselves, match more than they look
// like (`prefix` on paths, unanchored patterns) or can hang the engine (catastrophic backtracking).

import { jsonEqual, validPattern } from '../constraints';
import { childPointer } from '../source';
import type { Constraint, ContextConstraint, Json } from '../types';
import { anchor, isAnchored } from './anchors';
import { regexHazards } from './regex';
import { allConstraints, constraints } from './references';
import type { LintContext, LintRule, RuleFinding } from './types';

/** Every bare-list context constraint (a list means `in`) of rules and invariant selectors, with its pointer. */
function contextLists(ctx: LintContext): Array<{ list: Json[]; pointer: string; key: string }> {
  const out: Array<{ list: Json[]; pointer: string; key: string }> = [];
  const group = (c: Record<string, ContextConstraint> | undefined, base: string): void => {
    for (const [key, v] of Object.entries(c ?? {})) if (Array.isArray(v)) out.push({ list: v, pointer: childPointer(base, key), key });
  };
  for (const [name, s] of Object.entries(ctx.policy.scopes ?? {})) group(s.context, `${childPointer('/scopes', name)}/context`);
  (ctx.policy.grants ?? []).forEach((g, i) => group(g.context, `/grants/${i}/context`));
  (ctx.policy.deny ?? []).forEach((d, i) => group(d.context, `/deny/${i}/context`));
  (ctx.policy.invariants ?? []).forEach((inv, i) => {
    if (inv.never) group(inv.never.context, `/invariants/${i}/never/context`);
    if (inv.always) group(inv.always.context, `/invariants/${i}/always/context`);
  });
  return out;
}

/** True when the constraint sits under a `not` (its meaning is inverted, so "admits nothing" rules do not apply). */
function negated(pointer: string): boolean {
  return /\/not(\/|$)/.test(pointer);
}

export const emptyIn: LintRule = {
  id: 'constraint/empty-in',
  severity: 'error',
  why: 'an empty `in` list admits no value, so every call it guards is denied (and an invariant holding it selects no call, so it proves nothing)',
  example: 'args: { vendor: { in: [] } }',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const { c, pointer, key } of allConstraints(ctx)) {
      if (c.in?.length === 0 && !negated(pointer)) out.push({ message: `\`${key}\` must be in an empty list: no value satisfies it`, pointer: `${pointer}/in`, range: ctx.source.range(`${pointer}/in`) });
    }
    for (const { list, pointer, key } of contextLists(ctx)) {
      if (list.length === 0) out.push({ message: `context \`${key}\` allows an empty list of values: no call satisfies it`, pointer, range: ctx.source.range(pointer) });
    }
    return out;
  },
};

const jsonType = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** The first contradiction between operators of one constraint object, in policy words. */
export function contradiction(c: Constraint): { op: string; why: string } | undefined {
  const numeric = c.min !== undefined || c.max !== undefined;
  const stringy = c.pattern !== undefined || c.prefix !== undefined || c.within !== undefined;
  if ('equals' in c) {
    const v = c.equals!;
    if (c.in && !c.in.some((x) => jsonEqual(x, v))) return { op: 'in', why: `\`equals\` ${JSON.stringify(v)} is not in its \`in\` list` };
    if (c.not_in?.some((x) => jsonEqual(x, v))) return { op: 'not_in', why: `\`equals\` ${JSON.stringify(v)} is also in its \`not_in\` list` };
    if (numeric && (typeof v !== 'number' || (c.min !== undefined && v < c.min) || (c.max !== undefined && v > c.max))) {
      return { op: c.min !== undefined ? 'min' : 'max', why: `\`equals\` ${JSON.stringify(v)} is outside its \`min\`/\`max\` range` };
    }
    if (stringy && typeof v !== 'string') return { op: 'equals', why: `\`equals\` ${JSON.stringify(v)} is not a string, but \`pattern\`, \`prefix\` or \`within\` needs one` };
    if (c.type !== undefined && !typeMatches(v, c.type)) return { op: 'type', why: `\`equals\` ${JSON.stringify(v)} is not of type \`${c.type}\`` };
  }
  if (c.in && c.in.length > 0 && c.not_in && c.in.every((x) => c.not_in!.some((y) => jsonEqual(x, y)))) {
    return { op: 'not_in', why: 'every value of its `in` list is also in `not_in`' };
  }
  if (c.type !== undefined && numeric && c.type !== 'number' && c.type !== 'integer') return { op: 'type', why: `\`min\`/\`max\` apply to numbers, but \`type\` is \`${c.type}\`` };
  if (c.type !== undefined && stringy && c.type !== 'string') return { op: 'type', why: `\`pattern\`, \`prefix\` and \`within\` apply to strings, but \`type\` is \`${c.type}\`` };
  if (numeric && stringy) return { op: 'min', why: '`min`/`max` need a number while `pattern`, `prefix` or `within` need a string' };
  return undefined;
}

function typeMatches(v: Json, t: string): boolean {
  if (t === 'integer') return Number.isInteger(v);
  return jsonType(v) === t;
}

export const contradictory: LintRule = {
  id: 'constraint/contradiction',
  severity: 'error',
  why: 'operators that cannot all hold (an `equals` outside its `in`, a number that must match a pattern) deny every call (and make an invariant select none)',
  example: 'args: { currency: { equals: EUR, in: [USD, GBP] } }',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const { c, pointer, key } of allConstraints(ctx)) {
      if (negated(pointer)) continue;
      const found = contradiction(c);
      if (!found) continue;
      const at = childPointer(pointer, found.op);
      out.push({ message: `\`${key}\` can never be satisfied: ${found.why}`, pointer: at, range: ctx.source.keyRange(at) });
    }
    return out;
  },
};

const PATH_KEY = /(^|[_-])(path|paths|file|files|filename|filepath|dir|dirs|directory|folder|dest|destination|src|source|target|cwd|root|location)$/i;

/** Whether a `prefix` on argument `key` reads as a path's (constraint/prefix-on-path's business): by the key's name, or a slash or leading `.`/`~` in it. */
const pathPrefix = (key: string, prefix: string): boolean => PATH_KEY.test(key) || /[/\\]|^[.~]/.test(prefix);

export const prefixOnPath: LintRule = {
  id: 'constraint/prefix-on-path',
  severity: 'warning',
  why: '`prefix: docs/` admits `docs/../secrets.env` and `docs-private/`; `within` normalises the path first',
  example: 'args: { path: { prefix: docs/ } }',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const { c, pointer, key } of constraints(ctx)) {
      if (c.prefix === undefined || negated(pointer)) continue;
      if (!pathPrefix(key, c.prefix)) continue;
      const next: Record<string, Json> = {};
      for (const [op, v] of Object.entries(c)) if (op !== 'prefix') next[op] = v as Json;
      next['within'] = [...(c.within ?? []), c.prefix === '' ? '.' : c.prefix];
      out.push({ message: `\`${key}\` looks like a path but is checked with \`prefix\` \`${c.prefix}\`, which \`..\` escapes: use \`within\``, pointer: `${pointer}/prefix`, range: ctx.source.keyRange(`${pointer}/prefix`),
        fix: [{ title: `use \`within: [${c.prefix}]\``, op: 'replace', pointer, value: next }] });
    }
    return out;
  },
};


export const unanchoredPattern: LintRule = {
  id: 'constraint/unanchored-pattern',
  severity: 'warning',
  why: 'patterns are searched, not matched whole: `acme` also admits `evil-acme`; anchor with `^…$`',
  example: 'args: { vendor: { pattern: "acme" } }',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const { c, pointer, key } of constraints(ctx)) {
      if (c.pattern === undefined || negated(pointer) || isAnchored(c.pattern) || !validPattern(c.pattern)) continue;
      const fixed = anchor(c.pattern);
      out.push({ message: `\`${key}\` pattern \`${c.pattern}\` is not anchored: it admits any value that merely contains a match`, pointer: `${pointer}/pattern`, range: ctx.source.range(`${pointer}/pattern`),
        fix: [{ title: `anchor it: \`${fixed}\``, op: 'replace', pointer: `${pointer}/pattern`, value: fixed }] });
    }
    return out;
  },
};

export const catastrophicPattern: LintRule = {
  id: 'constraint/catastrophic-pattern',
  severity: 'error',
  why: 'a pattern with nested or overlapping repetition takes exponential time on a crafted value in a backtracking engine (ReDoS): Mandate matches in linear time, but a server validating with the same pattern may not',
  example: 'args: { name: { pattern: "^(\\\\w+\\\\s?)*$" } }',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const { c, pointer, key } of constraints(ctx)) {
      if (c.pattern === undefined || !validPattern(c.pattern)) continue;
      const h = regexHazards(c.pattern).find((x) => x.kind === 'exponential');
      if (!h) continue;
      out.push({ message: `\`${key}\` pattern can backtrack catastrophically at \`${h.part}\`: ${h.why}`, pointer: `${pointer}/pattern`, range: ctx.source.range(`${pointer}/pattern`) });
    }
    return out;
  },
};

export const slowPattern: LintRule = {
  id: 'constraint/slow-pattern',
  severity: 'warning',
  why: 'two repetitions in a row over the same characters take quadratic time or worse on a long crafted value in a backtracking engine (Mandate\'s own matcher is linear)',
  example: 'args: { id: { pattern: "^\\\\d+\\\\d*$" } }',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const { c, pointer, key } of constraints(ctx)) {
      if (c.pattern === undefined || !validPattern(c.pattern)) continue;
      const hazards = regexHazards(c.pattern);
      const h = hazards.find((x) => x.kind === 'polynomial');
      if (!h || hazards.some((x) => x.kind === 'exponential')) continue;
      out.push({ message: `\`${key}\` pattern is slow at \`${h.part}\`: ${h.why}`, pointer: `${pointer}/pattern`, range: ctx.source.range(`${pointer}/pattern`) });
    }
    return out;
  },
};

/** Every context constraint (bare lists too) in scopes, grants, deny rules and invariant selectors, with its pointer. */
function contextConstraints(ctx: LintContext): Array<{ c: ContextConstraint; pointer: string; key: string }> {
  const out: Array<{ c: ContextConstraint; pointer: string; key: string }> = [];
  const group = (c: Record<string, ContextConstraint> | undefined, base: string): void => {
    for (const [key, v] of Object.entries(c ?? {})) out.push({ c: v, pointer: childPointer(base, key), key });
  };
  for (const [name, s] of Object.entries(ctx.policy.scopes ?? {})) group(s.context, `${childPointer('/scopes', name)}/context`);
  (ctx.policy.grants ?? []).forEach((g, i) => group(g.context, `/grants/${i}/context`));
  (ctx.policy.deny ?? []).forEach((d, i) => group(d.context, `/deny/${i}/context`));
  (ctx.policy.invariants ?? []).forEach((inv, i) => {
    if (inv.never) group(inv.never.context, `/invariants/${i}/never/context`);
    if (inv.always) group(inv.always.context, `/invariants/${i}/always/context`);
  });
  return out;
}

const kindOf = (v: Json): string => (Array.isArray(v) ? 'array' : v !== null && typeof v === 'object' ? 'object' : typeof v);

export const nonStringContext: LintRule = {
  id: 'constraint/non-string-context',
  severity: 'error',
  why: 'context values are always strings at run time (`--context k=v`, the proxy), so a constant that is not a string — an unquoted `false` or `3` — or a `min`/`max`/non-string `type` on context never matches: the grant never applies, the deny never fires, the invariant selects nothing (fix: quote it)',
  example: 'deny: [{ tool: deploy, context: { mfa: [false] }, reason: MFA required }]',
  check(ctx) {
    const out: RuleFinding[] = [];
    const constant = (v: Json, pointer: string, key: string): void => {
      if (typeof v === 'string') return;
      const quoted = JSON.stringify(v);
      out.push({
        message: `context \`${key}\` is compared with ${v === null ? 'null' : `the ${kindOf(v)} ${quoted}`}, but context values are always strings at run time: no call ever carries it — quote it (${JSON.stringify(quoted)})`,
        pointer, range: ctx.source.range(pointer), fix: [{ title: `quote it: ${JSON.stringify(quoted)}`, op: 'replace', pointer, value: quoted }],
      });
    };
    const walk = (c: Constraint, pointer: string, key: string): void => {
      if ('equals' in c && c.equals !== undefined) constant(c.equals, `${pointer}/equals`, key);
      for (const op of ['in', 'not_in'] as const) (c[op] ?? []).forEach((v, i) => constant(v, `${pointer}/${op}/${i}`, key));
      for (const op of ['min', 'max'] as const) {
        if (c[op] === undefined) continue;
        const at = `${pointer}/${op}`;
        out.push({ message: `context \`${key}\` has \`${op}\`, which holds for numbers only, but context values are always strings at run time: it never holds`, pointer: at, range: ctx.source.keyRange(at) });
      }
      if (c.type !== undefined && c.type !== 'string') {
        const at = `${pointer}/type`;
        out.push({ message: `context \`${key}\` must be of type \`${c.type}\`, but context values are always strings at run time: it never holds`, pointer: at, range: ctx.source.range(at) });
      }
      if (c.not) walk(c.not, `${pointer}/not`, key);
    };
    for (const { c, pointer, key } of contextConstraints(ctx)) {
      if (Array.isArray(c)) c.forEach((v, i) => constant(v, `${pointer}/${i}`, key));
      else walk(c, pointer, key);
    }
    return out;
  },
};

/** Who applies a group of argument constraints: a grant (its allow lists admit) or a deny rule (its lists forbid). */
interface ArgUser { deny: boolean; what: string }

/** Every group of argument constraints (a scope's, a deny rule's own) with the rules that apply it; an unused scope reads as a grant's. */
function argGroups(ctx: LintContext): Array<{ args: Record<string, Constraint>; base: string; users: ArgUser[] }> {
  const scopes = ctx.policy.scopes ?? {};
  const users = new Map<string, ArgUser[]>();
  const use = (scope: string | string[] | undefined, user: ArgUser): void => {
    for (const n of scope === undefined ? [] : Array.isArray(scope) ? scope : [scope]) {
      if (!Object.prototype.hasOwnProperty.call(scopes, n)) continue;
      const list = users.get(n);
      if (list) list.push(user);
      else users.set(n, [user]);
    }
  };
  (ctx.policy.grants ?? []).forEach((g) => use(g.scope, { deny: false, what: `the grant for \`${g.agent_role}\`` }));
  const out: Array<{ args: Record<string, Constraint>; base: string; users: ArgUser[] }> = [];
  (ctx.policy.deny ?? []).forEach((d, i) => {
    const user = { deny: true, what: `deny rule \`${d.id ?? `deny[${i}]`}\`` };
    use(d.scope, user);
    if (d.args) out.push({ args: d.args, base: `/deny/${i}/args`, users: [user] });
  });
  for (const [name, s] of Object.entries(scopes)) {
    if (s.args) out.push({ args: s.args, base: `${childPointer('/scopes', name)}/args`, users: users.get(name) ?? [{ deny: false, what: `scope \`${name}\`` }] });
  }
  return out;
}

/**
 * Every level of every argument constraint of `argGroups`: the constraint itself, then each `not` inside it, with
 * its pointer and whether it sits under an odd number of `not`s (which turns forbidding into allowing and back).
 */
function* constraintLevels(ctx: LintContext): Generator<{ key: string; c: Constraint; at: string; users: ArgUser[]; odd: boolean }> {
  for (const { args, base, users } of argGroups(ctx)) {
    for (const [key, top] of Object.entries(args)) {
      let odd = false;
      for (let c: Constraint | undefined = top, at = childPointer(base, key); c; c = c.not, at = `${at}/not`, odd = !odd) yield { key, c, at, users, odd };
    }
  }
}

/** A string with letters that have another case (`evil-corp`, not `1001`). */
const hasCase = (v: Json): v is string => typeof v === 'string' && v.toLowerCase() !== v.toUpperCase();

/** An anchored `u` pattern matching exactly `values` in any case: `^(?:[eE][vV]…)$`. */
function anyCasePattern(values: readonly string[], whole = true): string {
  // INVARIANT: each class holds the character as listed too — title case `ǅ` is neither its lower `ǆ` nor its upper
  // `Ǆ`, and the Kelvin sign `K` lowers to `k` but uppers to itself: the fix must still forbid what was listed
  const one = (s: string): string => [...s].map((ch) => {
    const forms = [...new Set([ch.toLowerCase(), ch.toUpperCase(), ch, ch.toLowerCase().toUpperCase(), ch.toUpperCase().toLowerCase()])]
      .filter((f) => [...f].length === 1);
    if (forms.length > 1) return `[${forms.join('')}]`;
    return /[\^$\\.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
  }).join('');
  return `^(?:${values.map(one).join('|')})${whole ? '$' : ''}`;
}

export const caseSensitiveBlock: LintRule = {
  id: 'constraint/case-sensitive-block',
  severity: 'warning',
  why: '`in`, `equals`, `not_in` and `prefix` compare exactly, so a list that forbids a name (a deny rule\'s `in` or `prefix`, a grant\'s `not_in`, either under `not`) forbids only that spelling: `Evil-Corp` passes `not_in: [evil-corp]` wherever the server reads names without case — match every spelling with a pattern',
  example: 'deny: [{ tool: pay_vendor, args: { vendor: { in: [evil-corp] } }, reason: Sanctioned. }]',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const { key, c, at, users, odd } of constraintLevels(ctx)) {
      for (const op of ['in', 'equals', 'not_in', 'prefix'] as const) {
        const values: Json[] = op === 'equals' ? ('equals' in c && c.equals !== undefined ? [c.equals] : []) : op === 'prefix' ? (c.prefix !== undefined ? [c.prefix] : []) : c[op] ?? [];
        const named = values.find(hasCase);
        if (named === undefined) continue;
        // a path's prefix is constraint/prefix-on-path's business (`within` is the fix, and a path's case is the file system's)
        if (op === 'prefix' && pathPrefix(key, String(named))) continue;
        // `not_in` forbids in a grant; `in`, `equals` and `prefix` forbid in a deny rule; each `not` turns that around
        const forbidding = users.filter((u) => (op === 'not_in') !== (u.deny !== odd));
        if (forbidding.length === 0) continue;
        const variant = named === named.toUpperCase() ? named.toLowerCase() : named.toUpperCase();
        const pointer = `${at}/${op}`;
        const finding: RuleFinding = {
          message: `\`${key}\` \`${op}\` compares exactly: \`${variant}\` is not \`${named}\`, so another spelling passes this block list (${forbidding[0]!.what}) — match every spelling with a pattern`,
          pointer, range: ctx.source.keyRange(pointer),
        };
        // a fix only where every rule applying it forbids (a grant's allow list must not widen) and every value is a string
        const strings = values.filter((v): v is string => typeof v === 'string');
        const free = op === 'not_in' ? c.not === undefined : c.pattern === undefined;
        if (forbidding.length === users.length && strings.length === values.length && free) {
          const pattern = anyCasePattern(strings, op !== 'prefix');
          const next: Record<string, Json> = {};
          for (const [k, v] of Object.entries(c)) if (k !== op) next[k] = v as Json;
          if (op === 'not_in') next['not'] = { pattern };
          else next['pattern'] = pattern;
          if (validPattern(pattern)) finding.fix = [{ title: `match every spelling: ${op === 'not_in' ? 'not: { pattern: … }' : 'pattern'} \`${pattern}\``, op: 'replace', pointer: at, value: next }];
        }
        out.push(finding);
      }
    }
    return out;
  },
};

export const relativeBlockPath: LintRule = {
  id: 'constraint/relative-block-path',
  severity: 'warning',
  why: 'a `within` that forbids (in a deny rule, or under a grant\'s `not`) and names only relative folders is escaped by the same files spelt from the root: `/srv/app/secrets/key` is not within `secrets/` as written, and the engine cannot know the server\'s working folder — list the absolute folders too',
  example: 'deny: [{ tool: read_file, args: { path: { within: [secrets/] } }, reason: No secrets. }]',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const { key, c, at, users, odd } of constraintLevels(ctx)) {
      if (!c.within || c.within.some((b) => b.startsWith('/'))) continue;
      const forbidding = users.filter((u) => u.deny !== odd);
      if (forbidding.length === 0) continue;
      const pointer = `${at}/within`;
      out.push({
        message: `\`${key}\` \`within\` names only relative folders (\`${c.within[0]!}\`), so the same files spelt from the root pass this block list (${forbidding[0]!.what}) — list the folders' absolute paths too`,
        pointer, range: ctx.source.keyRange(pointer),
      });
    }
    return out;
  },
};
