// A value under a redacted key never reaches a decision's reasons — which are written to the audit log, printed by
// `mandate check` and sent to the agent — at any depth: `payment: { card_number: … }` failing a check on `payment`
// printed the card number in clear, while the record's `args` were redacted.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decide } from '../../policies';
import { call, compiled } from '../support/policy';
import { fcParams } from '../support/seed';

const OPERATORS = ['in: [ok]', 'equals: ok', 'type: string', 'max: 5', 'max_length: 3', 'pattern: "^x$"', 'not: { type: object }'];

describe('property: redacted values stay out of reasons', () => {
  it('masks a redacted key inside a checked value, wherever it is nested, before the value is cut short', () => {
    fc.assert(fc.property(
      fc.constantFrom(...OPERATORS), fc.stringMatching(/^[A-Za-z0-9]{8,24}$/), fc.integer({ min: 0, max: 3 }), fc.constantFrom('deny', 'scope'), fc.string({ maxLength: 80 }),
      (op, secret, depth, where, padding) => {
        const policy = where === 'scope'
          ? `version: 1\nroles: { r: {} }\nscopes: { s: { args: { payment: { ${op} } } } }\ngrants: [{ agent_role: r, tool: pay, scope: [s] }]\naudit: { redact: [card_number] }\n`
          : `version: 1\nroles: { r: {} }\ngrants: [{ agent_role: r, tool: pay }]\ndeny: [{ id: d, tool: pay, args: { payment: { not: { ${op} } } }, reason: No. }]\naudit: { redact: [card_number] }\n`;
        let value: unknown = { note: padding, card_number: secret };
        for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { inner: value };
        const d = decide(compiled(policy, 'p.mandate.yaml'), call('r', 'pay', { payment: value }));
        const said = d.reasons.map((r) => r.message).join('\n');
        assert.ok(!said.includes(secret), `the secret is in a reason: ${said}`);
      },
    ), fcParams(300));
  });
});
