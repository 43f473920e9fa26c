// Approvals: tools that move money or destroy things run only after a human says yes.

import { globsOverlap, isGlob } from '../glob';
import type { Grant } from '../types';
import { parseDateTime } from '../time';
import { expandIn, grantLabel, scopeNames, toolEntries, toolNature, type ToolNature } from './tools';
import type { LintContext, LintRule, RuleFinding } from './types';

function missingApproval(ctx: LintContext, pick: (n: ToolNature) => boolean, what: string): RuleFinding[] {
  const out: RuleFinding[] = [];
  (ctx.policy.grants ?? []).forEach((g: Grant, i) => {
    if (g.requires_approval === true) return;
    for (const { pattern, pointer } of toolEntries(g, `/grants/${i}`)) {
      const hits = expandIn(ctx, pattern).filter((t) => pick(toolNature(t.name, t.info))).map((t) => t.name);
      if (hits.length === 0) continue;
      const names = isGlob(pattern) ? ` (${hits.slice(0, 5).map((h) => `\`${h}\``).join(', ')})` : '';
      out.push({
        message: `\`${pattern}\`${names} ${what}, but role \`${g.agent_role}\` may call it without \`requires_approval\``,
        pointer, range: ctx.source.range(pointer),
        fix: [{ title: 'add `requires_approval: true`', op: 'add', pointer: `/grants/${i}/requires_approval`, value: true }],
      });
    }
  });
  return out;
}

export const financialApproval: LintRule = {
  id: 'approval/financial',
  severity: 'error',
  why: 'a tool that moves money must wait for a human: an agent that is wrong once pays once',
  example: '- { agent_role: finance_executor, tool: issue_payment }',
  check: (ctx) => missingApproval(ctx, (n) => n.financial, 'moves money'),
};

export const destructiveApproval: LintRule = {
  id: 'approval/destructive',
  severity: 'warning',
  why: 'a tool that deletes data or runs code cannot be undone; a human should approve each call',
  example: '- { agent_role: cleaner, tool: delete_entities }',
  check: (ctx) => missingApproval(ctx, (n) => n.destructive && !n.financial, 'destroys data or runs code'),
};

/**
 * A grant that allows every call to its tools now: no context, no scope that constrains anything (an empty
 * `context: {}` or scope is none), not expired. Nothing can tier it against another grant.
 */
function unconditional(ctx: LintContext, g: Grant): boolean {
  if (g.context !== undefined && Object.keys(g.context).length > 0) return false;
  const scopes = ctx.policy.scopes ?? {};
  for (const name of scopeNames(g.scope)) {
    const s = Object.prototype.hasOwnProperty.call(scopes, name) ? scopes[name] : undefined;
    if (s === undefined) return false; // an undefined scope denies: the engine fails closed
    if (Object.keys(s.args ?? {}).length > 0 || Object.keys(s.context ?? {}).length > 0) return false;
  }
  if (g.expires !== undefined && !(parseDateTime(g.expires, 'up') > ctx.now)) return false;
  return true;
}

export const bypassedApproval: LintRule = {
  id: 'approval/bypassed',
  severity: 'warning',
  why: 'an agent bound to two roles gets the more permissive grant: an approval one role requires is void when its other role may call the same tool without one',
  example: 'agents: { release-bot: { roles: [deployer, helper] } }   # deployer: deploy_service with approval; helper: "deploy_*" without',
  check(ctx) {
    const out: RuleFinding[] = [];
    const grants = (ctx.policy.grants ?? []).map((g, i) => ({ g, i }));
    for (const [agent, binding] of Object.entries(ctx.policy.agents ?? {})) {
      const roles = new Set(binding?.roles ?? []);
      if (roles.size < 2) continue;
      for (const asked of grants.filter(({ g }) => g.requires_approval === true && roles.has(g.agent_role))) {
        for (const free of grants.filter(({ g }) => g.requires_approval !== true && g.agent_role !== asked.g.agent_role && roles.has(g.agent_role) && unconditional(ctx, g))) {
          const meet = toolEntries(asked.g, `/grants/${asked.i}`).flatMap((a) => toolEntries(free.g, `/grants/${free.i}`).filter((f) => globsOverlap(a.pattern, f.pattern)).map((f) => [a.pattern, f.pattern] as const));
          if (meet.length === 0) continue;
          const [tool, by] = meet[0]!;
          const pointer = `/agents/${agent.replace(/~/g, '~0').replace(/\//g, '~1')}/roles`;
          out.push({
            message: `agent \`${agent}\` holds roles \`${asked.g.agent_role}\` and \`${free.g.agent_role}\`: ${grantLabel(free.g, free.i)} lets \`${free.g.agent_role}\` call \`${by}\` without approval, so the approval ${grantLabel(asked.g, asked.i)} requires for \`${tool}\` never applies to this agent (a call is decided by its most permissive grant)`,
            pointer, range: ctx.source.range(pointer),
          });
        }
      }
    }
    return out;
  },
};
