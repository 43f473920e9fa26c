// Counterexamples at the boundary: a number that breaks a property is reported as the value nearest zero
// its pool holds that still breaks it (a bound the policy names, or its neighbour), not wherever
// fast-check's shrink happened to stop (4999.999 for a violation that starts at 1001).

import assert from 'node:assert/strict';
import { parsePolicy, type ParsedPolicy } from '../../../../policies';
import { simulate } from '../../../../harness';

const AT = Date.parse('2026-06-01T00:00:00Z');
const NAME = 'no transfer over the limit is allowed without a human';
/** The seeds the old shrink left mid-range on at least one of the policies below (and 20261125, CI's). */
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 20261125];

function parse(text: string): ParsedPolicy {
  const r = parsePolicy(text, 'p.mandate.yaml');
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
  return r.parsed;
}

/** A grant that lets transfers up to `max` through, against an invariant whose violation starts at `from`. */
const limit = (min: number, max: number, invariant: string): ParsedPolicy => parse(`
version: 1
roles: { payer: {} }
scopes: { limit: { args: { amount: { min: ${min}, max: ${max} } } } }
grants:
  - { agent_role: payer, tool: transfer, scope: [limit] }
invariants:
  - name: ${NAME}
    never: { tool: transfer, effect: allow, args: { amount: ${invariant} } }
`);

async function amountOf(parsed: ParsedPolicy, seed: number): Promise<{ amount: unknown; path: string }> {
  const report = await simulate(parsed, { runs: 2000, seed, at: AT });
  const cx = report.counterexamples.find((c) => c.name === NAME);
  assert.ok(cx, `seed ${seed}: the invariant is reported broken`);
  return { amount: (cx.call.args as { amount?: unknown }).amount, path: cx.replay!.path };
}

describe('harness/simulate counterexamples at the boundary', () => {
  it('reports an integer bound exactly: a violation from 1001 up to 5000 is reported at 1001', async () => {
    const parsed = limit(1, 5000, '{ min: 1001 }');
    for (const seed of SEEDS) assert.equal((await amountOf(parsed, seed)).amount, 1001, `seed ${seed}`);
  });

  it('reports a decimal bound exactly: a violation from 1000.01 up to 5000 is reported at 1000.01', async () => {
    const parsed = limit(0.01, 5000, '{ min: 1000.01 }');
    for (const seed of SEEDS) assert.equal((await amountOf(parsed, seed)).amount, 1000.01, `seed ${seed}`);
  });

  it('reports an exclusive bound at its smallest neighbour above it: `not: { max: 1000 }` breaks first at 1000.001', async () => {
    const parsed = limit(0.01, 5000, '{ not: { max: 1000 } }');
    for (const seed of SEEDS) assert.equal((await amountOf(parsed, seed)).amount, 1000.001, `seed ${seed}`);
  });

  it('reports a violation below a bound at the bound nearest zero: a grant from -500 against `max: -100` breaks at -100', async () => {
    const parsed = limit(-500, 5000, '{ max: -100 }');
    for (const seed of SEEDS) assert.equal((await amountOf(parsed, seed)).amount, -100, `seed ${seed}`);
  });

  it('moves every number the violation needs to its own bound', async () => {
    const parsed = parse(`
version: 1
roles: { payer: {} }
scopes: { limit: { args: { amount: { min: 1, max: 5000 }, fee: { min: 0, max: 250 } } } }
grants:
  - { agent_role: payer, tool: transfer, scope: [limit] }
invariants:
  - name: ${NAME}
    never: { tool: transfer, effect: allow, args: { amount: { min: 1001 }, fee: { min: 25.5 } } }
`);
    for (const seed of SEEDS) {
      const report = await simulate(parsed, { runs: 2000, seed, at: AT });
      assert.deepEqual(report.counterexamples.find((c) => c.name === NAME)?.call.args, { amount: 1001, fee: 25.5 }, `seed ${seed}`);
    }
  });

  it('replays the boundary counterexample from its seed and path alone', async () => {
    const parsed = limit(1, 5000, '{ min: 1001 }');
    for (const seed of SEEDS) {
      const { amount, path } = await amountOf(parsed, seed);
      const again = await simulate(parsed, { seed, replay: { path }, at: AT });
      assert.equal(again.calls, 1);
      const cx = again.counterexamples.find((c) => c.name === NAME);
      assert.deepEqual((cx?.call.args as { amount?: unknown } | undefined)?.amount, amount, `seed ${seed}, path ${path}`);
      assert.equal(cx?.replay?.path, path);
    }
  });

  it('refuses a replay path whose changed genes are malformed or fall outside the genome', async () => {
    const parsed = limit(1, 5000, '{ min: 1001 }');
    for (const path of ['2:3@', '2:3@5', '2:3@5=1@6=1']) {
      await assert.rejects(simulate(parsed, { seed: 1, replay: { path }, at: AT }), /is not of the form INDEX/, path);
    }
    // well formed, but outside this policy's genome: named as such (ReplayError), not as malformed
    await assert.rejects(simulate(parsed, { seed: 1, replay: { path: '2:3@99=1' }, at: AT }), /does not fit this policy's calls \(`@99=1`: they have \d+ genes\)/);
    await assert.rejects(simulate(parsed, { seed: 1, replay: { path: '2:3@5=65536' }, at: AT }), /does not fit this policy's calls \(`@5=65536`: gene 5 goes up to 65535\)/);
  });
});
