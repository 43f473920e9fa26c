// The simulator's universe: roles, tools, argument and context value pools and decision times,
// mined from the policy, its invariants and tests, and the tools' `inputSchema`s.

import fc from 'fast-check';
import {
  globMatch, isGlob, parseDateTime, type Constraint, type ContextConstraint, type Json, type Policy, type ToolInfo, type ToolManifest,
} from '../../policies';
import { constraintValues, GENERIC_VALUES, stringVariants, UNKNOWN_CONTEXT } from './variants';

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

interface Mined {
  args: Map<string, Json[]>;
  context: Map<string, Json[]>;
  /** arg keys constrained by rules naming each tool pattern */
  keysByPattern: Array<{ patterns: string[]; keys: string[] }>;
  tools: Set<string>;
  globs: Set<string>;
  roles: Set<string>;
}

/** Build the universe for a policy, its tools (if known) and the simulation instant. */
export function buildUniverse(policy: Policy, manifest: ToolManifest | undefined, at: number, seed: number, until = Infinity): Universe {
  const m = mine(policy, seed);
  const infos = new Map<string, ToolInfo>((manifest?.tools ?? []).map((t) => [t.name, t]));
  const names = new Set<string>([...m.tools, ...infos.keys()]);
  for (const g of m.globs) {
    const hits = [...names].filter((n) => globMatch(g, n));
    if (hits.length === 0) names.add(g.replace(/\*/g, 'x'));
    names.add(g.replace(/\*/g, ''));
  }
  names.delete('');
  // A policy that names no tool still gets calls: an unlisted tool, which must be denied.
  if (names.size === 0) names.add(UNLISTED_TOOL);
  const tools = [...names].sort().map((name) => toolPlan(name, infos.get(name), m));
  const roleSets = roleSetsOf(policy, m.roles);
  const context = [...m.context.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([key, vals]) => ({ key, values: contextPool(vals) }));
  return { roleSets, tools, context, times: timesOf(policy, at, until) };
}

/** The union of two universes (for `diff`): every role set, tool, key, value and time of either. */
export function mergeUniverses(a: Universe, b: Universe): Universe {
  const roleSets = new Map([...a.roleSets, ...b.roleSets].map((r) => [JSON.stringify([...r].sort()), r]));
  const tools = new Map<string, ToolPlan>(a.tools.map((t) => [t.name, t]));
  for (const t of b.tools) {
    const prev = tools.get(t.name);
    if (!prev) {
      tools.set(t.name, t);
      continue;
    }
    const keys = new Map(prev.keys.map((k) => [k.key, k.values]));
    for (const k of t.keys) keys.set(k.key, dedupe([...(keys.get(k.key) ?? []), ...k.values]).slice(0, MAX_POOL));
    tools.set(t.name, { ...prev, keys: [...keys].sort(([x], [y]) => x.localeCompare(y)).map(([key, values]) => ({ key, values })) });
  }
  const context = new Map(a.context.map((c) => [c.key, c.values]));
  for (const c of b.context) context.set(c.key, dedupe([...(context.get(c.key) ?? []), ...c.values]).slice(0, MAX_POOL) as string[]);
  return {
    roleSets: [...roleSets.values()], tools: [...tools.values()].sort((x, y) => x.name.localeCompare(y.name)),
    context: [...context].sort(([x], [y]) => x.localeCompare(y)).map(([key, values]) => ({ key, values })),
    times: [...new Set([...a.times, ...b.times])],
  };
}

function mine(policy: Policy, seed: number): Mined {
  const m: Mined = { args: new Map(), context: new Map(), keysByPattern: [], tools: new Set(), globs: new Set(), roles: new Set() };
  const samples = patternSampler(seed);
  const addArgs = (args: Record<string, Constraint> | undefined): string[] => {
    for (const [k, c] of Object.entries(args ?? {})) push(m.args, k, constraintValues(c, samples));
    return Object.keys(args ?? {});
  };
  const addContext = (ctx: Record<string, ContextConstraint> | undefined): void => {
    for (const [k, c] of Object.entries(ctx ?? {})) push(m.context, k, constraintValues(Array.isArray(c) ? { in: c } : c, samples));
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
      for (const [k, v] of Object.entries(t.call.args)) push(m.args, k, [v]);
    }
    for (const [k, v] of Object.entries(t.call.context ?? {})) push(m.context, k, [v]);
  }
  return m;
}

function toolPlan(name: string, info: ToolInfo | undefined, m: Mined): ToolPlan {
  const keys = new Set<string>();
  for (const { patterns, keys: ks } of m.keysByPattern) {
    if (patterns.some((p) => globMatch(p, name))) for (const k of ks) keys.add(k);
  }
  const props = schemaProperties(info);
  for (const k of props.keys()) keys.add(k);
  keys.add(EXTRA_KEY);
  const types = schemaTypes(info);
  const plan = [...keys].sort().map((key) => {
    const mined = m.args.get(key) ?? [];
    const fromSchema = props.get(key) ?? [];
    const values = bySize(dedupe([...fromSchema, ...mined, ...GENERIC_VALUES]).slice(0, MAX_POOL));
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

function roleSetsOf(policy: Policy, mentioned: ReadonlySet<string>): string[][] {
  const sets = new Map<string, string[]>();
  const add = (roles: string[]): void => {
    if (roles.length > 0) sets.set(JSON.stringify([...roles].sort()), roles);
  };
  for (const r of Object.keys(policy.roles ?? {})) add([r]);
  for (const g of policy.grants ?? []) add([g.agent_role]);
  for (const r of mentioned) add([r]);
  for (const a of Object.values(policy.agents ?? {})) add(a.roles);
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

function contextPool(values: readonly Json[]): string[] {
  const strings = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  return bySize(dedupe([...strings, ...strings.flatMap((s) => stringVariants(s).slice(0, 6)), ...UNKNOWN_CONTEXT]).slice(0, MAX_POOL)) as string[];
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

function push(map: Map<string, Json[]>, key: string, values: readonly Json[]): void {
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
