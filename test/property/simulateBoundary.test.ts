// Property of simulate()'s shrinking: whatever the bound and wherever the run starts, a violation that
// begins at a bound the invariant names is reported at that bound, and the reported call still breaks it.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compile, decide, parsePolicy } from '../../policies';
import { simulate } from '../../harness';
import { fcParams } from '../support/seed';

const AT = Date.parse('2026-06-01T00:00:00Z');
const NAME = 'nothing from the bound up is allowed';

/** A bound: a whole number, or one with cents (as money is written), up to a million. */
const boundArb = fc.oneof(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 100_000_000 }).map((cents) => cents / 100));

describe('property: simulate reports a violation at its boundary', () => {
  it('a grant wider than an invariant\'s `min` is broken at exactly that `min`, for any bound, grant width and run seed', async () => {
    await fc.assert(fc.asyncProperty(boundArb, fc.integer({ min: 1, max: 1_000_000 }), fc.nat({ max: 2 ** 31 - 1 }), async (bound, wider, seed) => {
      const max = Math.ceil(bound) + wider;
      const text = `version: 1
roles: { payer: {} }
scopes: { limit: { args: { amount: { min: 0.01, max: ${max} } } } }
grants:
  - { agent_role: payer, tool: transfer, scope: [limit] }
invariants:
  - name: ${NAME}
    never: { tool: transfer, effect: allow, args: { amount: { min: ${bound} } } }
`;
      const r = parsePolicy(text, 'p.mandate.yaml');
      if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
      const report = await simulate(r.parsed, { runs: 2000, seed, at: AT });
      const cx = report.counterexamples.find((c) => c.name === NAME);
      assert.ok(cx, `bound ${bound}, max ${max}, run seed ${seed}: the invariant is reported broken`);
      const args = cx.call.args as { amount?: unknown };
      assert.equal(args.amount, bound, `bound ${bound}, max ${max}, run seed ${seed}: reported ${JSON.stringify(args)}`);
      const d = decide(compile(r.parsed), { principal: 't', roles: cx.call.roles, tool: cx.call.tool, args: cx.call.args, context: cx.call.context, now: Date.parse(cx.call.at) });
      assert.equal(d.effect, 'allow', 'the reported call still breaks the invariant');
    }), fcParams(100));
  });
});
