// The seed every property test uses: fixed in CI (and printed), random locally unless MANDATE_SEED is set.

import type fc from 'fast-check';

/** The run's seed: MANDATE_SEED, else a fixed one under CI, else random (printed so it can be replayed). */
export const SEED: number = process.env['MANDATE_SEED'] !== undefined
  ? Number(process.env['MANDATE_SEED'])
  : process.env['CI'] ? 20261125 : Math.floor(Math.random() * 2 ** 31);

let printed = false;

/** fast-check parameters for a property: the seed, and a failure message that names it. */
export function fcParams<T>(numRuns?: number): fc.Parameters<T> {
  if (!printed) {
    printed = true;
    process.stderr.write(`[property tests] seed ${SEED} (replay with MANDATE_SEED=${SEED})\n`);
  }
  return { seed: SEED, ...(numRuns !== undefined ? { numRuns } : {}), verbose: 1 };
}
