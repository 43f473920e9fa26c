// Calls as genomes: a fixed-length tuple of naturals (a fast-check arbitrary) decoded into a call.
// Zero always decodes to the simplest choice (absent key, first role, `at`), so shrinking simplifies.

import fc from 'fast-check';
import type { Json } from '../../policies';
import type { Preferred, Target } from './targets';
import type { ToolPlan, Universe } from './universe';

/** One generated call: what `mandate check` needs to reproduce it. */
export interface SimCall {
  roles: string[];
  tool: string;
  /** usually an object; sometimes not, to check that malformed arguments are denied */
  args: unknown;
  /** string values only, as `--context k=v` passes them */
  context: Record<string, string>;
  /** decision instant, ms since epoch */
  now: number;
}

export type Genome = number[];

/** Values that are not an argument object at all. */
const NOT_OBJECTS: readonly Json[] = [null, [], 'x', 1];
const GENE_MAX = 0xffff;
/** Fixed slots: target, role, tool, time, argument shape; then one per argument key and context key. */
const FIXED = 5;
const EXTRA_KEY = 'unexpected_field';

/** Decodes genomes into calls for one universe and its targets. */
export class CallSpace {
  readonly maxes: number[];
  private readonly cumulative: number[];
  private readonly keySlots: number;

  constructor(private readonly u: Universe, private readonly targets: readonly Target[]) {
    if (u.tools.length === 0 || u.roleSets.length === 0 || u.times.length === 0 || targets.length === 0) {
      throw new TypeError('the simulation universe needs at least one role, tool, time and target');
    }
    let sum = 0;
    this.cumulative = targets.map((t) => (sum += t.weight));
    this.keySlots = Math.max(...u.tools.map((t) => t.keys.length));
    this.maxes = [sum - 1, GENE_MAX, GENE_MAX, GENE_MAX, GENE_MAX, ...Array<number>(this.keySlots + u.context.length).fill(GENE_MAX)];
  }

  /** The fast-check arbitrary of genomes; shrinking moves every gene towards 0. */
  arbitrary(): fc.Arbitrary<Genome> {
    return fc.tuple(...this.maxes.map((max) => fc.nat({ max })));
  }

  /** The genome of call `index` in a run seeded `seed`: index-addressable, so a replay needs no history. */
  genome(seed: number, index: number): Genome {
    let x = (seed ^ Math.imul(index + 1, 0x9e3779b9)) | 0;
    return this.maxes.map((max) => {
      // mulberry32 step
      x = (x + 0x6d2b79f5) | 0;
      let t = Math.imul(x ^ (x >>> 15), 1 | x);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % (max + 1);
    });
  }

  /** Decode a genome into a call. Total: every genome decodes. */
  decode(g: Genome): SimCall {
    const target = this.targetOf(g[0] ?? 0);
    const roles = pick(target.roleSets, g[1] ?? 0);
    const plan = pick(target.tools, g[2] ?? 0);
    const now = pick(this.u.times, g[3] ?? 0);
    const shape = g[4] ?? 0;
    let args: unknown;
    if (shape % 32 === 31) args = pick(NOT_OBJECTS, shape >>> 5);
    else {
      const obj: Record<string, unknown> = {};
      plan.keys.forEach((k, j) => {
        const v = argValue(target, k, g[FIXED + j] ?? 0);
        if (v !== undefined) setOwn(obj, k.key, v);
      });
      args = obj;
    }
    const context: Record<string, string> = {};
    this.u.context.forEach(({ key, values }, j) => {
      const v = value(values, target.context.get(key), g[FIXED + this.keySlots + j] ?? 0);
      if (v !== undefined) setOwn(context, key, typeof v === 'string' ? v : JSON.stringify(v));
    });
    return { roles, tool: plan.name, args, context, now };
  }

  /** The genome positions of `g`'s argument keys, with the key each decodes to; none when its arguments are not an object. */
  argSlots(g: Genome): Array<{ slot: number; key: string }> {
    if ((g[4] ?? 0) % 32 === 31) return [];
    const plan = pick(this.targetOf(g[0] ?? 0).tools, g[2] ?? 0);
    return plan.keys.map(({ key }, j) => ({ slot: FIXED + j, key }));
  }

  /**
   * Every value the argument at `slot` of `g` decodes to as that gene alone varies (the other genes, and so the
   * rest of the call, stay as they are), each with the smallest gene that gives it, in gene order.
   */
  choices(g: Genome, slot: number): Array<{ gene: number; value: Json | undefined }> {
    const target = this.targetOf(g[0] ?? 0);
    const k = pick(target.tools, g[2] ?? 0).keys[slot - FIXED];
    if (!k) return [];
    const seen = new Map<Json | undefined, number>();
    for (let gene = 0; gene <= (this.maxes[slot] ?? 0); gene++) {
      const v = argValue(target, k, gene);
      if (!seen.has(v)) seen.set(v, gene);
    }
    return [...seen].map(([value, gene]) => ({ gene, value }));
  }

  private targetOf(gene: number): Target {
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (gene < this.cumulative[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return this.targets[lo]!;
  }
}

function pick<T>(list: readonly T[], gene: number): T {
  return list[gene % list.length]!;
}

/** One argument key's value from its gene, under the target the call is aimed at. */
function argValue(target: Target, { key, values, typed }: ToolPlan['keys'][number], gene: number): Json | undefined {
  return key === EXTRA_KEY ? rare(values, gene) : value(values, target.args.get(key) ?? typed, gene);
}

/**
 * A key's value from its gene: 0 (and 1 in 16) is absent; a constrained key mostly takes a value
 * its target accepts, sometimes a near-miss; an unconstrained key is absent about a third of the time.
 */
function value(pool: readonly Json[], pref: Preferred | undefined, gene: number): Json | undefined {
  const low = gene & 15;
  const high = gene >>> 4;
  if (pref) {
    if (low === 0) return undefined;
    if (high % 5 !== 0 && pref.good.length > 0) return pick(pref.good, high >>> 3);
    return pref.bad.length > 0 ? pick(pref.bad, high >>> 3) : pool.length > 0 ? pick(pool, high) : undefined;
  }
  if (low < 6 || pool.length === 0) return undefined;
  return pick(pool, high);
}

function rare(pool: readonly Json[], gene: number): Json | undefined {
  return (gene & 15) === 15 && pool.length > 0 ? pick(pool, gene >>> 4) : undefined;
}

/** Set an own property, even `__proto__` (which is ordinary data to the engine). */
function setOwn(obj: Record<string, unknown>, key: string, v: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[key] = v;
}
