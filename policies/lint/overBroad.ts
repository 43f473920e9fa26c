// Over-broad access: wildcards that grant a role every tool, and generic roles that can change things.

import type { FixData } from '../findings';
import { globMatch, isGlob } from '../glob';
import type { Grant, Json } from '../types';
import { expandIn, grantTools, hasManifest, isMatchAll, toolEntries, toolNature, words } from './tools';
import type { LintContext, LintRule, RuleFinding } from './types';

/** Role names that say nothing about the job: such a role should not hold tools that change things. */
const GENERIC = new Set(['agent', 'agents', 'default', 'user', 'users', 'assistant', 'general', 'generic', 'everyone', 'all', 'any',
  'public', 'bot', 'llm', 'ai', 'guest', 'basic', 'standard', 'member', 'members', 'common', 'shared', 'copilot', 'model', 'role']);

/** True when every word of a role name is generic (`default_agent`, `ai-assistant`). */
export function isGenericRole(role: string): boolean {
  const w = words(role);
  return w.length > 0 && w.every((x) => GENERIC.has(x));
}

/** The manifests a glob could cover entirely: `--tools` and each server's own. */
function manifests(ctx: LintContext): Array<{ label: string; names: string[] }> {
  const out: Array<{ label: string; names: string[] }> = [];
  if (ctx.tools) out.push({ label: 'the tool manifest', names: ctx.tools.tools.map((t) => t.name) });
  for (const [server, m] of Object.entries(ctx.serverTools ?? {})) out.push({ label: `server \`${server}\``, names: m.tools.map((t) => t.name) });
  return out;
}

/** A fix that replaces `pattern` in grant `i` by the named tools (the grant node is replaced whole). */
function pinFix(g: Grant, i: number, pattern: string, names: string[]): FixData {
  const rest = grantTools(g).filter((t) => t !== pattern);
  const tools = [...new Set([...rest, ...names])].sort();
  const next: Record<string, Json> = {};
  for (const [k, v] of Object.entries(g)) if (k !== 'tool' && k !== 'tools') next[k] = v as Json;
  next['tools'] = tools;
  return { title: `replace \`${pattern}\` with the ${names.length} tools it grants today`, op: 'replace', pointer: `/grants/${i}`, value: next };
}

export const wildcardAll: LintRule = {
  id: 'over-broad/all-tools',
  severity: 'error',
  why: 'a `*` grant gives the role every tool a server has today and every tool it adds tomorrow',
  example: '- { agent_role: helper, tool: "*" }',
  check(ctx) {
    const out: RuleFinding[] = [];
    const lists = manifests(ctx);
    const wholeOf = new Map<string, { label: string } | undefined>();
    const whole = (pattern: string) => {
      if (!wholeOf.has(pattern)) wholeOf.set(pattern, lists.find((m) => m.names.length > 1 && m.names.every((n) => globMatch(pattern, n))));
      return wholeOf.get(pattern);
    };
    (ctx.policy.grants ?? []).forEach((g, i) => {
      for (const { pattern, pointer } of toolEntries(g, `/grants/${i}`)) {
        if (!isGlob(pattern)) continue;
        const all = isMatchAll(pattern);
        const covered = all ? undefined : whole(pattern);
        if (!all && !covered) continue;
        const names = hasManifest(ctx) ? expandIn(ctx, pattern).map((t) => t.name) : [];
        const what = all ? 'every tool' : `every tool of ${covered!.label}`;
        out.push({
          message: `role \`${g.agent_role}\` is granted ${what} by \`${pattern}\`: list the tools it needs`,
          pointer, range: ctx.source.range(pointer),
          ...(names.length > 0 ? { fix: [pinFix(g, i, pattern, names)] } : {}),
        });
      }
    });
    return out;
  },
};

export const genericRoleWrites: LintRule = {
  id: 'over-broad/generic-role-writes',
  severity: 'warning',
  why: 'a role named for nobody in particular (`agent`, `default`, `user`) ends up shared, so its write tools are shared too',
  example: '- { agent_role: default_agent, tool: delete_file }',
  check(ctx) {
    const out: RuleFinding[] = [];
    (ctx.policy.grants ?? []).forEach((g, i) => {
      if (!isGenericRole(g.agent_role)) return;
      for (const { pattern, pointer } of toolEntries(g, `/grants/${i}`)) {
        const writes = expandIn(ctx, pattern).filter((t) => toolNature(t.name, t.info).changes).map((t) => t.name);
        if (writes.length === 0) continue;
        out.push({
          message: `generic role \`${g.agent_role}\` is granted \`${pattern}\`, which can change things${isGlob(pattern) ? ` (${writes.slice(0, 5).join(', ')})` : ''}: grant it to a role named for the job`,
          pointer, range: ctx.source.range(pointer),
        });
      }
    });
    return out;
  },
};
