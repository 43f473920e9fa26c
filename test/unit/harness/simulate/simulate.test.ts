// simulate(): finds a broken invariant with a shrunk, replayable counterexample; passes a sound policy.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePolicy, type ParsedPolicy } from '../../../../policies';
import { failing, formatText, simulate } from '../../../../harness';

const AT = Date.parse('2026-06-01T00:00:00Z');

function parse(text: string): ParsedPolicy {
  const r = parsePolicy(text, 'p.mandate.yaml');
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
  return r.parsed;
}

const policy = (max: number): string => `
version: 1
roles: { payer: {}, reader: { read_only: true } }
scopes: { small: { args: { amount: { max: ${max}, min: 1 } } } }
grants:
  - { agent_role: payer, tool: pay, scope: [small] }
  - { agent_role: reader, tool: read }
invariants:
  - name: nothing above 100 is paid
    never: { tool: pay, effect: allow, args: { amount: { min: 100.01 } } }
  - name: readers can read
    always: { role: reader, tool: read, effect: allow }
`;

describe('harness/simulate/simulate', () => {
  it('finds an off-by-one bound and shrinks it to a single relevant argument', async () => {
    const report = await simulate(parse(policy(101)), { runs: 2000, seed: 7, at: AT });
    assert.equal(report.ok, false);
    const cx = report.counterexamples.find((c) => c.name === 'nothing above 100 is paid');
    assert.ok(cx, 'the invariant is reported broken');
    assert.equal(cx.effect, 'allow');
    assert.equal(cx.call.tool, 'pay');
    assert.deepEqual(Object.keys(cx.call.args as object), ['amount']);
    assert.ok((cx.call.args as { amount: number }).amount > 100);
    assert.match(cx.command, /^mandate check --policy p\.mandate\.yaml --role payer --tool pay --args /);
    assert.equal(cx.where, 'p.mandate.yaml:9:5');
  });

  it('replays a counterexample from its seed and path alone', async () => {
    const parsed = parse(policy(101));
    const report = await simulate(parsed, { runs: 2000, seed: 7, at: AT });
    const cx = report.counterexamples.find((c) => c.kind === 'invariant')!;
    const again = await simulate(parsed, { seed: cx.replay!.seed, replay: { path: cx.replay!.path }, at: AT });
    assert.equal(again.calls, 1);
    assert.deepEqual(again.counterexamples.find((c) => c.name === cx.name)?.call, cx.call);
  });

  it('passes the repaired policy with no counterexample', async () => {
    const report = await simulate(parse(policy(100)), { runs: 2000, seed: 7, at: AT });
    assert.deepEqual(report.counterexamples, []);
    assert.equal(report.ok, true);
    assert.equal(report.properties.find((p) => p.name === 'readers can read')?.status, 'passed');
  });

  it('is deterministic for a seed and reports progress and coverage', async () => {
    const seen: number[] = [];
    const a = await simulate(parse(policy(100)), { runs: 6000, seed: 3, at: AT, onProgress: (p) => seen.push(p.done) });
    const b = await simulate(parse(policy(100)), { runs: 6000, seed: 3, at: AT });
    assert.deepEqual(a.matrix, b.matrix);
    assert.deepEqual(seen, [2500, 5000, 6000]);
    assert.deepEqual(a.unexercised, []);
    assert.ok(a.matrix.some((r) => r.roles === 'payer' && r.tool === 'pay' && r.allow > 0 && r.deny > 0));
  });

  it('stops between chunks when its signal aborts', async () => {
    const ac = new AbortController();
    const report = await simulate(parse(policy(100)), { runs: 10_000, seed: 3, at: AT, signal: ac.signal, onProgress: () => ac.abort() });
    assert.equal(report.aborted, true);
    assert.equal(report.calls, 2500);
  });

  it('reports a failing policy test with the command that reproduces it', async () => {
    const text = `${policy(100)}tests:\n  - { name: readers may pay, call: { role: reader, tool: pay, args: { amount: 5 } }, expect: allow }\n`;
    const report = await simulate(parse(text), { runs: 100, seed: 1, at: AT });
    const cx = report.counterexamples.find((c) => c.kind === 'test');
    assert.equal(report.ok, false);
    assert.equal(cx?.why, 'expected allow, got deny');
    assert.match(cx.command, /--role reader --tool pay --args '\{"amount":5\}'/);
  });
  it('breaks an invariant whose constant sits behind a long allow-list (the pool keeps every constraint\'s constants)', async () => {
    const vendors = [...Array.from({ length: 30 }, (_, i) => `vendor-${String(i).padStart(2, '0')}`), 'mallory-offshore'];
    const report = await simulate(parse(`
version: 1
roles: { payer: {} }
scopes: { known: { args: { vendor: { in: [${vendors.join(', ')}] } } } }
grants:
  - { agent_role: payer, tool: pay, scope: [known] }
invariants:
  - name: nothing is paid offshore
    never: { tool: pay, effect: allow, args: { vendor: { in: [mallory-offshore] } } }
`), { runs: 2000, seed: 20261125, at: AT });
    const cx = report.counterexamples.find((c) => c.name === 'nothing is paid offshore');
    assert.ok(cx, 'the invariant is reported broken');
    assert.equal((cx.call.args as { vendor: string }).vendor, 'mallory-offshore');
  });

  it('names every rule whose decisions broke a property, not only the counterexample\'s, so one run shows the whole fix', async () => {
    const teams = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const text = `
version: 1
roles: { ${teams.map((t) => `${t}_reader: { read_only: true }`).join(', ')}, ops: {} }
grants:
${teams.map((t) => `  - { agent_role: ${t}_reader, tools: [read_file, "*_file"] }`).join('\n')}
  - { agent_role: ops, tool: delete_file, requires_approval: true }
invariants:
  - name: nothing is deleted without a human
    never: { tool: delete_file, effect: allow }
`;
    const report = await simulate(parse(text), { runs: 3000, seed: 5, at: AT });
    const p = report.properties.find((x) => x.name === 'nothing is deleted without a human')!;
    assert.equal(p.status, 'broken');
    assert.deepEqual(p.through?.map((r) => r.id), teams.map((_, i) => `grants[${i}]`), 'every team\'s `*_file` grant, in policy order; not the approval grant');
    assert.equal(p.through?.reduce((n, r) => n + r.calls, 0), p.violations);
    assert.equal(p.through?.[0]?.where, 'p.mandate.yaml:5:5');
    const line = formatText(report).find((l) => l.trimStart().startsWith('through:'));
    assert.match(line ?? '', /^ {8}through: {3}7 rules decided the calls that broke it: grants\[0\] \(p\.mandate\.yaml:5:5\), grants\[1\] \(p\.mandate\.yaml:6:5\), grants\[2\] \(p\.mandate\.yaml:7:5\), grants\[3\] \(p\.mandate\.yaml:8:5\), grants\[4\] \(p\.mandate\.yaml:9:5\) and 2 more \(--format json lists them\)$/);
    const single = await simulate(parse(policy(101)), { runs: 2000, seed: 7, at: AT });
    assert.equal(single.properties.find((x) => x.name === 'nothing above 100 is paid')?.through?.length, 1);
    assert.ok(!formatText(single).some((l) => l.trimStart().startsWith('through:')), 'one rule: the counterexample\'s decision already names it');
  });

  it('breaks `grants that require approval never yield a plain allow` when an agent\'s other role allows the call with no condition, as lint\'s approval/bypassed reads it', async () => {
    const fixture = (kind: string): ParsedPolicy => parse(readFileSync(join(__dirname, '../../../fixtures/lint', `approval--bypassed.${kind}.mandate.yaml`), 'utf8'));
    const name = 'grants that require approval never yield a plain allow';
    const broken = await simulate(fixture('trigger'), { runs: 2000, seed: 3, at: AT });
    assert.equal(broken.properties.find((p) => p.name === name)?.status, 'broken');
    const cx = broken.counterexamples.find((c) => c.name === name)!;
    assert.deepEqual([cx.call.roles, cx.call.tool, cx.effect], [['deployer', 'helper'], 'deploy_service', 'allow']);
    assert.equal(cx.why, 'grants[0] requires approval of this call for role `deployer`, but agent `release-bot` also holds `helper`, whose grants[1] allows it outright with no condition: the approval never applies to this agent');
    assert.match(cx.command, /--role deployer --role helper --tool deploy_service /);
    // a free grant tiered by a scope, and roles no agent holds together, are left alone
    const tiered = await simulate(fixture('near-miss'), { runs: 2000, seed: 3, at: AT });
    assert.equal(tiered.properties.find((p) => p.name === name)?.status, 'passed');
  });

  describe('invariants that cannot speak of the policy', () => {
    const TYPOS = `version: 1
roles:
  reader: { description: Reads., read_only: true }
  payer: { description: Pays. }
grants:
  - { agent_role: reader, tools: [read_invoice, issue_payment] }
  - { agent_role: payer, tool: issue_payment, requires_approval: true }
invariants:
  - name: readers never pay
    never: { role: raeder, tool: issue_payment, effect: [allow, approval_required] }
  - name: payments always need a human
    never: { tool: issue_paymnet, effect: allow }
  - name: payers pay with approval
    always: { role: payer, tool: issue_payment, effect: approval_required }
`;
    it('reports an invariant naming an undeclared role or a tool nothing matches as invalid, failing the run', async () => {
      const report = await simulate(parse(TYPOS), { runs: 500, seed: 1, at: AT });
      assert.equal(report.ok, false);
      const by = new Map(report.properties.map((p) => [p.name, p]));
      assert.equal(by.get('readers never pay')?.status, 'invalid');
      assert.match(by.get('readers never pay')!.note!, /^role `raeder` \(p\.mandate\.yaml:10:20\) is not declared in `roles:` \(did you mean `reader`\?\)/);
      assert.equal(by.get('payments always need a human')?.status, 'invalid');
      assert.match(by.get('payments always need a human')!.note!, /^tool `issue_paymnet` \(p\.mandate\.yaml:12:20\) matches no tool a grant or deny rule names \(did you mean `issue_payment`\?\)/);
      assert.equal(by.get('payers pay with approval')?.status, 'passed');
      // with the typos fixed, the policy's real hole shows
      const fixed = await simulate(parse(TYPOS.replace('raeder', 'reader').replace('issue_paymnet', 'issue_payment')), { runs: 500, seed: 1, at: AT });
      assert.deepEqual(fixed.properties.filter((p) => p.status === 'broken').map((p) => p.name).sort(), ['payments always need a human', 'readers never pay']);
    });

    it('accepts a tool only a glob rule or a manifest names', async () => {
      const text = `version: 1
roles: { ops: { description: Operates. } }
grants: [{ agent_role: ops, tools: ["get_*"] }]
deny: [{ tools: ["drop_*"], reason: Never. }]
invariants:
  - { name: status stays readable, always: { role: ops, tool: get_status, effect: allow } }
  - { name: drops never pass, never: { tool: ["drop_*", "*_table"], effect: allow } }
  - { name: the server's purge is never allowed, never: { tool: purge_all, effect: allow } }
`;
      const report = await simulate(parse(text), { runs: 500, seed: 1, at: AT, tools: { tools: [{ name: 'purge_all' }, { name: 'get_status' }] } });
      assert.deepEqual(report.properties.filter((p) => p.kind === 'invariant').map((p) => [p.name, p.status]),
        [['status stays readable', 'passed'], ['drops never pass', 'passed'], ["the server's purge is never allowed", 'passed']]);
      const without = await simulate(parse(text), { runs: 500, seed: 1, at: AT });
      // without the manifest it is a guard on a tool no rule names yet: checked (and holding), not a typo
      assert.equal(without.properties.find((p) => p.name === "the server's purge is never allowed")?.status, 'passed');
      // a near-miss of a tool only the manifest has is a typo, with the hint to give the manifest
      const typo = await simulate(parse(text.replace('tool: purge_all', 'tool: purg_all').replace('tools: ["get_*"]', 'tools: ["get_*", purge_all]')), { runs: 500, seed: 1, at: AT });
      assert.equal(typo.properties.find((p) => p.name === "the server's purge is never allowed")?.status, 'invalid');
      assert.match(typo.properties.find((p) => p.name === "the server's purge is never allowed")!.note!, /did you mean/);
    });

    it('fails a vacuous invariant unless vacuity is allowed; a built-in vacuous for want of a manifest only says so', async () => {
      const text = `version: 1
roles: { reader: { description: Reads., read_only: true } }
grants: [{ agent_role: reader, tool: read_invoice }]
invariants:
  - name: readers never change anything
    never: { role: reader, effect: allow, tool_annotations: { destructiveHint: true } }
`;
      const report = await simulate(parse(text), { runs: 500, seed: 1, at: AT });
      const inv = report.properties.find((p) => p.kind === 'invariant')!;
      const builtin = report.properties.find((p) => p.name === 'read_only roles are never allowed destructive tools')!;
      assert.equal(inv.status, 'vacuous');
      assert.match(inv.note!, /no manifest was given/);
      assert.equal(builtin.status, 'vacuous');
      assert.equal(report.ok, false, 'a vacuous invariant proved nothing');
      assert.equal(failing(inv, report), true);
      assert.equal(failing(builtin, report), false);
      const allowed = await simulate(parse(text), { runs: 500, seed: 1, at: AT, allowVacuous: true });
      assert.equal(allowed.ok, true);
      assert.equal(allowed.allowVacuous, true);
    });

    it('never fails a replay of one call for vacuity', async () => {
      const parsed = parse(policy(100));
      const again = await simulate(parsed, { seed: 7, replay: { path: '0' }, at: AT });
      assert.equal(again.calls, 1);
      assert.ok(again.properties.some((p) => p.kind === 'invariant' && p.status === 'vacuous'));
      assert.equal(again.ok, true);
    });
  });
});
