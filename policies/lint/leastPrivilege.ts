// Least privilege by role: a role declared `read_only` must not be granted a tool that can change things.

import type { FixData } from '../findings';
import { isGlob } from '../glob';
import { expandIn, globMayChange, grantTools, hasManifest, isMatchAll, toolEntries, toolNature } from './tools';
import type { LintRule, RuleFinding } from './types';

export const readOnlyWrites: LintRule = {
  id: 'least-privilege/read-only-writes',
  severity: 'error',
  why: 'a role declared `read_only` that holds a write tool is not read-only; reviewers trust the flag',
  example: 'roles: { reader: { read_only: true } }\ngrants: [{ agent_role: reader, tool: write_file }]',
  check(ctx) {
    const out: RuleFinding[] = [];
    const roles = ctx.policy.roles ?? {};
    (ctx.policy.grants ?? []).forEach((g, i) => {
      const role = Object.prototype.hasOwnProperty.call(roles, g.agent_role) ? roles[g.agent_role] : undefined;
      if (role?.read_only !== true) return;
      const entries = toolEntries(g, `/grants/${i}`);
      for (const { pattern, pointer } of entries) {
        const writes = expandIn(ctx, pattern).map((t) => ({ t, n: toolNature(t.name, t.info) })).filter((x) => x.n.changes);
        let what: string;
        if (writes.length > 0) {
          const first = writes[0]!;
          const how = first.n.basis === 'annotations' ? 'its MCP annotations say it' : 'its name says it';
          what = isGlob(pattern) && hasManifest(ctx) ? `\`${pattern}\` matches ${writes.map((x) => `\`${x.t.name}\``).slice(0, 5).join(', ')}, which can change things` : `\`${pattern}\` can change things (${how})`;
        } else {
          // Without a manifest a glob is read by its words: `*_file` has none that change things, yet it matches
          // `delete_file`. Unless its fixed start is a reading verb (`read_*`), it may grant a write tool.
          // (`*` alone is over-broad/all-tools.)
          const could = isGlob(pattern) && !hasManifest(ctx) && !isMatchAll(pattern) ? globMayChange(pattern) : undefined;
          if (could === undefined) continue;
          what = `\`${pattern}\` can match \`${could}\` (without a manifest, only a glob that starts with a reading verb such as \`read_*\` reads as read-only): list the tools, or lint with \`--tools\``;
        }
        const fix: FixData = grantTools(g).length > 1
          ? { title: `remove \`${pattern}\` from this grant`, op: 'remove', pointer }
          : { title: 'remove this grant', op: 'remove', pointer: `/grants/${i}` };
        out.push({ message: `read-only role \`${g.agent_role}\` is granted a tool that can change things: ${what}`, pointer, range: ctx.source.range(pointer), fix: [fix] });
      }
    });
    return out;
  },
};
