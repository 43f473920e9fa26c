// compile(): a schema-valid policy → indexed rules ready for decide(). Grants are indexed by role
// and exact tool name (globs kept per role), so decision cost does not grow with roles or tools.

import Ajv, { type ValidateFunction } from 'ajv';
import { ajvLinearRegExp, withStateBudget } from './linearRegex';
import { compileConstraint, compileContextConstraint, mayBeUndecidable, type Check } from './constraints';
import { globMatch, isGlob } from './glob';
import { parseDateTime } from './time';
import type { ParsedPolicy } from './parse';
import { childPointer } from './source';
import type { Constraint, ContextConstraint, Decision, Grant, Policy, Reason, RuleRef, ToolManifest } from './types';

/** One compiled argument or context check, with where it came from. */
export interface CompiledCheck {
  key: string;
  check: Check;
  /** `scope max_amount_1000_eur` or `grant context` */
  origin: string;
  pointer: string;
  where: string;
}

export interface CompiledGrant {
  ref: RuleRef;
  where: string;
  role: string;
  tools: string[];
  approval: boolean;
  notBefore: number;
  expires: number;
  args: CompiledCheck[];
  context: CompiledCheck[];
  /** scopes the grant names that the policy does not define: the grant never matches */
  missingScopes: string[];
  /** a time bound that cannot be read: the grant never matches */
  badTime: string | undefined;
  /** the decision when this grant alone matches (shared, never mutated) */
  alone: Decision;
}

export interface CompiledDeny {
  ref: RuleRef;
  where: string;
  reason: string;
  roles: ReadonlySet<string> | undefined;
  tools: string[];
  args: CompiledCheck[];
  context: CompiledCheck[];
  /** how many of `args` / `context` lead with operators that can be undecidable (see decide) */
  argProbes: number;
  contextProbes: number;
  missingScopes: string[];
  decision: Decision;
}

interface ToolIndex<T> {
  exact: Map<string, T[]>;
  globs: Array<{ pattern: string; rule: T }>;
  /** lookup results by tool name when globs are involved; bounded, cleared when full */
  memo: Map<string, T[]>;
}

/** Most tool names whose glob lookups are remembered per index. */
const MEMO_LIMIT = 4096;

export interface CompileOptions {
  /** tools with their input schemas: calls whose arguments violate a known schema are denied */
  tools?: ToolManifest;
}

/** The compiled form of one policy. Immutable once built. */
export interface CompiledPolicy {
  readonly policy: Policy;
  readonly file: string;
  readonly declaredRoles: ReadonlySet<string>;
  readonly grants: readonly CompiledGrant[];
  readonly denies: readonly CompiledDeny[];
  readonly grantIndex: ReadonlyMap<string, ToolIndex<CompiledGrant>>;
  readonly denyIndex: ToolIndex<CompiledDeny>;
  readonly toolSchemas: ReadonlyMap<string, ValidateFunction | 'invalid'>;
  readonly redact: ReadonlySet<string>;
}

/** Compile a parsed policy (or a bare, already schema-valid Policy object). */
export function compile(input: ParsedPolicy | Policy, options: CompileOptions = {}): CompiledPolicy {
  const { policy, source, file } = 'policy' in input && 'source' in input
    ? input as ParsedPolicy
    : { policy: input, source: undefined, file: '<policy>' };
  const where = (pointer: string): string => (source ? source.where(pointer) : `${file}#${pointer}`);
  const range = (pointer: string) => (source ? source.range(pointer) : undefined);
  const redact = new Set(policy.audit?.redact ?? []);
  const declaredRoles = new Set(Object.keys(policy.roles ?? {}));
  const scopes = policy.scopes ?? {};
  const ctx = { where, redact, scopes };

  const grants = (policy.grants ?? []).map((g, i) => compileGrant(g, i, ctx, range(`/grants/${i}`)));
  const grantIndex = new Map<string, ToolIndex<CompiledGrant>>();
  for (const g of grants) {
    // INVARIANT: a role the policy does not declare has no grants.
    if (!declaredRoles.has(g.role)) continue;
    let idx = grantIndex.get(g.role);
    if (!idx) grantIndex.set(g.role, (idx = { exact: new Map(), globs: [], memo: new Map() }));
    addToIndex(idx, g.tools, g);
  }

  const denyIndex: ToolIndex<CompiledDeny> = { exact: new Map(), globs: [], memo: new Map() };
  const denies = (policy.deny ?? []).map((d, i) => {
    const pointer = `/deny/${i}`;
    const ref: RuleRef = withSource({ kind: 'deny', id: d.id ?? `deny[${i}]`, pointer }, range(pointer));
    const roles = d.roles || d.agent_role ? new Set([...(d.roles ?? []), ...(d.agent_role ? [d.agent_role] : [])]) : undefined;
    const { args, context, missing } = compileScopes(d.scope, ctx);
    args.push(...compileArgs(d.args, `${pointer}/args`, 'deny rule', ctx));
    context.push(...compileContext(d.context, `${pointer}/context`, 'deny rule', ctx));
    const reason: Reason = { code: 'denied_by_rule', message: `denied by ${ref.id}: ${d.reason} (${where(pointer)})`, rule: ref };
    const cd: CompiledDeny = {
      ref, where: where(pointer), reason: d.reason, roles, tools: toolsOf(d), args: undecidableFirst(args), context: undecidableFirst(context),
      argProbes: args.filter((x) => x.first).length, contextProbes: context.filter((x) => x.first).length, missingScopes: missing,
      decision: freeze({ effect: 'deny', rules: [ref], reasons: [reason] }),
    };
    addToIndex(denyIndex, cd.tools, cd);
    return cd;
  });

  return {
    policy, file, declaredRoles, grants, denies, grantIndex, denyIndex,
    toolSchemas: compileToolSchemas(options.tools), redact,
  };
}

interface Ctx {
  where: (pointer: string) => string;
  redact: ReadonlySet<string>;
  scopes: NonNullable<Policy['scopes']>;
}

function compileGrant(g: Grant, i: number, ctx: Ctx, range: RuleRef['source']): CompiledGrant {
  const pointer = `/grants/${i}`;
  const ref: RuleRef = withSource({ kind: 'grant', id: g.id ?? `grants[${i}]`, pointer }, range);
  const { args, context, missing } = compileScopes(g.scope, ctx);
  context.push(...compileContext(g.context, `${pointer}/context`, 'grant context', ctx));
  const w = ctx.where(pointer);
  const approval = g.requires_approval === true;
  const reason: Reason = approval
    ? { code: 'approval_required', message: `${ref.id} allows this call after a human approves it (${w})`, rule: ref }
    : { code: 'allowed_by_grant', message: `allowed by ${ref.id} (${w})`, rule: ref };
  const notBefore = g.not_before !== undefined ? parseDateTime(g.not_before, 'up') : -Infinity;
  const expires = g.expires !== undefined ? parseDateTime(g.expires, 'up') : Infinity;
  const badTime = Number.isNaN(notBefore) ? `not_before \`${g.not_before}\`` : Number.isNaN(expires) ? `expires \`${g.expires}\`` : undefined;
  return {
    ref, where: w, role: g.agent_role, tools: toolsOf(g), approval, notBefore, expires, badTime,
    args: undecidableFirst(args), context, missingScopes: missing,
    alone: freeze({ effect: approval ? 'approval_required' : 'allow', rules: [ref], reasons: [reason] }),
  };
}

function compileScopes(scope: string | string[] | undefined, ctx: Ctx) {
  const names = scope === undefined ? [] : Array.isArray(scope) ? scope : [scope];
  const args: Array<CompiledCheck & { first: boolean }> = [];
  const context: Array<CompiledCheck & { first: boolean }> = [];
  const missing: string[] = [];
  for (const name of names) {
    const def = Object.prototype.hasOwnProperty.call(ctx.scopes, name) ? ctx.scopes[name] : undefined;
    if (!def) {
      missing.push(name);
      continue;
    }
    const sp = childPointer('/scopes', name);
    args.push(...compileArgs(def.args, `${sp}/args`, `scope ${name}`, ctx));
    context.push(...compileContext(def.context, `${sp}/context`, `scope ${name}`, ctx));
  }
  return { args, context, missing };
}

function compileArgs(args: Record<string, Constraint> | undefined, pointer: string, origin: string, ctx: Ctx): Array<CompiledCheck & { first: boolean }> {
  // One check per operator, so a failure points at the operator that failed (`max: 1000`).
  const checks = Object.entries(args ?? {}).flatMap(([key, c]) => {
    const p = childPointer(pointer, key);
    return (Object.keys(c) as Array<keyof Constraint>).map((op) => {
      const opPointer = childPointer(p, op);
      const first = (op === 'within' || op === 'pattern' || op === 'not') && mayBeUndecidable({ [op]: c[op] });
      return { first, key, check: compileConstraint({ [op]: c[op] }, ctx.redact.has(key) || (ctx.redact.size > 0 ? ctx.redact : false)), origin, pointer: opPointer, where: ctx.where(opPointer) };
    });
  });
  return checks;
}

/**
 * A rule's checks, those that can be undecidable (`within`, an invalid `pattern`) first. INVARIANT: an
 * undecidable check decides the rule whatever else fails, so which check fails first never depends on the
 * order of operators, keys or scopes in the policy.
 */
function undecidableFirst(checks: ReadonlyArray<CompiledCheck & { first?: boolean }>): CompiledCheck[] {
  return [...checks.filter((x) => x.first), ...checks.filter((x) => !x.first)].map(({ first: _f, ...check }) => check);
}


function compileContext(context: Record<string, ContextConstraint> | undefined, pointer: string, origin: string, ctx: Ctx): Array<CompiledCheck & { first: boolean }> {
  return Object.entries(context ?? {}).map(([key, c]) => {
    const p = childPointer(pointer, key);
    return { first: !Array.isArray(c) && mayBeUndecidable(c), key, check: compileContextConstraint(c), origin, pointer: p, where: ctx.where(p) };
  });
}

function toolsOf(rule: { tool?: string; tools?: string[] }): string[] {
  return rule.tools ?? (rule.tool !== undefined ? [rule.tool] : []);
}

function addToIndex<T>(idx: ToolIndex<T>, tools: readonly string[], rule: T): void {
  for (const t of new Set(tools)) {
    if (isGlob(t)) idx.globs.push({ pattern: t, rule });
    else {
      const list = idx.exact.get(t);
      if (list) list.push(rule);
      else idx.exact.set(t, [rule]);
    }
  }
}

/** Rules of an index that name `tool`, exact first then globs, each rule once. Never mutate the result. */
export function lookup<T>(idx: ToolIndex<T> | undefined, tool: string): readonly T[] {
  if (!idx) return NONE;
  const exact = idx.exact.get(tool);
  if (idx.globs.length === 0) return exact ?? NONE;
  const remembered = idx.memo.get(tool);
  if (remembered) return remembered;
  const out = exact ? [...exact] : [];
  for (const { pattern, rule } of idx.globs) {
    if (globMatch(pattern, tool) && !out.includes(rule)) out.push(rule);
  }
  // INVARIANT: the memo is a pure cache of this function's result; bounded so callers cannot grow it.
  if (idx.memo.size >= MEMO_LIMIT) idx.memo.clear();
  idx.memo.set(tool, out);
  return out;
}

const NONE: readonly never[] = Object.freeze([]);

/** All the patterns of one tool list together may need at most this many matcher states (13 bytes each). */
export const MAX_TOOL_LIST_STATES = 1_000_000;
/**
 * Most item pairs one call's arguments may hold (over all their arrays) when the tool list uses `uniqueItems`:
 * Ajv compares every pair of an array's items, so the cost is the sum of n(n-1)/2. 2M pairs is one array of
 * 2,000 items, about 70 ms here.
 */
export const MAX_UNIQUE_PAIRS = 2_000_000;

function compileToolSchemas(manifest: ToolManifest | undefined): Map<string, ValidateFunction | 'invalid'> {
  const out = new Map<string, ValidateFunction | 'invalid'>();
  if (!manifest) return out;
  // INVARIANT: servers' schemas are not trusted: their `pattern`s run on the linear-time matcher (a crafted
  // pattern cannot hold the proxy) and together within MAX_TOOL_LIST_STATES (nor exhaust its memory); one it
  // refuses makes the schema uncompilable (calls denied)
  // `validateFormats: false`: Ajv core knows no format (`uri`, `email`…) and ignored each one anyway, printing a
  // warning per schema on stderr (noise in every `check`/`test` of a server that uses them); the server checks its own
  const ajv = new Ajv({ strict: false, allErrors: false, validateSchema: false, validateFormats: false, code: { regExp: ajvLinearRegExp } });
  // INVARIANT: one Ajv instance serves the whole list, so a schema can `$ref` another's `uniqueItems`: when any
  // schema of the list names it, every tool's arguments are bounded (MAX_UNIQUE_PAIRS over the whole call)
  const unique = manifest.tools.some((t) => t.inputSchema !== undefined && JSON.stringify(t.inputSchema).includes('"uniqueItems"'));
  withStateBudget(MAX_TOOL_LIST_STATES, () => {
    for (const tool of manifest.tools) {
      if (!tool.inputSchema) continue;
      try {
        const validate = ajv.compile(tool.inputSchema);
        out.set(tool.name, unique ? boundedUniqueItems(validate) : validate);
      } catch {
        // INVARIANT: a schema we cannot compile cannot vouch for arguments: calls to it are denied.
        out.set(tool.name, 'invalid');
      }
    }
  });
  return out;
}

/** A validator that refuses arguments whose arrays hold more than MAX_UNIQUE_PAIRS item pairs before Ajv compares them. */
function boundedUniqueItems(validate: ValidateFunction): ValidateFunction {
  const bounded = ((data: unknown) => {
    if (itemPairs(data, 0) > MAX_UNIQUE_PAIRS) {
      bounded.errors = [{ instancePath: '', schemaPath: '#', keyword: 'uniqueItems', params: {}, message: `hold arrays with more than ${MAX_UNIQUE_PAIRS} pairs of items in all, more than uniqueItems is checked on` }];
      return false;
    }
    const ok = validate(data);
    bounded.errors = validate.errors ?? null;
    return ok;
  }) as ValidateFunction;
  return bounded;
}

/** The sum of n(n-1)/2 over every array in `v` (Infinity when nested too deep to look through). */
function itemPairs(v: unknown, depth: number): number {
  if (v === null || typeof v !== 'object') return 0;
  if (depth > 1000) return Infinity;
  const items = Array.isArray(v) ? v : Object.values(v);
  let pairs = Array.isArray(v) ? (v.length * (v.length - 1)) / 2 : 0;
  for (const x of items) {
    if (x !== null && typeof x === 'object') pairs += itemPairs(x, depth + 1);
    if (pairs > MAX_UNIQUE_PAIRS) return pairs;
  }
  return pairs;
}

function withSource(ref: RuleRef, source: RuleRef['source']): RuleRef {
  return source ? { ...ref, source } : ref;
}

function freeze(d: Decision): Decision {
  for (const r of d.reasons) Object.freeze(r);
  Object.freeze(d.rules);
  Object.freeze(d.reasons);
  return Object.freeze(d);
}
