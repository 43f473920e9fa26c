// The simulator's universe: roles, tools, argument and context value pools and decision times,
// mined from the policy, its invariants and tests, and the tools' `inputSchema`s.

import fc from 'fast-check';
import {
  globMatch, isGlob, parseDateTime, type Constraint, type ContextConstraint, type Json, type Policy, type ToolInfo, type ToolManifest,
} from '../../policies';
import { constraintValues, GENERIC_VALUES, interleave, stringVariants, UNKNOWN_CONTEXT } from './variants';

/** The name given to a role no policy declares, so "unknown roles have nothing" is always tried. */
export const UNDECLARED_ROLE = 'undeclared_role';

/** The tool tried when neither the policy nor a manifest names any. */
export const UNLISTED_TOOL = 'unlisted_tool';

/** One tool the simulator calls, with the argument keys worth trying and each key's value pool. */
export interface ToolPlan {
  name: string;
  /** the tool's `tools/list` entry, when a manifest or live server gave one */
  info?: ToolInfo;
  keys: Array<{ key: string; values: Json[]; typed?: { good: Json[]; bad: Json[] } }>;
}

export interface Universe {
  roleSets: string[][];
  tools: ToolPlan[];
  context: Array<{ key: string; values: string[] }>;
  /** decision instants, ms since epoch; the first is the simulation's `at` */
  times: number[];
}

/** Bound on pool sizes, so generation stays fast on large policies. */
const MAX_POOL = 400;
const EXTRA_KEY = 'unexpected_field';

/** One constraint's (or test's) values for a key: one list per constant, the constant first, then its near-misses. */
type Group = Json[][];

interface Mined {
  args: Map<string, Group[]>;
  context: Map<string, Group[]>;
  /** arg keys constrained by rules naming each tool pattern */
  keysByPattern: Array<{ patterns: string[]; keys: string[] }>;
  tools: Set<string>;
  globs: Set<string>;
  roles: Set<string>;
}

export interface UniverseOptions {
  /** also try a tool no policy names and no glob was instantiated for (`diff`: a glob grant must reach it) */
  unlistedTool?: boolean;
}

/**
 * Build the universe for one policy (simulate) or several (`diff`: every role set, tool, key, value
 * and time of any of them), its tools (if known) and the simulation instant.
 */
export function buildUniverse(policies: Policy | readonly Policy[], manifest: ToolManifest | undefined, at: number, seed: number,
  until = Infinity, opts: UniverseOptions = {}): Universe {
  const list: readonly Policy[] = Array.isArray(policies) ? policies : [policies as Policy];
  const each = list.map((p) => mine(p, seed));
  const m = combine(each);
  // INVARIANT: a value some of the policies mention and another does not is never cut from a pool: it
  // is where their decisions can part (a vendor added to a long allow-list).
  const keep = { args: distinguishing(each.map((x) => x.args)), context: distinguishing(each.map((x) => x.context), String) };
  const infos = new Map<string, ToolInfo>((manifest?.tools ?? []).map((t) => [t.name, t]));
  const names = new Set<string>([...m.tools, ...infos.keys()]);
  for (const g of m.globs) names.add(g.replace(/\*/g, ''));
  names.delete('');
  // INVARIANT: every glob gets a witness no policy names exactly, so a catch-all (`*`, `read_file*`) is
  // tried on a tool beyond the ones the policies list, even when its plain instance is one of them.
  for (const g of m.globs) names.add(fresh(names, (token) => g.replace(/\*/g, token)));
  // A policy that names no tool still gets calls: an unlisted tool, which must be denied.
  if (names.size === 0) names.add(UNLISTED_TOOL);
  else if (opts.unlistedTool) names.add(fresh(names, (token) => (token === 'x' ? UNLISTED_TOOL : `${UNLISTED_TOOL}_${token}`)));
  const tools = [...names].sort().map((name) => toolPlan(name, infos.get(name), m, keep.args));
  const roleSets = roleSetsOf(list, m.roles);
  const context = [...m.context.entries()].sort(([a], [b]) => a.localeCompare(b))
    .map(([key, groups]) => ({ key, values: contextPool(groups, keep.context.get(key)) }));
  return { roleSets, tools, context, times: [...new Set(list.flatMap((p) => timesOf(p, at, until)))] };
}

/** The first of `make('x')`, `make('x1')`, `make('x2')`, … that is not in `names`. */
function fresh(names: ReadonlySet<string>, make: (token: string) => string): string {
  for (let i = 0; ; i++) {
    const name = make(i === 0 ? 'x' : `x${i}`);
    if (!names.has(name)) return name;
  }
}

/** Several policies' mined constants as one: groups, patterns, tools and roles of each, in order. */
function combine(each: readonly Mined[]): Mined {
  if (each.length === 1) return each[0]!;
  const out: Mined = { args: new Map(), context: new Map(), keysByPattern: [], tools: new Set(), globs: new Set(), roles: new Set() };
  for (const m of each) {
    for (const [k, groups] of m.args) push(out.args, k, groups);
    for (const [k, groups] of m.context) push(out.context, k, groups);
    out.keysByPattern.push(...m.keysByPattern);
    for (const t of m.tools) out.tools.add(t);
    for (const g of m.globs) out.globs.add(g);
    for (const r of m.roles) out.roles.add(r);
  }
  return out;
}

/** Per key, the values (as JSON) some of the policies mention and another does not; none for one policy. */
function distinguishing(maps: ReadonlyArray<ReadonlyMap<string, Group[]>>, asValue: (v: Json) => Json = (v) => v): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (maps.length < 2) return out;
  const sets = maps.map((m) => new Map([...m].map(([k, groups]) => [k, new Set(groups.flat(2).map((v) => JSON.stringify(asValue(v))))])));
  for (const key of new Set(sets.flatMap((s) => [...s.keys()]))) {
    const all = new Set(sets.flatMap((s) => [...(s.get(key) ?? [])]));
    const differ = [...all].filter((v) => sets.some((s) => !s.get(key)?.has(v)));
    if (differ.length > 0) out.set(key, new Set(differ));
  }
  return out;
}

function mine(policy: Policy, seed: number): Mined {
  const m: Mined = { args: new Map(), context: new Map(), keysByPattern: [], tools: new Set(), globs: new Set(), roles: new Set() };
  const samples = patternSampler(seed);
  const addArgs = (args: Record<string, Constraint> | undefined): string[] => {
    for (const [k, c] of Object.entries(args ?? {})) push(m.args, k, [constraintValues(c, samples)]);
    return Object.keys(args ?? {});
  };
  const addContext = (ctx: Record<string, ContextConstraint> | undefined): void => {
    for (const [k, c] of Object.entries(ctx ?? {})) push(m.context, k, [constraintValues(Array.isArray(c) ? { in: c } : c, samples)]);
  };
  const addTools = (list: readonly string[]): void => {
    for (const t of list) (isGlob(t) ? m.globs : m.tools).add(t);
  };
  const scopeKeys = (scope: string | string[] | undefined): string[] => {
    const keys: string[] = [];
    for (const name of scope === undefined ? [] : Array.isArray(scope) ? scope : [scope]) {
      const def = Object.prototype.hasOwnProperty.call(policy.scopes ?? {}, name) ? policy.scopes![name] : undefined;
      keys.push(...addArgs(def?.args));
      addContext(def?.context);
    }
    return keys;
  };
  for (const g of policy.grants ?? []) {
    const patterns = g.tools ?? (g.tool !== undefined ? [g.tool] : []);
    addTools(patterns);
    m.keysByPattern.push({ patterns, keys: scopeKeys(g.scope) });
    addContext(g.context);
  }
  for (const d of policy.deny ?? []) {
    const patterns = d.tools ?? (d.tool !== undefined ? [d.tool] : []);
    addTools(patterns);
    m.keysByPattern.push({ patterns, keys: [...scopeKeys(d.scope), ...addArgs(d.args)] });
    addContext(d.context);
    for (const r of [...(d.roles ?? []), ...(d.agent_role ? [d.agent_role] : [])]) m.roles.add(r);
  }
  for (const inv of policy.invariants ?? []) {
    const sel = inv.never ?? inv.always ?? {};
    const patterns = listOf(sel.tool);
    addTools(patterns);
    m.keysByPattern.push({ patterns: patterns.length > 0 ? patterns : ['*'], keys: addArgs(sel.args) });
    addContext(sel.context);
    for (const r of listOf(sel.role)) m.roles.add(r);
  }
  for (const t of policy.tests ?? []) {
    m.tools.add(t.call.tool);
    for (const r of [...(t.call.roles ?? []), ...(t.call.role ? [t.call.role] : [])]) m.roles.add(r);
    if (t.call.args && typeof t.call.args === 'object' && !Array.isArray(t.call.args)) {
      for (const [k, v] of Object.entries(t.call.args)) push(m.args, k, [[[v]]]);
    }
    for (const [k, v] of Object.entries(t.call.context ?? {})) push(m.context, k, [[[v]]]);
  }
  return m;
}

function toolPlan(name: string, info: ToolInfo | undefined, m: Mined, keep: ReadonlyMap<string, ReadonlySet<string>>): ToolPlan {
  const keys = new Set<string>();
  for (const { patterns, keys: ks } of m.keysByPattern) {
    if (patterns.some((p) => globMatch(p, name))) for (const k of ks) keys.add(k);
  }
  const props = schemaProperties(info);
  for (const k of props.keys()) keys.add(k);
  keys.add(EXTRA_KEY);
  const types = schemaTypes(info);
  const plan = [...keys].sort().map((key) => {
    const groups = m.args.get(key) ?? [];
    const fromSchema = props.get(key) ?? [];
    const values = bySize(fairCut([...fromSchema, ...groups.flat(2), ...GENERIC_VALUES], [fromSchema, ...groups.map(interleave), GENERIC_VALUES], keep.get(key)));
    const type = types.get(key);
    if (type === undefined) return { key, values };
    // Where the schema types a key, mostly draw values of that type, so calls get past the schema.
    return { key, values, typed: { good: values.filter((v) => jsonType(v, type)), bad: values.filter((v) => !jsonType(v, type)) } };
  });
  return info ? { name, info, keys: plan } : { name, keys: plan };
}

/** Values a tool's `inputSchema` suggests for each property: enum, const, default, examples, bounds. */
function schemaProperties(info: ToolInfo | undefined): Map<string, Json[]> {
  const out = new Map<string, Json[]>();
  const props = info?.inputSchema?.['properties'];
  if (!props || typeof props !== 'object') return out;
  for (const [key, raw] of Object.entries(props as Record<string, unknown>)) {
    const s = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
    const vals: Json[] = [];
    if (Array.isArray(s['enum'])) vals.push(...(s['enum'] as Json[]));
    for (const k of ['const', 'default']) if (k in s) vals.push(s[k] as Json);
    if (Array.isArray(s['examples'])) vals.push(...(s['examples'] as Json[]));
    for (const k of ['minimum', 'maximum']) if (typeof s[k] === 'number') vals.push(s[k], (s[k]) + 1, (s[k]) - 1);
    const t = s['type'];
    if (t === 'string') vals.push('example.txt');
    if (t === 'number' || t === 'integer') vals.push(1, 10);
    if (t === 'boolean') vals.push(true);
    if (t === 'array') vals.push(['example']);
    out.set(key, vals);
  }
  return out;
}

function schemaTypes(info: ToolInfo | undefined): Map<string, string> {
  const props = info?.inputSchema?.['properties'];
  const out = new Map<string, string>();
  if (!props || typeof props !== 'object') return out;
  for (const [key, raw] of Object.entries(props as Record<string, unknown>)) {
    const t = raw && typeof raw === 'object' ? (raw as { type?: unknown }).type : undefined;
    if (typeof t === 'string') out.set(key, t);
  }
  return out;
}

function jsonType(v: Json, type: string): boolean {
  switch (type) {
    case 'string': return typeof v === 'string';
    case 'number': return typeof v === 'number';
    case 'integer': return typeof v === 'number' && Number.isInteger(v);
    case 'boolean': return typeof v === 'boolean';
    case 'array': return Array.isArray(v);
    case 'object': return v !== null && typeof v === 'object' && !Array.isArray(v);
    case 'null': return v === null;
    default: return true;
  }
}

function roleSetsOf(policies: readonly Policy[], mentioned: ReadonlySet<string>): string[][] {
  const sets = new Map<string, string[]>();
  const add = (roles: string[]): void => {
    if (roles.length > 0) sets.set(JSON.stringify([...roles].sort()), roles);
  };
  for (const policy of policies) for (const r of Object.keys(policy.roles ?? {})) add([r]);
  for (const policy of policies) for (const g of policy.grants ?? []) add([g.agent_role]);
  for (const r of mentioned) add([r]);
  for (const policy of policies) for (const a of Object.values(policy.agents ?? {})) add(a.roles);
  // A deny scoped to some roles still binds a caller who holds one of them besides a granted role:
  // each such role with each granted role, so removing the deny shows on the caller holding both.
  const granted = [...new Set(policies.flatMap((p) => (p.grants ?? []).map((g) => g.agent_role)))];
  for (const policy of policies) {
    for (const d of policy.deny ?? []) {
      for (const r of [...(d.roles ?? []), ...(d.agent_role ? [d.agent_role] : [])]) for (const g of granted) if (g !== r) add([g, r]);
    }
  }
  add([UNDECLARED_ROLE]);
  return [...sets.values()];
}

/** `at`, and both sides of every `not_before` / `expires` in [at, until] (past boundaries no longer matter). */
function timesOf(policy: Policy, at: number, until: number): number[] {
  const out = new Set<number>([at]);
  for (const g of policy.grants ?? []) {
    for (const iso of [g.not_before, g.expires]) {
      const t = iso === undefined ? NaN : parseDateTime(iso, 'up'); // as the engine reads a bound
      if (!Number.isFinite(t)) continue;
      if (t >= at && t <= until) out.add(t);
      if (t - 1 >= at && t - 1 <= until) out.add(t - 1);
    }
  }
  return [...out];
}

function contextPool(groups: readonly Group[], keep: ReadonlySet<string> | undefined): string[] {
  const str = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v));
  const near = (s: string): string[] => stringVariants(s).slice(0, 6);
  const strings = groups.flat(2).map(str);
  const ranked = groups.map((g) => { const own = interleave(g).map(str); return [...own, ...interleave(own.map(near))]; });
  return bySize(fairCut([...strings, ...strings.flatMap(near), ...UNKNOWN_CONTEXT], [...ranked, UNKNOWN_CONTEXT], keep)) as string[];
}

/**
 * `order` deduplicated, cut to MAX_POOL values when longer. The cut gives each group its share (the
 * groups are taken in turn, one value each, so a long allow-list cannot crowd out an invariant's or
 * another rule's constants) and never drops a value in `keep` (JSON texts). Survivors keep their
 * place in `order`, so a pool that needs no cut is exactly what it was before groups existed.
 */
function fairCut(order: readonly Json[], groups: ReadonlyArray<readonly Json[]>, keep: ReadonlySet<string> | undefined): Json[] {
  const all = dedupe(order);
  if (all.length <= MAX_POOL) return all;
  const chosen = new Set<string>(keep);
  let room = MAX_POOL;
  const longest = Math.max(0, ...groups.map((g) => g.length));
  for (let i = 0; i < longest && room > 0; i++) {
    for (const g of groups) {
      if (i >= g.length || room === 0) continue;
      const k = JSON.stringify(g[i]);
      if (!chosen.has(k)) {
        chosen.add(k);
        room--;
      }
    }
  }
  return all.filter((v) => chosen.has(JSON.stringify(v)));
}

/** Strings matching a `pattern`, drawn from fast-check with the run's seed (so runs are reproducible). */
function patternSampler(seed: number): (pattern: string) => string[] {
  return (pattern) => {
    try {
      // Shortest first: shrinking moves towards the front of a pool, so counterexamples stay readable.
      return fc.sample(fc.stringMatching(new RegExp(pattern, 'u')), { seed, numRuns: 12 }).sort((a, b) => a.length - b.length);
    } catch {
      return [];
    }
  };
}

function push<T>(map: Map<string, T[]>, key: string, values: readonly T[]): void {
  const list = map.get(key);
  if (list) list.push(...values);
  else map.set(key, [...values]);
}

function listOf(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/**
 * Shortest JSON first (stable): shrinking moves a gene towards the front of its pool, so the
 * counterexample keeps the shortest value that still breaks the property.
 */
function bySize(values: Json[]): Json[] {
  return values.map((v, i) => ({ v, i, n: JSON.stringify(v).length })).sort((a, b) => a.n - b.n || a.i - b.i).map((x) => x.v);
}

/** Remove duplicate JSON values, keeping first occurrences (simplest values first shrink best). */
export function dedupe(values: readonly Json[]): Json[] {
  const seen = new Set<string>();
  return values.filter((v) => {
    const k = JSON.stringify(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
