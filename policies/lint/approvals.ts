// Approvals: tools that move money or destroy things run only after a human says yes.

import { isGlob } from '../glob';
import type { Grant } from '../types';
import { expandIn, toolEntries, toolNature, type ToolNature } from './tools';
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
