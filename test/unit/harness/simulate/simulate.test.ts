// simulate(): finds a broken invariant with a shrunk, replayable counterexample; passes a sound policy.

import assert from 'node:assert/strict';
import { parsePolicy, type ParsedPolicy } from '../../../../policies';
import { simulate } from '../../../../harness';

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
});
