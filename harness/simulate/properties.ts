// The properties a simulation checks on every generated call: the policy's `invariants`
// (`never` / `always` matches) and the built-in ones every policy must satisfy.

import {
  ABSENT, compileConstraint, compileContextConstraint, decide, selecting, globMatch, globsOverlap, own, type Check, type CompiledGrant, type CompiledPolicy, type Decision,
  type ContextConstraint, type Effect, type InvariantMatch, type Json, type ToolAnnotations, type ToolInfo,
} from '../../policies';
import { contradictory, emptyIn } from '../../policies/lint/constraints';
import { invalidPattern, minAboveMax } from '../../policies/lint/references';
import { didYouMean } from '../../policies/lint/toolNames';
import { childPointer, type SourceMap } from '../../policies/source';
import type { SimCall } from './generate';

/** `undefined`: the call is outside the property; `true`: it holds; a string: why it broke. */
export type Verdict = undefined | true | string;

export interface Property {
  kind: 'invariant' | 'builtin';
  name: string;
  /** JSON pointer of the invariant in the policy; '' for built-ins */
  pointer: string;
  check(call: SimCall, d: Decision): Verdict;
}

type AnnotationKey = keyof Omit<ToolAnnotations, 'title'>;

/**
 * A tool's effective annotation under the MCP spec's defaults, or undefined when the tool is unknown.
 * INVARIANT: `readOnlyHint: true` is never destructive, whatever `destructiveHint` says.
 */
export function annotation(info: ToolInfo | undefined, key: AnnotationKey): boolean | undefined {
  if (!info) return undefined;
  const a = info.annotations ?? {};
  const readOnly = a.readOnlyHint === true;
  switch (key) {
    case 'readOnlyHint': return readOnly;
    case 'destructiveHint': return readOnly ? false : a.destructiveHint ?? true;
    case 'idempotentHint': return a.idempotentHint ?? false;
    case 'openWorldHint': return a.openWorldHint ?? true;
  }
}

function listOf<T>(v: T | T[] | undefined): T[] | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v : [v];
}

/** Compile an invariant's selectors (everything but `effect`) into one predicate over calls. */
export function selector(m: InvariantMatch, tools: ReadonlyMap<string, ToolInfo>): (call: SimCall) => boolean {
  const roles = listOf(m.role);
  const toolPatterns = listOf(m.tool);
  const annotations = Object.entries(m.tool_annotations ?? {}).filter(([k]) => k !== 'title') as Array<[AnnotationKey, boolean]>;
  const args: Array<[string, Check]> = Object.entries(m.args ?? {}).map(([k, c]) => [k, selecting(compileConstraint(c))]);
  const context: Array<[string, Check]> = Object.entries(m.context ?? {}).map(([k, c]) => [k, selecting(compileContextConstraint(c))]);
  return (call) => {
    if (roles && !call.roles.some((r) => roles.includes(r))) return false;
    if (toolPatterns && !toolPatterns.some((p) => globMatch(p, call.tool))) return false;
    for (const [k, want] of annotations) if (annotation(tools.get(call.tool), k) !== want) return false;
    for (const [k, check] of args) if (check(argument(call, k, tools)) !== undefined) return false;
    for (const [k, check] of context) if (check(own(call.context, k)) !== undefined) return false;
    return true;
  };
}

const defaultsCache = new WeakMap<ToolInfo, ReadonlyMap<string, unknown>>();

/** The `default` of each top-level property in a tool's `inputSchema`. */
function schemaDefaults(info: ToolInfo): ReadonlyMap<string, unknown> {
  let out = defaultsCache.get(info);
  if (out) return out;
  const props = info.inputSchema?.['properties'];
  const map = new Map<string, unknown>();
  if (props && typeof props === 'object') {
    for (const [k, v] of Object.entries(props as Record<string, unknown>)) {
      if (v && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, 'default')) map.set(k, (v as { default: unknown }).default);
    }
  }
  defaultsCache.set(info, (out = map));
  return out;
}

/**
 * An argument as the server will read it: an absent key takes its `inputSchema` default, so an
 * invariant about `database: prod` also speaks of calls that leave `database` out when prod is the default.
 * (Decisions never do this: the engine sees only what was sent, and an absent key satisfies no constraint.)
 */
export function argument(call: SimCall, key: string, tools: ReadonlyMap<string, ToolInfo>): unknown {
  const v = own(call.args, key);
  if (v !== ABSENT) return v;
  const info = tools.get(call.tool);
  const defaults = info ? schemaDefaults(info) : undefined;
  return defaults?.has(key) ? defaults.get(key) : ABSENT;
}

/** Words on the selector's arguments the call left out and the server fills from its schema default. */
function defaulted(call: SimCall, m: InvariantMatch, tools: ReadonlyMap<string, ToolInfo>): string {
  const keys = Object.keys(m.args ?? {}).filter((k) => own(call.args, k) === ABSENT && argument(call, k, tools) !== ABSENT);
  return keys.map((k) => ` (\`${k}\` is left out, so the server uses its default ${JSON.stringify(argument(call, k, tools))})`).join('');
}

/**
 * Words on the selector's arguments the call sends but its tool's manifest does not list (when its `inputSchema`
 * lists any): the server ignores them, so the counterexample shows a rule allowing the tool, not a use of them.
 */
function undeclared(call: SimCall, m: InvariantMatch, tools: ReadonlyMap<string, ToolInfo>): string {
  const props = tools.get(call.tool)?.inputSchema?.['properties'];
  if (!props || typeof props !== 'object' || Array.isArray(props)) return '';
  const listed = Object.keys(props);
  const keys = Object.keys(m.args ?? {}).filter((k) => own(call.args, k) !== ABSENT && !Object.prototype.hasOwnProperty.call(props, k));
  const lists = listed.length > 0 ? ` — its manifest lists ${listed.map((k) => `\`${k}\``).join(', ')} —` : ',';
  return keys.map((k) => ` (\`${call.tool}\` takes no argument \`${k}\`${lists} so the server ignores it: the invariant's \`${k}\` constraint does not reach what this tool is given)`).join('');
}

/** True when no policy could allow these arguments: not an object, or against the tool's known schema. */
export function malformedArgs(compiled: CompiledPolicy, call: SimCall): boolean {
  const schema = compiled.toolSchemas.get(call.tool);
  const isObject = call.args !== null && typeof call.args === 'object' && !Array.isArray(call.args);
  return !isObject || schema === 'invalid' || (schema !== undefined && !schema(call.args));
}

/**
 * The policy's invariants as properties.
 * INVARIANT: `always`, and a `never` that forbids deny, speak of well-formed calls only; malformed arguments are
 * denied whatever they say (a malformed call allowed still breaks a `never` of allow, and the built-in).
 */
export function invariantProperties(compiled: CompiledPolicy, tools: ReadonlyMap<string, ToolInfo>): Property[] {
  const policy = compiled.policy;
  return (policy.invariants ?? []).map((inv, i) => {
    const never = inv.never !== undefined;
    const m = inv.never ?? inv.always ?? {};
    const selects = selector(m, tools);
    const effects = listOf(m.effect);
    const shown = effects?.join(' or ') ?? 'any effect';
    // A `never` that forbids deny speaks, as `always` does, of well-formed calls: no policy can allow the rest.
    const forbidsDeny = never && (!effects || effects.includes('deny'));
    const check = never
      ? (call: SimCall, d: Decision): Verdict => (!selects(call) || (forbidsDeny && d.effect === 'deny' && malformedArgs(compiled, call)) ? undefined
        : effects && !effects.includes(d.effect) ? true : `a call it forbids was decided ${d.effect}${defaulted(call, m, tools)}${undeclared(call, m, tools)}`)
      : (call: SimCall, d: Decision): Verdict => (!selects(call) || malformedArgs(compiled, call) ? undefined
        : !effects || effects.includes(d.effect) ? true : `decided ${d.effect}, but every such call must be ${shown}`);
    return { kind: 'invariant', name: inv.name, pointer: `/invariants/${i}`, check };
  });
}

/** A selector of an invariant that can select no call the policy decides on its merits. */
export interface InvariantProblem {
  /** JSON pointer of the offending value */
  pointer: string;
  message: string;
}

/** The lint rules that find a constraint admitting no value; in an invariant's selector, it then selects no call. */
const ADMITS_NOTHING = [invalidPattern, minAboveMax, emptyIn, contradictory];

const admitsNothingCache = new WeakMap<CompiledPolicy, Array<{ pointer: string; message: string }>>();

/** The findings of ADMITS_NOTHING in invariant selectors, once per policy (every invariant asks). */
function admitsNothing(compiled: CompiledPolicy, source: SourceMap): Array<{ pointer: string; message: string }> {
  let out = admitsNothingCache.get(compiled);
  if (out) return out;
  const ctx = { policy: compiled.policy, source, now: 0 };
  out = ADMITS_NOTHING.flatMap((rule) => rule.check(ctx)
    // under `not`, a range or list that admits nothing admits everything; an undecidable pattern stays undecidable
    .filter((f) => f.pointer.startsWith('/invariants/') && (rule === invalidPattern || !f.pointer.includes('/not'))));
  admitsNothingCache.set(compiled, out);
  return out;
}

/**
 * What makes invariant `index` check nothing the policy says. A misspelling: a role the policy does not declare,
 * or a tool no grant, deny rule or manifest tool matches, that is an edit or so from one it does have (`raeder`,
 * `issue_paymnet`) — such an invariant speaks of calls the engine denies before reading any rule. And, given the
 * policy's source, an argument or context constraint of its selector that admits no value (a pattern the engine
 * cannot run, a `min` above its `max`, an empty `in`, operators that contradict), as lint finds it: the invariant
 * then selects no call at all, whatever is generated. Neither may count as holding, nor pass as merely vacuous.
 * An unknown name that is no near-miss is taken as meant: "`drop_database` is never allowed" guards against a
 * later grant reaching a tool no rule names yet, and is checked like any invariant.
 */
export function invariantProblems(compiled: CompiledPolicy, tools: ReadonlyMap<string, ToolInfo>, index: number,
  where: (pointer: string) => string = (p) => p, source?: SourceMap): InvariantProblem[] {
  const inv = compiled.policy.invariants?.[index];
  if (!inv) return [];
  const base = `/invariants/${index}/${inv.never !== undefined ? 'never' : 'always'}`;
  const m = inv.never ?? inv.always ?? {};
  const out: InvariantProblem[] = [];
  for (const [key, c] of Object.entries(m.context ?? {})) {
    const at = childPointer(`${base}/context`, key);
    const found = stringless(c, at);
    if (found) out.push({ pointer: found.pointer, message: `context \`${key}\` ${found.why}, but context values are always strings at run time (${where(found.pointer)}), so no call can fall within this invariant and it checks nothing` });
  }
  if (source) {
    for (const f of admitsNothing(compiled, source)) {
      if (f.pointer.startsWith(`${base}/`)) out.push({ pointer: f.pointer, message: `${f.message} (${where(f.pointer)}), so no call can fall within this invariant and it checks nothing` });
    }
  }
  const each = (v: string | string[] | undefined, key: string, visit: (name: string, pointer: string) => void): void => {
    if (Array.isArray(v)) v.forEach((x, k) => visit(x, `${base}/${key}/${k}`));
    else if (v !== undefined) visit(v, `${base}/${key}`);
  };
  each(m.role, 'role', (role, pointer) => {
    if (compiled.declaredRoles.has(role)) return;
    const near = didYouMean(role, compiled.declaredRoles);
    if (near === '') return;
    out.push({ pointer, message: `role \`${role}\` (${where(pointer)}) is not declared in \`roles:\`${near}: the engine denies an undeclared role every call, so this invariant checks nothing the policy says` });
  });
  const patterns = [...compiled.grants.flatMap((g) => g.tools), ...compiled.denies.flatMap((d) => d.tools)];
  each(m.tool, 'tool', (tool, pointer) => {
    if (patterns.some((p) => globsOverlap(p, tool)) || [...tools.keys()].some((n) => globMatch(tool, n))) return;
    const names = [...new Set([...patterns.filter((p) => !p.includes('*')), ...tools.keys()])];
    const near = didYouMean(tool, names);
    if (near === '') return;
    const hint = tools.size > 0 ? '' : ' (a tool the server has but no rule names yet is known from its manifest: give --tools, or a server\'s `tools_manifest`)';
    out.push({ pointer, message: `tool \`${tool}\` (${where(pointer)}) matches no tool a grant or deny rule names${tools.size > 0 ? ' and no manifest tool' : ''}${near}: every call to it is denied, so this invariant checks nothing the policy says${hint}` });
  });
  return out;
}

/** A constant as words: `the boolean false`, `the number 3`, `null`. */
function constant(v: Json): string {
  return v === null ? 'null' : `the ${Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v} ${JSON.stringify(v)}`;
}

/**
 * Where a context constraint (not under `not`) holds for no string, and so for no call: context values are always
 * strings (`--context k=v`, the proxy). An unquoted `false` or `3` alone, `min`/`max`, a non-string `type`.
 */
function stringless(c: ContextConstraint, pointer: string): { pointer: string; why: string } | undefined {
  const only = (list: readonly Json[], at: string): { pointer: string; why: string } | undefined =>
    list.length > 0 && list.every((v) => typeof v !== 'string') ? { pointer: at, why: `is compared with ${list.map(constant).join(', ')} only` } : undefined;
  if (Array.isArray(c)) return only(c, pointer);
  if (c.in) {
    const found = only(c.in, `${pointer}/in`);
    if (found) return found;
  }
  if ('equals' in c && c.equals !== undefined && typeof c.equals !== 'string') return { pointer: `${pointer}/equals`, why: `is compared with ${constant(c.equals)} only` };
  for (const op of ['min', 'max'] as const) if (c[op] !== undefined) return { pointer: `${pointer}/${op}`, why: `has \`${op}\`, which holds for numbers only` };
  if (c.type !== undefined && c.type !== 'string') return { pointer: `${pointer}/type`, why: `must be of type \`${c.type}\`` };
  return undefined;
}

/** The name of the built-in that needs tool annotations (so a manifest) to apply. */
export const DESTRUCTIVE_BUILTIN = 'read_only roles are never allowed destructive tools';

/** The built-in properties every policy must satisfy, whatever its invariants say. */
export function builtinProperties(compiled: CompiledPolicy, tools: ReadonlyMap<string, ToolInfo>): Property[] {
  const grantByPointer = new Map(compiled.grants.map((g) => [g.ref.pointer, g]));
  const readOnly = new Set(Object.entries(compiled.policy.roles ?? {}).filter(([, r]) => r.read_only === true).map(([n]) => n));
  // Single-grant decisions are shared frozen objects, so a WeakMap keeps this off the hot path.
  const decidingCache = new WeakMap<Decision, CompiledGrant[]>();
  const deciding = (d: Decision): CompiledGrant[] => {
    let out = decidingCache.get(d);
    if (!out) decidingCache.set(d, (out = d.rules.map((r) => grantByPointer.get(r.pointer)).filter((g) => g !== undefined)));
    return out;
  };
  const builtin = (name: string, check: Property['check']): Property => ({ kind: 'builtin', name, pointer: '', check });
  // Keyed by role-set array identity (the universe shares them), then tool: no string building per call.
  const grantedCache = new Map<readonly string[], Map<string, boolean>>();
  // The agent holding exactly a role set, by role-set array identity (the universe shares them).
  const agents = Object.entries(compiled.policy.agents ?? {}).map(([name, a]) => ({ name, key: [...new Set(a.roles)].sort().join('\u0000') }));
  const agentCache = new WeakMap<readonly string[], string | null>();
  const agentOf = (roles: readonly string[]): string | null => {
    let out = agentCache.get(roles);
    if (out === undefined) {
      const key = [...new Set(roles)].sort().join('\u0000');
      agentCache.set(roles, (out = agents.find((a) => a.key === key)?.name ?? null));
    }
    return out;
  };
  /**
   * An agent's call allowed outright by one role's grant that sets no condition (no argument or context
   * constraint: no tier chose it), which another role of the same agent may make only after approval: that
   * approval never applies to the agent (lint's approval/bypassed, seen on a call). Role sets no agent holds, and
   * free grants tiered by a condition, are left alone.
   */
  const bypassed = (call: SimCall, free: readonly CompiledGrant[]): Verdict => {
    const agent = agentOf(call.roles);
    if (agent === null) return true;
    for (const role of call.roles) {
      const by = free.find((x) => x.role !== role && x.args.length === 0 && x.context.length === 0);
      if (!by) continue;
      const alone = decide(compiled, { principal: 'simulate', roles: [role], tool: call.tool, args: call.args, context: call.context, now: call.now });
      if (alone.effect !== 'approval_required') continue;
      return `${alone.rules[0]!.id} requires approval of this call for role \`${role}\`, but agent \`${agent}\` also holds \`${by.role}\`, whose ${by.ref.id} allows it outright with no condition: the approval never applies to this agent`;
    }
    return true;
  };
  return [
    builtin('ungranted tools are denied', (call, d) => {
      if (d.effect === 'deny') return true;
      let byTool = grantedCache.get(call.roles);
      if (!byTool) grantedCache.set(call.roles, (byTool = new Map()));
      let granted = byTool.get(call.tool);
      if (granted === undefined) {
        granted = compiled.grants.some((g) => compiled.declaredRoles.has(g.role) && call.roles.includes(g.role) && g.tools.some((t) => globMatch(t, call.tool)));
        byTool.set(call.tool, granted);
      }
      return granted ? true : `\`${call.tool}\` was ${d.effect} though no grant gives it to ${call.roles.join(', ')}`;
    }),
    builtin(DESTRUCTIVE_BUILTIN, (call, d) => {
      if (annotation(tools.get(call.tool), 'destructiveHint') !== true) return undefined;
      if (d.effect === 'deny') return true;
      const g = deciding(d).find((x) => readOnly.has(x.role));
      return g ? `read_only role \`${g.role}\` got ${d.effect} on destructive tool \`${call.tool}\` through ${g.ref.id}` : true;
    }),
    builtin('grants that require approval never yield a plain allow', (call, d) => {
      if (d.effect !== 'allow') return true;
      const free = deciding(d);
      const g = free.find((x) => x.approval);
      if (g) return `${g.ref.id} requires approval but the call was allowed outright`;
      return call.roles.length > 1 ? bypassed(call, free) : true;
    }),
    builtin('expired grants never allow', (call, d) => {
      if (d.effect === 'deny') return true;
      const g = deciding(d).find((x) => call.now < x.notBefore || call.now >= x.expires);
      return g ? `${g.ref.id} decided ${d.effect} outside its validity window` : true;
    }),
    builtin('malformed arguments are denied', (call, d) => {
      if (!malformedArgs(compiled, call)) return undefined;
      return d.effect === 'deny' ? true : `malformed arguments were decided ${d.effect}`;
    }),
    builtin('decisions are deterministic', (call, d) => {
      const again = decide(compiled, { principal: 'simulate', roles: call.roles, tool: call.tool, args: call.args, context: call.context, now: call.now });
      const same = again.effect === d.effect && again.rules.length === d.rules.length && again.rules.every((r, i) => r.pointer === d.rules[i]!.pointer);
      return same ? true : `decided ${d.effect} once and ${again.effect} the second time`;
    }),
  ];
}

/** Effects that grant access, for matrices and diffs. */
export const ACCESS: ReadonlySet<Effect> = new Set<Effect>(['allow', 'approval_required']);
