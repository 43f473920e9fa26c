// Generation targets: a call is either random over the universe, or aimed at one grant or invariant,
// drawing each constrained key mostly from values that satisfy it and sometimes from its near-misses.

import { compileConstraint, compileContextConstraint, globMatch, selecting, type Check, type CompiledPolicy, type Json, type Policy } from '../../policies';
import type { ToolPlan, Universe } from './universe';

/** A key's pool split by whether the target's constraints accept each value. */
export interface Preferred {
  good: Json[];
  bad: Json[];
}

export interface Target {
  label: string;
  weight: number;
  roleSets: string[][];
  tools: ToolPlan[];
  args: ReadonlyMap<string, Preferred>;
  context: ReadonlyMap<string, Preferred>;
}

/** Share of generation (out of 1000) given to random calls, grant-aimed and invariant-aimed calls. */
const SHARES = { random: 250, grants: 500, invariants: 250 };

function split(pool: readonly Json[], checks: readonly Check[]): Preferred {
  const good: Json[] = [];
  const bad: Json[] = [];
  for (const v of pool) {
    let ok = true;
    try {
      ok = checks.every((c) => c(v) === undefined);
    } catch {
      ok = false;
    }
    (ok ? good : bad).push(v);
  }
  return { good, bad };
}

/** Split each constrained key's pool into values its checks accept and near-misses. */
export function preferred(checks: ReadonlyArray<{ key: string; check: Check }>, pools: ReadonlyMap<string, readonly Json[]>): Map<string, Preferred> {
  const byKey = new Map<string, Check[]>();
  for (const { key, check } of checks) byKey.set(key, [...(byKey.get(key) ?? []), check]);
  return new Map([...byKey].map(([key, cs]) => [key, split(pools.get(key) ?? [], cs)]));
}

/** Every argument value pool of the universe by key, and every context pool. */
export function poolsOf(u: Universe): { args: Map<string, Json[]>; context: Map<string, Json[]> } {
  const args = new Map<string, Json[]>();
  for (const t of u.tools) for (const { key, values } of t.keys) if (!args.has(key)) args.set(key, values);
  return { args, context: new Map(u.context.map((c) => [c.key, c.values])) };
}

/** Build the weighted targets for a universe and its compiled policy. */
export function buildTargets(u: Universe, compiled: CompiledPolicy): Target[] {
  const pools = poolsOf(u);
  const targets: Target[] = [{ label: 'random', weight: 0, roleSets: u.roleSets, tools: u.tools, args: new Map(), context: new Map() }];
  const grantTargets: Target[] = [];
  for (const g of compiled.grants) {
    const tools = u.tools.filter((t) => g.tools.some((p) => globMatch(p, t.name)));
    if (tools.length === 0) continue;
    grantTargets.push({ label: g.ref.id, weight: 0, roleSets: [[g.role]], tools, args: preferred(g.args, pools.args), context: preferred(g.context, pools.context) });
  }
  const invTargets = invariantTargets(compiled.policy, u, pools);
  targets[0]!.weight = SHARES.random + (grantTargets.length === 0 ? SHARES.grants : 0) + (invTargets.length === 0 ? SHARES.invariants : 0);
  for (const t of grantTargets) t.weight = Math.max(1, Math.round(SHARES.grants / grantTargets.length));
  for (const t of invTargets) t.weight = Math.max(1, Math.round(SHARES.invariants / invTargets.length));
  return [...targets, ...grantTargets, ...invTargets];
}

function invariantTargets(policy: Policy, u: Universe, pools: ReturnType<typeof poolsOf>): Target[] {
  const out: Target[] = [];
  for (const inv of policy.invariants ?? []) {
    const m = inv.never ?? inv.always ?? {};
    const roles = m.role === undefined ? undefined : Array.isArray(m.role) ? m.role : [m.role];
    const patterns = m.tool === undefined ? undefined : Array.isArray(m.tool) ? m.tool : [m.tool];
    const tools = patterns ? u.tools.filter((t) => patterns.some((p) => globMatch(p, t.name))) : u.tools;
    if (tools.length === 0) continue;
    const roleSets = roles ? u.roleSets.filter((rs) => rs.some((r) => roles.includes(r))) : u.roleSets;
    const args = Object.entries(m.args ?? {}).map(([key, c]) => ({ key, check: selecting(compileConstraint(c)) }));
    const context = Object.entries(m.context ?? {}).map(([key, c]) => ({ key, check: selecting(compileContextConstraint(c)) }));
    out.push({ label: inv.name, weight: 0, roleSets: roleSets.length > 0 ? roleSets : u.roleSets, tools, args: preferred(args, pools.args), context: preferred(context, pools.context) });
  }
  return out;
}
