// Reference rules: names a grant or rule uses must exist; constraints must be satisfiable at all.

import { patternProblem } from '../constraints';
import { childPointer } from '../source';
import type { Constraint } from '../types';
import { scopeNames } from './tools';
import type { LintContext, LintRule } from './types';

type Out = ReturnType<LintRule['check']>;

export const undeclaredRole: LintRule = {
  id: 'ref/undeclared-role',
  severity: 'error',
  why: 'a grant for a role the policy does not declare never applies: the engine denies undeclared roles',
  example: 'roles: { reader: {} }\ngrants: [{ agent_role: raeder, tool: read_file }]',
  check({ policy, source }) {
    const declared = new Set(Object.keys(policy.roles ?? {}));
    const out: Out = [];
    (policy.grants ?? []).forEach((g, i) => {
      if (!declared.has(g.agent_role)) {
        const pointer = `/grants/${i}/agent_role`;
        out.push({ message: `role \`${g.agent_role}\` is not declared under \`roles\``, pointer, range: source.range(pointer),
          fix: [{ title: `declare role \`${g.agent_role}\``, op: 'add', pointer: childPointer('/roles', g.agent_role), value: { description: 'TODO: what this role may do' } }] });
      }
    });
    Object.entries(policy.agents ?? {}).forEach(([agent, def]) => def.roles.forEach((r, i) => {
      if (!declared.has(r)) {
        const pointer = `${childPointer('/agents', agent)}/roles/${i}`;
        out.push({ message: `agent \`${agent}\` has role \`${r}\`, which is not declared under \`roles\``, pointer, range: source.range(pointer) });
      }
    }));
    return out;
  },
};

export const undefinedScope: LintRule = {
  id: 'ref/undefined-scope',
  severity: 'error',
  why: 'a rule naming a scope that does not exist never matches, which silently denies (or un-denies) calls',
  example: 'grants: [{ agent_role: r, tool: read_file, scope: [docs_olny] }]',
  check({ policy, source }) {
    const scopes = policy.scopes ?? {};
    const out: Out = [];
    const visit = (scope: string | string[] | undefined, base: string): void => {
      scopeNames(scope).forEach((name, i) => {
        if (Object.prototype.hasOwnProperty.call(scopes, name)) return;
        const pointer = Array.isArray(scope) ? `${base}/scope/${i}` : `${base}/scope`;
        out.push({ message: `scope \`${name}\` is not defined under \`scopes\``, pointer, range: source.range(pointer) });
      });
    };
    (policy.grants ?? []).forEach((g, i) => visit(g.scope, `/grants/${i}`));
    (policy.deny ?? []).forEach((d, i) => visit(d.scope, `/deny/${i}`));
    return out;
  },
};

/** One constraint object of the policy, where it is, and the argument or context key it constrains. */
export interface ConstraintAt { c: Constraint; pointer: string; key: string }

/** A list of constraints and how to add a group of them (a `key: constraint` object at `base`, `not` bodies too). */
function collector(): { out: ConstraintAt[]; group: (obj: Record<string, unknown> | undefined, base: string) => void } {
  const out: ConstraintAt[] = [];
  const inner = (c: Constraint, pointer: string, key: string): void => {
    out.push({ c, pointer, key });
    if (c.not) inner(c.not, `${pointer}/not`, key);
  };
  const group = (obj: Record<string, unknown> | undefined, base: string): void => {
    for (const [key, c] of Object.entries(obj ?? {})) {
      if (c && typeof c === 'object' && !Array.isArray(c)) inner(c, childPointer(base, key), key);
    }
  };
  return { out, group };
}

// INVARIANT: rules never mutate the policy, so its constraint list is built once per policy object.
const listed = new WeakMap<object, readonly ConstraintAt[]>();

/** Every constraint object in the policy with its pointer (scopes, grant contexts, denies; `not` bodies too). */
export function constraints(ctx: LintContext): readonly ConstraintAt[] {
  const hit = listed.get(ctx.policy);
  if (hit) return hit;
  const { out, group } = collector();
  for (const [name, s] of Object.entries(ctx.policy.scopes ?? {})) {
    group(s.args, `${childPointer('/scopes', name)}/args`);
    group(s.context, `${childPointer('/scopes', name)}/context`);
  }
  (ctx.policy.grants ?? []).forEach((g, i) => group(g.context, `/grants/${i}/context`));
  (ctx.policy.deny ?? []).forEach((d, i) => {
    group(d.args, `/deny/${i}/args`);
    group(d.context, `/deny/${i}/context`);
  });
  listed.set(ctx.policy, out);
  return out;
}

/**
 * Every constraint object of the invariants' selectors (`never` / `always` args and context; `not` bodies too).
 * A constraint there that admits no value makes the invariant select no call, so it proves nothing: the rules
 * that find constraints admitting nothing read these as well as `constraints(ctx)`.
 */
export function selectorConstraints(ctx: LintContext): readonly ConstraintAt[] {
  const { out, group } = collector();
  (ctx.policy.invariants ?? []).forEach((inv, i) => {
    for (const [which, m] of [['never', inv.never], ['always', inv.always]] as const) {
      if (!m) continue;
      group(m.args, `/invariants/${i}/${which}/args`);
      group(m.context, `/invariants/${i}/${which}/context`);
    }
  });
  return out;
}

/** The constraints of rules and of invariant selectors: where a constraint that admits nothing is a mistake. */
export function allConstraints(ctx: LintContext): ConstraintAt[] {
  return [...constraints(ctx), ...selectorConstraints(ctx)];
}

export const minAboveMax: LintRule = {
  id: 'constraint/min-above-max',
  severity: 'error',
  why: 'a range whose minimum is above its maximum admits no value, so every call it guards is denied (and an invariant holding it selects no call, so it proves nothing)',
  example: 'args: { amount: { min: 10, max: 5 } }',
  check(ctx) {
    const out: Out = [];
    for (const { c, pointer, key } of allConstraints(ctx)) {
      if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
        out.push({ message: `\`${key}\` has min ${c.min} above max ${c.max}: no value satisfies it`, pointer: `${pointer}/min`, range: ctx.source.range(`${pointer}/min`) });
      }
    }
    return out;
  },
};

export const invalidPattern: LintRule = {
  id: 'constraint/invalid-pattern',
  severity: 'error',
  why: 'a pattern that is not a valid regular expression, or that uses lookaround or backreferences (which the engine does not run: it matches in linear time), cannot be decided: a grant holding it never matches, a deny rule holding it denies every call it names and an invariant holding it selects no call',
  example: 'args: { name: { pattern: "^(abc$" } }',
  check(ctx) {
    const out: Out = [];
    for (const { c, pointer, key } of allConstraints(ctx)) {
      if (c.pattern === undefined) continue;
      const problem = patternProblem(c.pattern);
      if (problem !== undefined) {
        out.push({ message: `\`${key}\` pattern cannot be decided: ${problem}`, pointer: `${pointer}/pattern`, range: ctx.source.range(`${pointer}/pattern`) });
      }
    }
    return out;
  },
};
