// Constraints on arguments a tool does not have: the argument is always absent, and an absent
// argument satisfies no constraint, so the grant silently denies every call (or the deny never fires).

import { childPointer } from '../source';
import type { Constraint, Json, ToolInfo } from '../types';
import { expandIn, knownTools, scopeNames, toolEntries, words } from './tools';
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

/** The JSON types a tool's `inputSchema` gives argument `key` (`integer` also admits as `number`), or undefined when it does not say. */
function argTypes(info: ToolInfo | undefined, key: string): ReadonlySet<string> | undefined {
  const props = info?.inputSchema?.['properties'];
  if (!props || typeof props !== 'object' || Array.isArray(props) || !Object.prototype.hasOwnProperty.call(props, key)) return undefined;
  const schema: unknown = (props as Record<string, unknown>)[key];
  const t = schema && typeof schema === 'object' ? (schema as Record<string, unknown>)['type'] : undefined;
  const list = typeof t === 'string' ? [t] : Array.isArray(t) && t.length > 0 && t.every((x) => typeof x === 'string') ? t : undefined;
  return list ? new Set(list) : undefined;
}

const admits = (types: ReadonlySet<string>, t: string): boolean =>
  types.has(t) || (t === 'integer' && types.has('number')) || (t === 'number' && types.has('integer'));

/** The JSON type of a constant, as a schema names it (`integer` for whole numbers). */
const constantType = (v: Json): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);

/** Operators of `c` (not its `not`) that no value of the declared types can satisfy, with why. */
function mismatches(c: Constraint, types: ReadonlySet<string>): Array<{ op: string; why: string }> {
  const out: Array<{ op: string; why: string }> = [];
  const need = (op: string, wanted: string[], what: string): void => {
    if (!wanted.some((w) => admits(types, w))) out.push({ op, why: `\`${op}\` holds for ${what} only` });
  };
  if (c.min !== undefined) need('min', ['number'], 'numbers');
  if (c.max !== undefined) need('max', ['number'], 'numbers');
  for (const op of ['pattern', 'prefix', 'within'] as const) if (c[op] !== undefined) need(op, ['string'], 'strings');
  if (c.max_length !== undefined) need('max_length', ['string', 'array'], 'strings and lists');
  if (c.type !== undefined && !admits(types, c.type)) out.push({ op: 'type', why: `\`type: ${c.type}\` never holds` });
  if ('equals' in c && c.equals !== undefined && !admits(types, constantType(c.equals))) out.push({ op: 'equals', why: `\`equals\` ${JSON.stringify(c.equals)} is not of that type` });
  if (c.in && c.in.length > 0 && c.in.every((v) => !admits(types, constantType(v)))) out.push({ op: 'in', why: 'no value of its `in` list is of that type' });
  if (c.not_in && c.not_in.length > 0 && c.not_in.every((v) => !admits(types, constantType(v)))) out.push({ op: 'not_in', why: 'no value of its `not_in` list is of that type' });
  return out;
}

export const typeMismatch: LintRule = {
  id: 'constraint/type-mismatch',
  severity: 'error',
  why: 'an operator the argument\'s declared type can never satisfy — `max` on an amount the tool takes as a string, `not_in: [100]` on a string — decides nothing about the value: a deny rule holding it never fires, a grant holding it never matches, a `not` around it always holds',
  example: 'scopes: { cap: { args: { amount: { max: 1000 } } } }   # issue_payment takes amount as a string',
  check(ctx) {
    const known = knownTools(ctx);
    if (known.size === 0) return [];
    const out: RuleFinding[] = [];
    const reported = new Set<string>();
    const scopeUses = new Map<string, Use | undefined>();
    const visit = (rule: Parameters<typeof uses>[1] & { tool?: string; tools?: string[] }, base: string, deny: string | undefined, role: string): void => {
      const tools = toolEntries(rule, base).flatMap((e) => expandIn(ctx, e.pattern));
      for (const u of uses(ctx, rule, base, scopeUses)) {
        for (const [key, top] of Object.entries(u.args)) {
          for (const t of tools) {
            const types = argTypes(t.info, key);
            if (!types) continue;
            const declared = [...types].map((x) => `\`${x}\``).join(' or ');
            for (let c: Constraint | undefined = top, at = childPointer(u.base, key), depth = 0; c; at = `${at}/not`, c = c.not, depth++) {
              for (const m of mismatches(c, types)) {
                const pointer = `${at}/${m.op}`;
                if (reported.has(pointer)) continue;
                reported.add(pointer);
                // the operator never holds (`not_in`: always holds); each `not` around it turns that over
                const never = (m.op !== 'not_in') !== (depth % 2 === 1);
                const effect = !never ? `it constrains nothing${depth > 0 ? ' (under `not`)' : ''}`
                  : deny !== undefined ? `deny rule \`${deny}\` never fires` : `the grant for \`${role}\` denies every call`;
                out.push({ message: `argument \`${key}\` (${u.via}) is ${declared} in the input schema of \`${t.name}\`, and ${m.why}: ${effect}`, pointer, range: ctx.source.keyRange(pointer) });
              }
            }
          }
        }
      }
    };
    (ctx.policy.grants ?? []).forEach((g, i) => visit(g, `/grants/${i}`, undefined, g.agent_role));
    (ctx.policy.deny ?? []).forEach((d, i) => visit(d, `/deny/${i}`, d.id ?? `deny[${i}]`, ''));
    return out;
  },
};

/** A last word that makes an argument another spelling of the same value: `amount_cents`, `vendor_id`, `path_list`. */
const VARIANT_WORDS = new Set(['cents', 'minor', 'units', 'micros', 'millis', 'value', 'raw', 'id', 'ids', 'name', 'names', 'list', 'uri', 'url', 'override', 'full', 'absolute', 'abs']);

/** An argument name without a variant's last word or plural `s`: `amount_cents`, `amountCents` → `amount`; `paths` → `path`. */
export function stem(name: string): string {
  const w = words(name);
  const last = w.at(-1);
  if (last === undefined) return name;
  if (w.length > 1 && VARIANT_WORDS.has(last)) w.pop();
  else if (last.length > 3 && last.endsWith('s') && !last.endsWith('ss')) w[w.length - 1] = last.slice(0, -1);
  return w.join('_');
}

export const unconstrainedVariant: LintRule = {
  id: 'constraint/unconstrained-variant',
  severity: 'warning',
  why: 'a grant that constrains one spelling of a value (`amount`) while the tool also takes another (`amount_cents`, `paths`, `vendor_id`) that nothing constrains lets a call keep the first within bounds and send anything in the second, which the server may read instead (needs a manifest; a grant cannot require a key to be absent, so cap the other spelling with a deny rule)',
  example: 'scopes: { cap: { args: { amount: { max: 1000 } } } }   # issue_payment also takes amount_cents',
  check(ctx) {
    const known = knownTools(ctx);
    if (known.size === 0) return [];
    const out: RuleFinding[] = [];
    const scopeUses = new Map<string, Use | undefined>();
    const denied = (tool: string, key: string): boolean => (ctx.policy.deny ?? []).some((d, i) =>
      toolEntries(d, `/deny/${i}`).some((e) => expandIn(ctx, e.pattern).some((t) => t.name === tool))
      && uses(ctx, d, `/deny/${i}`, scopeUses).some((u) => Object.prototype.hasOwnProperty.call(u.args, key)));
    const seen = new Set<string>();
    (ctx.policy.grants ?? []).forEach((g, i) => {
      const base = `/grants/${i}`;
      const mine = uses(ctx, g, base, scopeUses);
      if (mine.length === 0) return;
      const constrained = new Set(mine.flatMap((u) => Object.keys(u.args)));
      for (const t of toolEntries(g, base).flatMap((e) => expandIn(ctx, e.pattern))) {
        const takes = declaredArgs(t.info);
        if (!takes) continue;
        for (const u of mine) {
          for (const key of Object.keys(u.args)) {
            for (const other of takes) {
              if (other === key || constrained.has(other) || stem(other) !== stem(key) || denied(t.name, other)) continue;
              const pointer = childPointer(u.base, key);
              const once = `${pointer}\u0000${t.name}\u0000${other}`;
              if (seen.has(once)) continue;
              seen.add(once);
              out.push({
                message: `\`${t.name}\` also takes \`${other}\`, which nothing constrains: a call may keep \`${key}\` within ${u.via} and send any \`${other}\`, which the server may read instead — cap \`${other}\` with a deny rule (a grant cannot require it to be absent)`,
                pointer, range: ctx.source.keyRange(pointer),
              });
            }
          }
        }
      }
    });
    return out;
  },
};
