// Dead and redundant rules: grants a deny always overrides, duplicates, grants another grant already
// covers, and scopes or roles nothing uses. Dead text misleads reviewers about what is allowed.

import { canonicalJson } from '../audit';
import { childPointer } from '../source';
import { parseDateTime } from '../time';
import type { DenyRule, Grant, Json } from '../types';
import { covers, grantLabel as label, grantTools, scopeNames } from './tools';
import type { LintRule, RuleFinding } from './types';

const NO_GRANTS: readonly Grant[] = [];

/** A deny rule that applies whatever the arguments and context: it always wins for its roles and tools. */
function unconditional(d: DenyRule): boolean {
  return d.scope === undefined && d.args === undefined && d.context === undefined;
}

function denyApplies(d: DenyRule, role: string): boolean {
  if (d.roles === undefined && d.agent_role === undefined) return true;
  return (d.roles ?? []).includes(role) || d.agent_role === role;
}

export const deniedGrant: LintRule = {
  id: 'dead/denied-grant',
  severity: 'warning',
  why: 'a grant that a deny rule always overrides allows nothing, yet reads as if it did',
  example: 'grants: [{ agent_role: ops, tool: delete_db }]\ndeny: [{ tools: ["delete_*"], reason: change management }]',
  check(ctx) {
    const denies = (ctx.policy.deny ?? []).map((d, j) => ({ d, j })).filter(({ d }) => unconditional(d));
    if (denies.length === 0) return [];
    const out: RuleFinding[] = [];
    (ctx.policy.grants ?? []).forEach((g, i) => {
      const mine = denies.filter(({ d }) => denyApplies(d, g.agent_role));
      const by = grantTools(g).map((t) => mine.find(({ d }) => grantTools(d).some((p) => covers(p, t))));
      if (by.length === 0 || by.some((x) => x === undefined)) return;
      const names = [...new Set(by.map((x) => x!.d.id ?? `deny[${x!.j}]`))].map((n) => `\`${n}\``).join(', ');
      const pointer = `/grants/${i}`;
      out.push({ message: `${label(g, i)} is always overridden by deny rule ${names}: it allows nothing`, pointer, range: ctx.source.range(`${pointer}/agent_role`),
        fix: [{ title: 'remove the dead grant', op: 'remove', pointer }] });
    });
    return out;
  },
};

interface Shape { i: number; g: Grant; tools: string[]; scopes: Set<string>; context: Map<string, string>; from: number; to: number }

function shape(g: Grant, i: number): Shape {
  return {
    i, g, tools: [...new Set(grantTools(g))].sort(), scopes: new Set(scopeNames(g.scope)),
    context: new Map(Object.entries(g.context ?? {}).map(([k, v]) => [k, canonicalJson(v as Json)])),
    from: g.not_before ? parseDateTime(g.not_before, 'up') : -Infinity, to: g.expires ? parseDateTime(g.expires, 'up') : Infinity,
  };
}

/** True when every call `a` allows, `b` allows at least as freely (no approval where `a` has none). */
function subsumes(b: Shape, a: Shape): boolean {
  if (b.g.requires_approval === true && a.g.requires_approval !== true) return false;
  if (b.from > a.from || b.to < a.to) return false;
  for (const s of b.scopes) if (!a.scopes.has(s)) return false;
  for (const [k, v] of b.context) if (a.context.get(k) !== v) return false;
  return a.tools.every((t) => b.tools.some((p) => covers(p, t)));
}

/**
 * What of `a`'s conditions `b` makes void, said outright when it is a time window or a scope (an expiring emergency
 * grant beside a standing one reads as limited in time, and is not): '' when only context or approval differ.
 */
function voided(a: Shape, b: Shape): string {
  const parts: string[] = [];
  if (a.from > b.from || a.to < b.to) {
    const window = [a.g.not_before !== undefined ? `from ${a.g.not_before}` : '', a.g.expires !== undefined ? `until ${a.g.expires}` : ''].filter(Boolean).join(' ');
    parts.push(`its window (${window}) limits nothing: the other grant allows these calls ${b.from === -Infinity && b.to === Infinity ? 'at any time' : 'over a wider window'}`);
  }
  const extra = [...a.scopes].filter((x) => !b.scopes.has(x));
  if (extra.length > 0) parts.push(`its scope${extra.length > 1 ? 's' : ''} ${extra.map((x) => `\`${x}\``).join(', ')} limit${extra.length > 1 ? '' : 's'} nothing`);
  return parts.length > 0 ? ` — ${parts.join('; ')}; if ${parts.length > 1 ? 'they were' : 'it was'} meant to, narrow the other grant instead of removing this one` : '';
}

// INVARIANT: the policy is never mutated while rules run, so its grant shapes are kept per policy.
const shapes = new WeakMap<readonly Grant[], Map<string, Shape[]>>();

/** Grants grouped by role, in file order. */
function byRole(grants: readonly Grant[]): Map<string, Shape[]> {
  const hit = shapes.get(grants);
  if (hit) return hit;
  const groups = new Map<string, Shape[]>();
  shapes.set(grants, groups);
  grants.forEach((g, i) => {
    const list = groups.get(g.agent_role) ?? [];
    list.push(shape(g, i));
    groups.set(g.agent_role, list);
  });
  return groups;
}

function redundancy(ctx: Parameters<LintRule['check']>[0], wantDuplicate: boolean): RuleFinding[] {
  const out: RuleFinding[] = [];
  for (const group of byRole(ctx.policy.grants ?? NO_GRANTS).values()) {
    for (const a of group) {
      for (const b of group) {
        if (a === b || !subsumes(b, a)) continue;
        const duplicate = subsumes(a, b);
        // A pair that covers each other is a duplicate: reported once, on the later grant.
        if (duplicate && (!wantDuplicate || b.i > a.i)) continue;
        if (!duplicate && wantDuplicate) continue;
        const pointer = `/grants/${a.i}`;
        const message = duplicate
          ? `${label(a.g, a.i)} repeats ${label(b.g, b.i)} (${ctx.source.where(`/grants/${b.i}`)})`
          : `${label(a.g, a.i)} is already covered by ${label(b.g, b.i)} (${ctx.source.where(`/grants/${b.i}`)}), which allows the same calls with fewer conditions${voided(a, b)}`;
        out.push({ message, pointer, range: ctx.source.range(`${pointer}/agent_role`), fix: [{ title: 'remove the redundant grant', op: 'remove', pointer }] });
        break;
      }
    }
  }
  return out;
}

export const duplicateGrant: LintRule = {
  id: 'dead/duplicate-grant',
  severity: 'warning',
  why: 'a repeated grant doubles the text a reviewer must read and drifts when only one copy is edited',
  example: 'grants: [{ agent_role: r, tool: read_file }, { agent_role: r, tool: read_file }]',
  check: (ctx) => redundancy(ctx, true),
};

export const subsumedGrant: LintRule = {
  id: 'dead/subsumed-grant',
  severity: 'warning',
  why: 'a grant whose calls another grant already allows with fewer conditions gives a false sense of its constraints',
  example: 'grants: [{ agent_role: r, tool: read_file, scope: [docs_only] }, { agent_role: r, tool: "read_*" }]',
  check: (ctx) => redundancy(ctx, false),
};

export const unusedScope: LintRule = {
  id: 'dead/unused-scope',
  severity: 'warning',
  why: 'a scope no rule names constrains nothing; a reader may believe it does',
  example: 'scopes: { docs_only: { args: { path: { within: [docs/] } } } }   # never named',
  check(ctx) {
    const used = new Set<string>();
    for (const r of [...(ctx.policy.grants ?? []), ...(ctx.policy.deny ?? [])]) for (const s of scopeNames(r.scope)) used.add(s);
    return Object.keys(ctx.policy.scopes ?? {}).filter((s) => !used.has(s)).map((s) => {
      const pointer = childPointer('/scopes', s);
      return { message: `scope \`${s}\` is not used by any grant or deny rule`, pointer, range: ctx.source.keyRange(pointer), fix: [{ title: `remove scope \`${s}\``, op: 'remove', pointer }] };
    });
  },
};

export const unusedRole: LintRule = {
  id: 'dead/unused-role',
  severity: 'warning',
  why: 'a declared role with no grants can do nothing; an agent bound to it is misconfigured or the grants are missing',
  example: 'roles: { auditor: { description: Reads logs. } }   # no grant names auditor',
  check(ctx) {
    const used = new Set((ctx.policy.grants ?? []).map((g) => g.agent_role));
    const agents = Object.entries(ctx.policy.agents ?? {});
    return Object.keys(ctx.policy.roles ?? {}).filter((r) => !used.has(r)).map((r) => {
      const pointer = childPointer('/roles', r);
      const bound = agents.filter(([, a]) => a.roles.includes(r)).map(([n]) => `\`${n}\``);
      const tail = bound.length > 0 ? `, though agent${bound.length > 1 ? 's' : ''} ${bound.join(', ')} ${bound.length > 1 ? 'are' : 'is'} bound to it` : '';
      return { message: `role \`${r}\` has no grants${tail}`, pointer, range: ctx.source.keyRange(pointer) };
    });
  },
};
