// Property: the review's narrowed grant list never widens access and still allows every call that was made.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parse } from 'yaml';
import { compile, decide, type AuditRecord, type Grant, type Policy } from '../../../../policies';
import { reviewAudit } from '../../../../harness/review';
import { fcParams } from '../../../support/seed';

const TOOLS = ['read_file', 'read_dir', 'write_file', 'delete_file', 'search'];
const PATTERNS = [...TOOLS, 'read_*', '*_file', '*'];
const ROLES = ['a', 'b', 'c'];
const NOW = Date.parse('2026-11-10T00:00:00Z');

const grantArb = fc.record({
  agent_role: fc.constantFrom(...ROLES),
  tools: fc.uniqueArray(fc.constantFrom(...PATTERNS), { minLength: 1, maxLength: 3 }),
  requires_approval: fc.boolean(),
});
const policyArb = fc.array(grantArb, { minLength: 1, maxLength: 6 }).map((grants): Policy => ({
  version: 1, roles: Object.fromEntries(ROLES.map((r) => [r, { description: r }])), grants,
}));
const callsArb = fc.array(fc.record({ role: fc.constantFrom(...ROLES), tool: fc.constantFrom(...TOOLS) }), { maxLength: 25 });

function effect(p: Policy, role: string, tool: string): string {
  return decide(compile(p), { principal: 'x', roles: [role], tool, now: NOW }).effect;
}

/** Replace each narrowed role's grants with the proposal. */
function applyProposals(p: Policy, proposals: Array<{ role: string; proposal: string }>): Policy {
  let grants = p.grants ?? [];
  for (const n of proposals) grants = [...grants.filter((g) => g.agent_role !== n.role), ...(parse(n.proposal) as Grant[])];
  return { ...p, grants };
}

describe('harness/review narrowing (property)', () => {
  it('a narrowed policy allows every call that was made, and nothing the original did not allow', () => {
    fc.assert(fc.property(policyArb, callsArb, (policy, calls) => {
      const c = compile(policy);
      const records: AuditRecord[] = calls.map((call, i) => {
        const d = decide(c, { principal: 'x', roles: [call.role], tool: call.tool, now: NOW });
        return { v: 1, seq: i, prev: '', kind: 'decision', time: new Date(NOW + i).toISOString(), request_id: String(i), caller: { principal: 'x', roles: [call.role] }, tool: call.tool, decision: { effect: d.effect, rules: d.rules.map((r) => r.id), reasons: [] } };
      });
      const narrowed = applyProposals(policy, reviewAudit(c, records).narrowing);
      for (const call of calls) {
        const before = effect(policy, call.role, call.tool);
        assert.equal(effect(narrowed, call.role, call.tool), before, `${call.role} ${call.tool} changed`);
      }
      for (const role of ROLES) {
        for (const tool of [...TOOLS, 'other']) {
          if (effect(narrowed, role, tool) !== 'deny') assert.notEqual(effect(policy, role, tool), 'deny', `${role} ${tool} widened`);
        }
      }
    }), fcParams(300));
  });
});
