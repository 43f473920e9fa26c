// Constraints on arguments a tool does not have: the argument is always absent, and an absent
// argument satisfies no constraint, so the grant silently denies every call (or the deny never fires).

import { childPointer } from '../source';
import type { Constraint, ToolInfo } from '../types';
import { expandIn, knownTools, scopeNames, toolEntries } from './tools';
import type { LintContext, LintRule, RuleFinding } from './types';

/** The argument names a tool's `inputSchema` declares, or undefined when it does not say. */
export function declaredArgs(info: ToolInfo | undefined): ReadonlySet<string> | undefined {
  if (!info) return undefined;
  if (declared.has(info)) return declared.get(info);
  const props = info.inputSchema?.['properties'];
  const names = !props || typeof props !== 'object' || Array.isArray(props) ? undefined : new Set(Object.keys(props));
  declared.set(info, names);
  return names;
}

const declared = new WeakMap<ToolInfo, ReadonlySet<string> | undefined>();

/** `a.b`, `payment.amount`: a key that reads as a path into an object (it is a name: see constraint/dotted-key). */
export const DOTTED = /^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)+$/;

/** A hint for a key that reads as a path into an argument the tool does take. */
function dottedHint(key: string, declaredNames: ReadonlySet<string>): string {
  if (!DOTTED.test(key)) return '';
  const top = key.slice(0, key.indexOf('.'));
  return declaredNames.has(top) ? ` (argument keys are names, not paths: \`${key}\` does not reach into \`${top}\`)` : '';
}

interface Use { args: Record<string, Constraint>; base: string; via: string }

/** The argument constraints a grant or deny rule applies: its scopes' (one `Use` per scope, shared) and its own. */
function uses(ctx: LintContext, rule: { scope?: string | string[]; args?: Record<string, Constraint> }, base: string, cache: Map<string, Use | undefined>): Use[] {
  const scopes = ctx.policy.scopes ?? {};
  const names = scopeNames(rule.scope);
  const out: Use[] = [];
  for (const n of names) {
    if (!cache.has(n)) {
      const args = Object.prototype.hasOwnProperty.call(scopes, n) ? scopes[n]!.args : undefined;
      cache.set(n, args ? { args, base: `${childPointer('/scopes', n)}/args`, via: `scope \`${n}\`` } : undefined);
    }
    const u = cache.get(n);
    if (u) out.push(u);
  }
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
    const seen = new Map<Use, Set<string>>();
    const scopeUses = new Map<string, Use | undefined>();
    const visit = (rule: Parameters<typeof uses>[1] & { tool?: string; tools?: string[] }, base: string, what: string): void => {
      const tools = toolEntries(rule, base).flatMap((e) => expandIn(ctx, e.pattern));
      for (const u of uses(ctx, rule, base, scopeUses)) {
        // Each (constraint group, tool) pair is checked once, however many grants share it.
        let done = seen.get(u);
        if (!done) seen.set(u, (done = new Set()));
        const fresh = tools.filter((t) => !done.has(t.name));
        if (fresh.length === 0) continue;
        for (const t of fresh) done.add(t.name);
        for (const key of Object.keys(u.args)) {
          let pointer: string | undefined;
          for (const t of fresh) {
            const declared = declaredArgs(t.info);
            if (!declared || declared.has(key)) continue;
            pointer ??= childPointer(u.base, key);
            out.push({ message: `argument \`${key}\` (${u.via}) is not in the input schema of \`${t.name}\`${dottedHint(key, declared)}: ${what}`, pointer, range: ctx.source.keyRange(pointer) });
          }
        }
      }
    };
    (ctx.policy.grants ?? []).forEach((g, i) => visit(g, `/grants/${i}`, `the grant for \`${g.agent_role}\` denies every call`));
    (ctx.policy.deny ?? []).forEach((d, i) => visit(d, `/deny/${i}`, `deny rule \`${d.id ?? `deny[${i}]`}\` never applies`));
    return out;
  },
};
