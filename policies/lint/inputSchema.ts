// Constraints on arguments a tool does not have: the argument is always absent, and an absent
// argument satisfies no constraint, so the grant silently denies every call (or the deny never fires).

import { childPointer } from '../source';
import type { Constraint, ToolInfo } from '../types';
import { expand, knownTools, toolEntries } from './tools';
import type { LintContext, LintRule, RuleFinding } from './types';

/** The argument names a tool's `inputSchema` declares, or undefined when it does not say. */
export function declaredArgs(info: ToolInfo | undefined): Set<string> | undefined {
  const props = info?.inputSchema?.['properties'];
  if (!props || typeof props !== 'object' || Array.isArray(props)) return undefined;
  return new Set(Object.keys(props));
}

interface Use { args: Record<string, Constraint>; base: string; via: string }

/** The argument constraints a grant or deny rule applies: its scopes' and (for denies) its own. */
function uses(ctx: LintContext, rule: { scope?: string | string[]; args?: Record<string, Constraint> }, base: string): Use[] {
  const scopes = ctx.policy.scopes ?? {};
  const names = rule.scope === undefined ? [] : Array.isArray(rule.scope) ? rule.scope : [rule.scope];
  const out: Use[] = names.filter((n) => Object.prototype.hasOwnProperty.call(scopes, n) && scopes[n]!.args)
    .map((n) => ({ args: scopes[n]!.args!, base: `${childPointer('/scopes', n)}/args`, via: `scope \`${n}\`` }));
  if (rule.args) out.push({ args: rule.args, base: `${base}/args`, via: 'the rule' });
  return out;
}

export const unknownArgument: LintRule = {
  id: 'constraint/unknown-argument',
  severity: 'error',
  why: 'a constraint on an argument the tool does not take is never satisfied: the grant silently denies every call',
  example: 'scopes: { s: { args: { filepath: { within: [docs/] } } } }   # read_file takes `path`',
  check(ctx) {
    const known = knownTools(ctx);
    if (known.size === 0) return [];
    const out: RuleFinding[] = [];
    const seen = new Set<string>();
    const visit = (rule: Parameters<typeof uses>[1] & { tool?: string; tools?: string[] }, base: string, what: string): void => {
      const tools = toolEntries(rule, base).flatMap((e) => expand(e.pattern, known, true));
      for (const u of uses(ctx, rule, base)) {
        for (const key of Object.keys(u.args)) {
          for (const t of tools) {
            const declared = declaredArgs(t.info);
            const pointer = childPointer(u.base, key);
            if (!declared || declared.has(key) || seen.has(`${pointer}\u0000${t.name}`)) continue;
            seen.add(`${pointer}\u0000${t.name}`);
            out.push({ message: `argument \`${key}\` (${u.via}) is not in the input schema of \`${t.name}\`: ${what}`, pointer, range: ctx.source.keyRange(pointer) });
          }
        }
      }
    };
    (ctx.policy.grants ?? []).forEach((g, i) => visit(g, `/grants/${i}`, `the grant for \`${g.agent_role}\` denies every call`));
    (ctx.policy.deny ?? []).forEach((d, i) => visit(d, `/deny/${i}`, `deny rule \`${d.id ?? `deny[${i}]`}\` never applies`));
    return out;
  },
};
