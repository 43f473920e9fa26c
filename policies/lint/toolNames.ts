// Tool names against the governed servers' manifests: a name no server has is a typo that silently
// never matches (a grant that allows nothing, a deny that protects nothing).

import { isGlob } from '../glob';
import { expandIn, hasManifest, isMatchAll, knownTools, toolEntries } from './tools';
import type { LintContext, LintRule, RuleFinding } from './types';

/**
 * Edit distance with adjacent transpositions (`pya` is one edit from `pay`), bounded: returns `limit + 1` as
 * soon as it is exceeded (a row's minimum never falls again, transpositions included).
 */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let before: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, before[j - 2]! + 1);
      cur.push(v);
      best = Math.min(best, v);
    }
    if (best > limit) return limit + 1;
    before = prev;
    prev = cur;
  }
  return prev[b.length]!;
}

/** ` (did you mean `a` or `b`?)` for the names closest to `name`, or '' when none is close. */
export function didYouMean(name: string, known: Iterable<string>): string {
  return suggestion(closest(name, known));
}

function suggestion(near: readonly string[]): string {
  return near.length > 0 ? ` (did you mean ${near.map((n) => `\`${n}\``).join(' or ')}?)` : '';
}

/** The known tool names closest to `name` (within a third of its length, at most 3 edits). */
export function closest(name: string, known: Iterable<string>): string[] {
  const limit = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  let best = limit + 1;
  let out: string[] = [];
  for (const k of known) {
    const d = editDistance(name.toLowerCase(), k.toLowerCase(), limit);
    if (d < best) [best, out] = [d, [k]];
    else if (d === best && d <= limit) out.push(k);
  }
  return best <= limit ? out.sort().slice(0, 3) : [];
}

type Entry = { pattern: string; pointer: string; kind: 'grant' | 'deny rule' };

/** Tool patterns of grants and deny rules, with their pointers (kept per policy: rules never mutate it). */
function rules(ctx: LintContext): readonly Entry[] {
  const hit = memo.get(ctx.policy);
  if (hit) return hit;
  const out: Entry[] = [];
  (ctx.policy.grants ?? []).forEach((g, i) => { for (const e of toolEntries(g, `/grants/${i}`)) out.push({ pattern: e.pattern, pointer: e.pointer, kind: 'grant' }); });
  (ctx.policy.deny ?? []).forEach((d, i) => { for (const e of toolEntries(d, `/deny/${i}`)) out.push({ pattern: e.pattern, pointer: e.pointer, kind: 'deny rule' }); });
  memo.set(ctx.policy, out);
  return out;
}

const memo = new WeakMap<object, readonly Entry[]>();

export const unknownTool: LintRule = {
  id: 'tool/unknown-tool',
  severity: 'error',
  why: 'a tool name no governed server has is usually a typo: the grant allows nothing, the deny protects nothing',
  example: '- { agent_role: reader, tool: read_fiel }   # the manifest has read_file',
  check(ctx) {
    if (!hasManifest(ctx)) return [];
    const known = knownTools(ctx);
    const out: RuleFinding[] = [];
    for (const { pattern, pointer, kind } of rules(ctx)) {
      if (isGlob(pattern) || known.has(pattern)) continue;
      const near = closest(pattern, known.keys());
      out.push({
        message: `${kind} names tool \`${pattern}\`, which no governed server has${suggestion(near)}`,
        pointer, range: ctx.source.range(pointer),
        ...(near.length > 0 ? { fix: near.map((n) => ({ title: `replace with \`${n}\``, op: 'replace' as const, pointer, value: n })) } : {}),
      });
    }
    return out;
  },
};

export const globMatchesNothing: LintRule = {
  id: 'tool/glob-matches-nothing',
  severity: 'warning',
  why: 'a glob that matches no tool of the governed servers is dead today and may match an unintended tool tomorrow',
  example: '- { tools: ["delte_*"], reason: no deletions }',
  check(ctx) {
    if (!hasManifest(ctx)) return [];
    const out: RuleFinding[] = [];
    for (const { pattern, pointer, kind } of rules(ctx)) {
      if (!isGlob(pattern) || isMatchAll(pattern) || expandIn(ctx, pattern).length > 0) continue;
      out.push({ message: `${kind} glob \`${pattern}\` matches no tool of the governed servers`, pointer, range: ctx.source.range(pointer) });
    }
    return out;
  },
};
