// The role × tool matrix's edge cases and the activity chart's bucket bound.

import assert from 'node:assert/strict';
import { compile, parsePolicy, type AuditRecord } from '../../../../policies';
import { buildActivity, buildMatrix, describeConstraint, MAX_BUCKETS } from '../../../../harness/report';

function compiled(text: string) {
  const r = parsePolicy(text, 'm.yaml');
  if (!r.ok) throw new Error(JSON.stringify(r.findings));
  return compile(r.parsed);
}

describe('harness/report matrix and activity', () => {
  it('marks a grant that a conditional deny rule can override', () => {
    const c = compiled(`version: 1
roles: { ops: { description: o } }
grants: [{ agent_role: ops, tool: restart }]
deny: [{ tool: restart, args: { target: { equals: prod-db } }, reason: Not the database. }]
`);
    const cell = buildMatrix(c).cells['ops']!['restart']!;
    assert.equal(cell.effect, 'conditional_deny');
    assert.deepEqual(cell.denies, ['deny[0]: Not the database.']);
  });

  it('describes constraints in policy words, `not` included', () => {
    assert.equal(describeConstraint('amount', { min: 0.01, max: 1000 }), 'amount ≥ 0.01, amount ≤ 1000');
    assert.equal(describeConstraint('path', { not: { prefix: '/etc' } }), 'not (path starts with "/etc")');
  });

  it('never draws more than MAX_BUCKETS buckets, and loses no record', () => {
    const recs = Array.from({ length: 500 }, (_, i): AuditRecord => ({ v: 1, seq: i, prev: '', kind: 'decision', time: new Date(Date.parse('2026-01-01T00:00:00Z') + i * 3_600_000 * 7).toISOString(), tool: 't', decision: { effect: i % 2 ? 'allow' : 'deny', rules: [], reasons: [] } }));
    const a = buildActivity(recs);
    assert.ok(a.buckets.length <= MAX_BUCKETS, String(a.buckets.length));
    assert.equal(a.buckets.reduce((n, b) => n + b.allowed + b.denied, 0), 500);
  });
});
