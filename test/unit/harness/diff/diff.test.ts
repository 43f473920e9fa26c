// diff(): widened access is found and listed first; a pure refactor changes no decision.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, parsePolicy, type ParsedPolicy } from '../../../../policies';
import { diffPolicies, formatDiffText } from '../../../../harness';
import { pairState, widens } from '../../../../harness/diff';

const DIR = join(__dirname, '../../../fixtures/broken/diff');
const AT = Date.parse('2026-06-01T00:00:00Z');

function parse(text: string): ParsedPolicy {
  const r = parsePolicy(text, 'inline.mandate.yaml');
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
  return r.parsed;
}

function load(name: string): ParsedPolicy {
  const r = parsePolicy(readFileSync(join(DIR, name), 'utf8'), name);
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
  return r.parsed;
}

describe('harness/diff/diff', () => {
  it('reports widened payments first, with an example the new policy allows', () => {
    const r = diffPolicies(load('payments.before.mandate.yaml'), load('payments.widened.mandate.yaml'), { seed: 1, at: AT });
    assert.equal(r.ok, false);
    assert.deepEqual(r.changedPairs.map((p) => `${p.roles.join('+')} ${p.tool} ${p.old}→${p.new}`), ['payer pay_vendor approval→allow']);
    const kinds = r.changes.map((c) => `${c.from}→${c.to}`).sort();
    assert.deepEqual(kinds, ['approval_required→allow', 'deny→allow']);
    assert.ok(r.changes.every((c) => c.widened));
    const capped = r.changes.find((c) => c.from === 'deny')!;
    assert.ok((capped.example.args as { amount: number }).amount > 1000, 'the deny → allow example is above the old cap');
    assert.match(capped.command, /^mandate check --policy payments\.widened\.mandate\.yaml --role payer --tool pay_vendor /);
  });

  it('lists narrowed access after widened access and does not fail on it', () => {
    const r = diffPolicies(load('payments.widened.mandate.yaml'), load('payments.before.mandate.yaml'), { seed: 1, at: AT });
    assert.equal(r.ok, true);
    assert.ok(r.changes.length > 0 && r.changes.every((c) => !c.widened));
  });

  it('stays silent on a pure refactor', () => {
    const r = diffPolicies(load('payments.before.mandate.yaml'), load('payments.refactored.mandate.yaml'), { seed: 1, at: AT });
    assert.deepEqual(r.changes, []);
    assert.equal(r.ok, true);
    assert.deepEqual(formatDiffText(r), []);
  });

  it('finds nothing between a policy and itself, without generating a call', () => {
    const p = load('payments.before.mandate.yaml');
    const r = diffPolicies(p, p, { seed: 1, at: AT });
    assert.deepEqual(r.changedPairs, []);
    assert.equal(r.calls, 0);
  });

  it('fingerprints pairs by meaning: a bare context list equals its `in` spelling', () => {
    const a = load('payments.before.mandate.yaml');
    const b = load('payments.refactored.mandate.yaml');
    assert.equal(pairState(compile(a), ['viewer'], 'get_balance').fingerprint, pairState(compile(b), ['viewer'], 'get_balance').fingerprint);
    assert.equal(pairState(compile(a), ['viewer'], 'delete_x').access, 'none');
  });

  it('ranks effects: only more access is a widening', () => {
    assert.equal(widens('deny', 'approval_required'), true);
    assert.equal(widens('approval_required', 'allow'), true);
    assert.equal(widens('allow', 'deny'), false);
    assert.equal(widens('allow', 'approval_required'), false);
  });

  it('finds access widened in time: a later expiry allows calls the old grant denied', () => {
    const grant = (expires: string) => parse(`version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t, expires: ${expires} }\n`);
    const r = diffPolicies(grant('2026-07-01T00:00:00Z'), grant('2026-12-01T00:00:00Z'), { seed: 1, at: AT });
    assert.equal(r.ok, false);
    const c = r.changes[0]!;
    assert.equal(`${c.from}→${c.to}`, 'deny→allow');
    assert.ok(Date.parse(c.example.at) >= Date.parse('2026-07-01T00:00:00Z'));
  });
});
