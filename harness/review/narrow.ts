// Least-privilege proposals: roles that call only some of the tools their grants hold get the narrowed
// grant list (globs replaced by the names actually called, unused grants dropped) as YAML to paste in.

import { stringify } from 'yaml';
import { globMatch, isGlob, type CompiledPolicy, type Grant } from '../../policies';
import type { GrantUsage, RoleNarrowing } from './types';

/** Roles whose used tools are a strict subset of what they hold, with a narrowed grant list. */
export function narrowRoles(compiled: CompiledPolicy, usage: readonly GrantUsage[]): RoleNarrowing[] {
  const byRole = new Map<string, GrantUsage[]>();
  for (const u of usage) {
    if (!compiled.declaredRoles.has(u.role)) continue;
    const list = byRole.get(u.role);
    if (list) list.push(u);
    else byRole.set(u.role, [u]);
  }
  const out: RoleNarrowing[] = [];
  for (const [role, grants] of [...byRole.entries()].sort((a, b) => a[0].localeCompare(b[0]))) {
    const n = narrowRole(compiled, role, grants);
    if (n) out.push(n);
  }
  return out;
}

function narrowRole(compiled: CompiledPolicy, role: string, grants: readonly GrantUsage[]): RoleNarrowing | undefined {
  const used = new Set(grants.flatMap((g) => g.perTool.map((t) => t.tool)));
  // a role that used nothing is reported grant by grant as unused; there is nothing to narrow it to
  if (used.size === 0) return undefined;
  const held = [...new Set(grants.flatMap((g) => g.tools))];
  const unused = held.filter((p) => ![...used].some((t) => globMatch(p, t)));
  const narrowed: Grant[] = [];
  let changed = false;
  for (const g of grants) {
    const tools = narrowTools(g);
    if (tools.length !== g.tools.length || tools.some((t, i) => t !== g.tools[i])) changed = true;
    if (tools.length > 0) narrowed.push(withTools(sourceGrant(compiled, g), tools));
  }
  // INVARIANT: a proposal only ever removes access: every proposed tool was called under the same grant.
  if (!changed) return undefined;
  return {
    role, held, used: [...used].sort(), unused,
    replaces: grants.map((g) => ({ grant: g.grant, where: g.where })),
    proposal: stringify(narrowed, { lineWidth: 0 }),
  };
}

/** The grant's tools, keeping names that were called and replacing globs by the names they matched. */
function narrowTools(g: GrantUsage): string[] {
  const called = g.perTool.map((t) => t.tool);
  const out: string[] = [];
  for (const p of g.tools) {
    const hits = isGlob(p) ? called.filter((t) => globMatch(p, t)).sort() : called.includes(p) ? [p] : [];
    for (const t of hits) if (!out.includes(t)) out.push(t);
  }
  return out;
}

function sourceGrant(compiled: CompiledPolicy, g: GrantUsage): Grant {
  const i = Number(/^\/grants\/(\d+)$/.exec(g.pointer)?.[1]);
  const src = compiled.policy.grants?.[i];
  return src ?? { agent_role: g.role, tools: g.tools };
}

function withTools(g: Grant, tools: string[]): Grant {
  const { tool: _tool, tools: _tools, lint_ignore: _ignore, ...rest } = g;
  const head = { agent_role: rest.agent_role, ...(rest.id !== undefined ? { id: rest.id } : {}) };
  return tools.length === 1 ? { ...head, ...rest, tool: tools[0]! } : { ...head, ...rest, tools };
}
