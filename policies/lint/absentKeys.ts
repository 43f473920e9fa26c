// Keys that may be absent. An absent argument or context key satisfies no constraint (DESIGN's edge rule),
// so a deny rule conditioned on a key fires only when the call carries it: where a grant lets the same call
// through without that key, leaving the key out escapes the deny. And argument keys are names, not paths:
// `payment.amount` constrains an argument literally called `payment.amount`.

import { childPointer } from '../source';
import type { DenyRule, Grant, Policy, ToolInfo } from '../types';
import { DOTTED } from './inputSchema';
import { covers, expandIn, grantLabel, grantTools, hasManifest, scopeNames, toolEntries } from './tools';
import type { LintContext, LintRule, RuleFinding } from './types';

type Kind = 'argument' | 'context';

/** The keys a rule constrains, with where each constraint is written (the rule's own, then its scopes'). */
function constrainedKeys(policy: Policy, rule: Grant | DenyRule, base: string): Array<{ kind: Kind; key: string; pointer: string }> {
  const out: Array<{ kind: Kind; key: string; pointer: string }> = [];
  const add = (kind: Kind, obj: Record<string, unknown> | undefined, at: string): void => {
    for (const key of Object.keys(obj ?? {})) out.push({ kind, key, pointer: childPointer(at, key) });
  };
  if ('args' in rule) add('argument', rule.args, `${base}/args`);
  add('context', rule.context, `${base}/context`);
  const scopes = policy.scopes ?? {};
  for (const name of scopeNames(rule.scope)) {
    if (!Object.prototype.hasOwnProperty.call(scopes, name)) continue;
    add('argument', scopes[name]!.args, `${childPointer('/scopes', name)}/args`);
    add('context', scopes[name]!.context, `${childPointer('/scopes', name)}/context`);
  }
  return out;
}

/**
 * Whether a caller the deny rule applies to can hold `role`: a deny rule without roles applies to everyone; one
 * with roles, to callers holding one of them — and a caller may hold several roles (an agent in `agents:` that
 * binds a deny rule's role together with `role`), so another role's grant can let the call through.
 */
function denyReaches(policy: Policy, d: DenyRule, role: string): { via?: string } | undefined {
  const roles = [...(d.roles ?? []), ...(d.agent_role !== undefined ? [d.agent_role] : [])];
  if (roles.length === 0 || roles.includes(role)) return {};
  for (const [agent, def] of Object.entries(policy.agents ?? {})) {
    if (def.roles.includes(role) && def.roles.some((r) => roles.includes(r))) return { via: agent };
  }
  return undefined;
}

/** Whether some tool name matches both `*` globs (a star matches any run of characters). */
export function globsMeet(a: string, b: string): boolean {
  const memo = new Map<number, boolean>();
  const meet = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === a.length && j === b.length) r = true;
    else if (a[i] === '*') r = meet(i + 1, j) || (j < b.length && meet(i, j + 1));
    else if (b[j] === '*') r = meet(i, j + 1) || (i < a.length && meet(i + 1, j));
    else r = i < a.length && j < b.length && a[i] === b[j] && meet(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return meet(0, 0);
}

/** The tools both rules can name, as the narrower pattern where one covers the other (else the grant's). */
function sharedTools(deny: readonly string[], grant: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of deny) for (const g of grant) if (globsMeet(p, g)) out.push(covers(p, g) ? g : covers(g, p) ? p : g);
  return out;
}

/** Whether every known tool among `names` lists `key` as a required argument (so it cannot be left out). */
function requiredEverywhere(ctx: LintContext, names: readonly string[], key: string): boolean {
  if (!hasManifest(ctx)) return false;
  const infos = names.flatMap((n) => expandIn(ctx, n)).map((t) => t.info);
  return infos.length > 0 && infos.every((info) => required(info).has(key));
}

function required(info: ToolInfo | undefined): ReadonlySet<string> {
  const r = info?.inputSchema?.['required'];
  return new Set(Array.isArray(r) ? r.filter((x): x is string => typeof x === 'string') : []);
}

export const absentKeyEscapesDeny: LintRule = {
  id: 'deny/absent-key',
  severity: 'warning',
  why: 'an absent key satisfies no constraint, so a deny rule conditioned on an argument or context key never fires for a call without it: where a grant allows that call, leaving the key out escapes the deny',
  example: 'deny: [{ tool: deploy, context: { environment: [prod] }, reason: … }]   # with a grant for deploy that does not require environment',
  check(ctx) {
    const out: RuleFinding[] = [];
    const grants = ctx.policy.grants ?? [];
    // each grant's constrained keys, once: `argument:amount`, `context:environment`
    const grantKeys = grants.map((g, gi) => new Set(constrainedKeys(ctx.policy, g, `/grants/${gi}`).map((k) => `${k.kind}:${k.key}`)));
    (ctx.policy.deny ?? []).forEach((d, di) => {
      const base = `/deny/${di}`;
      const denyTools = toolEntries(d, base).map((e) => e.pattern);
      const reported = new Set<string>();
      for (const k of constrainedKeys(ctx.policy, d, base)) {
        if (reported.has(k.pointer)) continue;
        for (let gi = 0; gi < grants.length; gi++) {
          const g = grants[gi]!;
          const reach = denyReaches(ctx.policy, d, g.agent_role);
          if (!reach) continue;
          const tools = sharedTools(denyTools, grantTools(g));
          if (tools.length === 0) continue;
          if (grantKeys[gi]!.has(`${k.kind}:${k.key}`)) continue;
          if (k.kind === 'argument' && requiredEverywhere(ctx, tools, k.key)) continue;
          reported.add(k.pointer);
          const label = d.id !== undefined ? `deny rule \`${d.id}\`` : `deny[${di}]`;
          const remedy = k.kind === 'context'
            ? `require \`${k.key}\` in that grant (a context constraint on it), so a call without it matches no grant either`
            : `require \`${k.key}\` in that grant's scope, or deny the tool without the condition`;
          const who = reach.via !== undefined ? ` (agent \`${reach.via}\` holds both roles)` : '';
          out.push({
            message: `${label} fires only when the call carries ${k.kind} \`${k.key}\`, but ${grantLabel(g, gi)} (\`${g.agent_role}\` → \`${tools[0]}\`)${who} allows the call without it: leaving \`${k.key}\` out escapes the deny; ${remedy}`,
            pointer: k.pointer, range: ctx.source.keyRange(k.pointer),
          });
          break;
        }
      }
    });
    return out;
  },
};

export const dottedArgumentKey: LintRule = {
  id: 'constraint/dotted-key',
  severity: 'warning',
  why: 'argument keys are names, not paths: `payment.amount` constrains an argument literally called `payment.amount`, which a tool taking `payment: { amount }` never receives, so the constraint never holds (grant) or never fires (deny)',
  example: 'args: { payment.amount: { max: 1000 } }',
  check(ctx) {
    // with a manifest, constraint/unknown-argument reports such a key against the tool's real arguments
    if (hasManifest(ctx)) return [];
    const out: RuleFinding[] = [];
    const visit = (args: Record<string, unknown> | undefined, at: string): void => {
      for (const key of Object.keys(args ?? {})) {
        if (!DOTTED.test(key)) continue;
        const pointer = childPointer(at, key);
        const top = key.slice(0, key.indexOf('.'));
        out.push({ message: `\`${key}\` is one argument named \`${key}\`, not \`${key.slice(top.length + 1)}\` inside \`${top}\`: constraints do not reach into objects (constrain \`${top}\` as a whole, e.g. with \`equals\` or \`in\`)`, pointer, range: ctx.source.keyRange(pointer) });
      }
    };
    for (const [name, s] of Object.entries(ctx.policy.scopes ?? {})) visit(s.args, `${childPointer('/scopes', name)}/args`);
    (ctx.policy.deny ?? []).forEach((d, i) => visit(d.args, `/deny/${i}/args`));
    return out;
  },
};
