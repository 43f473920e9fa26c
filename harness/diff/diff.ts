// diff(): which calls a policy change decides differently. Exact per (roles, tool) pair first, then
// generated calls aimed at the rules of the pairs that differ; widened access is listed first. An agent
// whose bound roles changed is a pair of its own (old roles under the old policy, new under the new),
// and what is not decided per tool call (resources, prompts, server requests, audit) is compared too.

import fc from 'fast-check';
import { compile, decide, globMatch, type CompiledPolicy, type Decision, type Effect, type ParsedPolicy, type ToolManifest } from '../../policies';
import { towardsBoundary } from '../simulate/boundary';
import { CallSpace, type Genome, type SimCall } from '../simulate/generate';
import { checkCommand, reportedCall, type CommandContext } from '../simulate/commands';
import type { ReportedCall } from '../simulate/report';
import { poolsOf, preferred, type Target } from '../simulate/targets';
import { buildUniverse, type ToolPlan, type Universe } from '../simulate/universe';
import { pairState, type Access } from './pairs';
import { settingChanges, type SettingChange } from './sections';

export interface DiffOptions {
  tools?: ToolManifest;
  /** generated calls over the pairs that differ (default 10,000) */
  runs?: number;
  seed?: number;
  /** the instant decisions are compared at, ms since epoch (default: now) */
  at?: number;
  until?: number;
  /** how reproducing commands name the two files and the manifest */
  command?: { old?: string; new?: string; tools?: string };
}

/** A (roles, tool) pair whose rules differ between the two policies. */
export interface PairChange {
  roles: string[];
  /** an agent whose bound roles changed: it called with `oldRoles` under the old policy, `roles` under the new */
  agent?: string;
  oldRoles?: string[];
  tool: string;
  old: Access;
  new: Access;
}

/** Calls of one pair whose decision moved from one effect to another. */
export interface DecisionChange {
  /** the caller's roles under the new policy, joined by `+` */
  roles: string;
  /** an agent whose bound roles changed, and its roles under the old policy */
  agent?: string;
  oldRoles?: string;
  tool: string;
  from: Effect;
  to: Effect;
  /** deny → allow, deny → approval_required, approval_required → allow */
  widened: boolean;
  /** generated calls with this change */
  count: number;
  /** the smallest such call found */
  example: ReportedCall;
  oldReasons: string[];
  newReasons: string[];
  /** `mandate check` on the new policy, reproducing `to` */
  command: string;
}

export interface DiffReport {
  old: string;
  new: string;
  seed: number;
  at: string;
  /** pairs compared exactly */
  pairs: number;
  /** pairs whose rules differ (the generated calls go there) */
  changedPairs: PairChange[];
  calls: number;
  /** widened first, then narrowed; each sorted by roles and tool */
  changes: DecisionChange[];
  /** changes outside tool calls (agents, resources, prompts, server requests, audit), widened first */
  settings: SettingChange[];
  /** true when no access widened */
  ok: boolean;
}

const RANK: Readonly<Record<Effect, number>> = { deny: 0, approval_required: 1, allow: 2 };

/** True when the change gives more access: deny → approval/allow, approval → allow. */
export function widens(from: Effect, to: Effect): boolean {
  return RANK[to] > RANK[from];
}

function decideOn(c: CompiledPolicy, call: SimCall): Decision {
  return decide(c, { principal: 'diff', roles: call.roles, tool: call.tool, args: call.args, context: call.context, now: call.now });
}

/** Who calls in a pair: the same role set under both policies, or an agent whose bound roles changed. */
interface Caller {
  oldRoles: string[];
  newRoles: string[];
  agent?: string;
}

/** Targets aimed at one changed pair: every rule of either policy that can decide it, plus random calls. */
function pairTargets(u: Universe, pair: Caller & { plan: ToolPlan }, compiled: ReadonlyArray<[CompiledPolicy, string[]]>): Target[] {
  const pools = poolsOf(u);
  const base = { roleSets: [pair.newRoles], tools: [pair.plan] };
  const out: Target[] = [{ label: 'random', weight: 2, ...base, args: new Map(), context: new Map() }];
  for (const [c, roles] of compiled) {
    for (const g of c.grants) {
      if (!roles.includes(g.role) || !g.tools.some((t) => globMatch(t, pair.plan.name))) continue;
      out.push({ label: g.ref.id, weight: 3, ...base, args: preferred(g.args, pools.args), context: preferred(g.context, pools.context) });
    }
    for (const d of c.denies) {
      if (!d.tools.some((t) => globMatch(t, pair.plan.name))) continue;
      out.push({ label: d.ref.id, weight: 2, ...base, args: preferred(d.args, pools.args), context: preferred(d.context, pools.context) });
    }
  }
  return out;
}

/** Compare two policies: exact per pair, then generated calls on the pairs that differ. */
export function diffPolicies(oldP: ParsedPolicy, newP: ParsedPolicy, opts: DiffOptions = {}): DiffReport {
  const seed = (opts.seed ?? Math.floor(Math.random() * 2 ** 31)) | 0;
  const at = opts.at ?? Date.now();
  const until = opts.until ?? Infinity;
  const toolOpt = opts.tools ? { tools: opts.tools } : {};
  const [oc, nc] = [compile(oldP, toolOpt), compile(newP, toolOpt)];
  // INVARIANT: one universe for both policies, with a tool neither names (a glob grant's reach).
  const u = buildUniverse([oldP.policy, newP.policy], opts.tools, at, seed, until, { unlistedTool: true });
  const settings = settingChanges(oldP.policy, newP.policy).sort((a, b) => Number(b.widened) - Number(a.widened));
  const callers: Caller[] = [...u.roleSets.map((roles) => ({ oldRoles: roles, newRoles: roles })), ...movedAgents(oldP, newP)];
  const changedPairs: PairChange[] = [];
  const focus: Array<Caller & { plan: ToolPlan }> = [];
  for (const caller of callers) {
    for (const plan of u.tools) {
      const a = pairState(oc, caller.oldRoles, plan.name);
      const b = pairState(nc, caller.newRoles, plan.name);
      if (a.fingerprint === b.fingerprint) continue;
      changedPairs.push({ roles: caller.newRoles, ...(caller.agent !== undefined ? { agent: caller.agent, oldRoles: caller.oldRoles } : {}), tool: plan.name, old: a.access, new: b.access });
      focus.push({ ...caller, plan });
    }
  }
  const runs = Math.max(0, Math.floor(opts.runs ?? 10_000));
  const groups = new Map<string, Group>();
  const perPair = focus.length === 0 ? 0 : Math.max(50, Math.ceil(runs / focus.length));
  let calls = 0;
  const cmd: CommandContext = { policy: opts.command?.new ?? newP.file, ...(opts.command?.tools !== undefined ? { tools: [opts.command.tools] } : {}) };
  focus.forEach((pair, p) => {
    // calls are generated with the new roles; the old policy decides them with the caller's old roles
    const space = new CallSpace({ ...u, roleSets: [pair.newRoles], tools: [pair.plan] }, pairTargets(u, pair, [[oc, pair.oldRoles], [nc, pair.newRoles]]));
    for (let i = 0; i < perPair; i++) {
      const genome = space.genome(seed + p, i);
      const call = space.decode(genome);
      calls++;
      const [d1, d2] = [decideOn(oc, { ...call, roles: pair.oldRoles }), decideOn(nc, call)];
      if (d1.effect === d2.effect) continue;
      const key = `${pair.agent ?? ''}\u0000${call.roles.join('+')}\u0000${call.tool}\u0000${d1.effect}\u0000${d2.effect}`;
      const g = groups.get(key);
      if (g) g.count++;
      else {
        groups.set(key, { count: 1, space, genome, oldRoles: pair.oldRoles, change: {
          roles: call.roles.join('+'), ...(pair.agent !== undefined ? { agent: pair.agent, oldRoles: pair.oldRoles.join('+') } : {}),
          tool: call.tool, from: d1.effect, to: d2.effect, widened: widens(d1.effect, d2.effect),
          example: reportedCall(call), oldReasons: [], newReasons: [], command: '' } });
      }
    }
  });
  const changes = [...groups.values()].map((g) => finishChange(g, oc, nc, cmd)).sort(order);
  return {
    old: oldP.file, new: newP.file, seed, at: new Date(at).toISOString(), pairs: callers.length * u.tools.length,
    changedPairs, calls, changes, settings, ok: !changes.some((c) => c.widened) && !settings.some((c) => c.widened),
  };
}

/** Agents whose bound roles differ between the two policies (an agent a policy does not bind has none). */
function movedAgents(oldP: ParsedPolicy, newP: ParsedPolicy): Caller[] {
  const rolesOf = (p: ParsedPolicy, name: string): string[] =>
    (Object.prototype.hasOwnProperty.call(p.policy.agents ?? {}, name) ? [...new Set(p.policy.agents![name]!.roles)] : []);
  const names = [...new Set([...Object.keys(oldP.policy.agents ?? {}), ...Object.keys(newP.policy.agents ?? {})])].sort();
  return names.map((agent) => ({ agent, oldRoles: rolesOf(oldP, agent), newRoles: rolesOf(newP, agent) }))
    .filter((a) => JSON.stringify([...a.oldRoles].sort()) !== JSON.stringify([...a.newRoles].sort()));
}

interface Group {
  change: Omit<DecisionChange, 'count'>;
  count: number;
  space: CallSpace;
  genome: Genome;
  /** the roles the old policy decides the calls with */
  oldRoles: string[];
}

/** Shrink the group's first example (keeping the same change) and fill in reasons and the command. */
function finishChange(g: Group, oc: CompiledPolicy, nc: CompiledPolicy, cmd: CommandContext): DecisionChange {
  const { from, to } = g.change;
  const before = (call: SimCall): Decision => decideOn(oc, { ...call, roles: g.oldRoles });
  const same = (call: SimCall): boolean => before(call).effect === from && decideOn(nc, call).effect === to;
  const out = fc.check(fc.property(g.space.arbitrary(), (x) => !same(g.space.decode(x))), { examples: [[g.genome]], numRuns: 1 });
  // as simulate's counterexamples: each number then moves to where the change begins (1000.001 above an old cap of 1000)
  const call = g.space.decode(towardsBoundary(g.space, out.counterexample?.[0] ?? g.genome, (x) => same(g.space.decode(x))).genome);
  return {
    ...g.change, count: g.count, example: reportedCall(call),
    oldReasons: before(call).reasons.map((r) => r.message), newReasons: decideOn(nc, call).reasons.map((r) => r.message),
    command: checkCommand(cmd, call),
  };
}

function order(a: DecisionChange, b: DecisionChange): number {
  return Number(b.widened) - Number(a.widened) || (a.agent ?? '').localeCompare(b.agent ?? '') || a.roles.localeCompare(b.roles)
    || a.tool.localeCompare(b.tool) || a.from.localeCompare(b.from);
}
