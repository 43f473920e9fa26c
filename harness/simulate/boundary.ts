// The boundary pass: after fast-check's shrink, each numeric argument of a counterexample moves to the
// value nearest zero its pool holds that still breaks the property. A pool holds every bound the policy,
// its invariants and tests name with its neighbours (±1, ±0.01, ±0.001, floor, ceil), so that value is the
// bound where the violation begins — 1001, 1000.01 — not wherever the shrink stopped (4999.999): gene
// shrinking cannot find it, as genes pick pool values modulo the pool's length.

import type { CallSpace, Genome } from './generate';

/** Decisions the pass makes at most per counterexample (each tries one value), on top of fast-check's shrink. */
export const BOUNDARY_BUDGET = 1_000;
/** Passes over the arguments at most: a second lets one argument's move free another's. */
const ROUNDS = 2;

/** The genome moved towards the boundary, and the genes it changed (genome position → gene), in position order. */
export interface Bounded {
  genome: Genome;
  changed: Array<[slot: number, gene: number]>;
}

/**
 * Whether `a` is a simpler counterexample value than `b`: nearer zero, and, as far, positive. fast-check's
 * own numbers shrink towards zero; here zero is approached through the values the pool holds.
 */
export function nearerZero(a: number, b: number): boolean {
  return Math.abs(a) < Math.abs(b) || (Math.abs(a) === Math.abs(b) && a > b);
}

/**
 * Move each numeric argument of `genome` to the value nearest zero its slot decodes to for which `breaks`
 * still holds, trying values nearest zero first, one argument at a time (the others as they are). Only
 * numbers move, and only to numbers; everything else about the call stays. Deterministic; calls `breaks`
 * at most BOUNDARY_BUDGET times.
 */
export function towardsBoundary(space: CallSpace, genome: Genome, breaks: (g: Genome) => boolean): Bounded {
  let best = [...genome];
  let budget = BOUNDARY_BUDGET;
  const slots = space.argSlots(genome);
  // The arguments in turn, round after round, until each has been tried since the last move (a moved argument
  // counts as tried: the others are as they were when it was), or ROUNDS rounds.
  for (let visit = 0, settled = 0; visit < ROUNDS * slots.length && settled < slots.length && budget > 0; visit++) {
    const { slot, key } = slots[visit % slots.length]!;
    settled++;
    const current = argOf(space.decode(best).args, key);
    if (typeof current !== 'number') continue;
    const nearer = space.choices(best, slot).filter((c): c is { gene: number; value: number } => typeof c.value === 'number' && nearerZero(c.value, current))
      .sort((a, b) => (nearerZero(a.value, b.value) ? -1 : nearerZero(b.value, a.value) ? 1 : 0));
    for (const c of nearer) {
      if (budget-- <= 0) break;
      const next = [...best];
      next[slot] = c.gene;
      if (breaks(next)) {
        best = next;
        settled = 1;
        break;
      }
    }
  }
  const changed = best.flatMap((gene, slot): Array<[number, number]> => (gene !== genome[slot] ? [[slot, gene]] : []));
  return { genome: best, changed };
}

/** An own argument of a call's arguments, when they are an object. */
function argOf(args: unknown, key: string): unknown {
  if (args === null || typeof args !== 'object' || Array.isArray(args) || !Object.prototype.hasOwnProperty.call(args, key)) return undefined;
  return (args as Record<string, unknown>)[key];
}
