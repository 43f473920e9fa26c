// constraint/case-sensitive-block: the engine compares `in` / `equals` / `not_in` exactly (DESIGN: nothing is
// coerced), so a block list forbids one spelling only; lint says so, and its fix makes the engine deny every spelling.

import assert from 'node:assert/strict';
import { compile, decide, parsePolicy } from '../../../../policies';
import { lintText } from '../../../../policies/lint';
import { fixEdit } from '../../../../extension/editor/fixEdit';

const NOW = Date.parse('2026-06-01T00:00:00Z');
const RULE = 'constraint/case-sensitive-block';

function effect(text: string, vendor: string): string {
  const p = parsePolicy(text, 'p.mandate.yaml');
  assert.ok(p.ok, JSON.stringify(!p.ok && p.findings));
  return decide(compile(p.parsed), { principal: 'a', roles: ['payer'], tool: 'pay_vendor', args: { vendor, amount: 5 }, context: {}, now: NOW }).effect;
}

describe('constraint/case-sensitive-block', () => {
  const policy = `version: 1
roles: { payer: { description: Pays vendors. } }
scopes:
  not-sanctioned: { args: { vendor: { not_in: [evil-corp] } } }
grants:
  - { agent_role: payer, tool: pay_vendor, scope: not-sanctioned, requires_approval: true }
`;

  it('reports a grant\'s `not_in` of names, which the engine lets other spellings through, and its fix closes that', () => {
    assert.equal(effect(policy, 'evil-corp'), 'deny');
    assert.equal(effect(policy, 'Evil-Corp'), 'approval_required', 'the engine compares exactly, as DESIGN says');
    const found = lintText(policy, 'p.mandate.yaml', { now: NOW }).filter((f) => f.rule === RULE);
    assert.equal(found.length, 1);
    const fix = found[0]!.fix?.[0];
    assert.ok(fix, 'a fix is offered');
    const edit = fixEdit(policy, fix, false);
    assert.ok(edit);
    const fixed = policy.slice(0, edit.start) + edit.text + policy.slice(edit.end);
    for (const v of ['evil-corp', 'Evil-Corp', 'EVIL-CORP', 'eViL-cOrP']) assert.equal(effect(fixed, v), 'deny', v);
    assert.equal(effect(fixed, 'acme-bv'), 'approval_required');
    assert.deepEqual(lintText(fixed, 'p.mandate.yaml', { now: NOW }).filter((f) => f.rule === RULE), []);
  });

  it('reports a deny rule\'s `prefix` of a name, and its fix blocks every spelling of that prefix (a path\'s prefix is another rule\'s)', () => {
    const text = `version: 1
roles: { payer: { description: Pays vendors. } }
grants:
  - { agent_role: payer, tool: pay_vendor, requires_approval: true }
deny:
  - { id: evil, tool: pay_vendor, args: { vendor: { prefix: evil- } }, reason: The evil group. }
`;
    assert.equal(effect(text, 'evil-corp'), 'deny');
    assert.equal(effect(text, 'Evil-Corp'), 'approval_required', 'the engine compares exactly');
    const found = lintText(text, 'p.mandate.yaml', { now: NOW }).filter((f) => f.rule === RULE);
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /`vendor` `prefix` compares exactly: `EVIL-` is not `evil-`/);
    const fix = found[0]!.fix?.[0];
    assert.ok(fix);
    const edit = fixEdit(text, fix, false);
    assert.ok(edit);
    const fixed = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
    for (const v of ['evil-corp', 'Evil-Corp', 'EVIL-X', 'eViL-']) assert.equal(effect(fixed, v), 'deny', v);
    for (const v of ['acme-evil-corp', 'evilcorp']) assert.equal(effect(fixed, v), 'approval_required', `${v} is no prefix match`);
    const path = text.replace('vendor: { prefix: evil- }', 'vendor: { prefix: Secrets/ }');
    assert.deepEqual(lintText(path, 'p.mandate.yaml', { now: NOW }).filter((f) => f.rule === RULE), []);
  });

  it('offers no fix when a grant also uses the list as an allow list (a case-blind pattern would widen the grant)', () => {
    const shared = `version: 1
roles: { payer: { description: Pays vendors. } }
scopes:
  sanctioned: { args: { vendor: { in: [evil-corp] } } }
grants:
  - { agent_role: payer, tool: pay_sanctioned_review, scope: sanctioned, requires_approval: true }
deny:
  - { id: sanctioned, tool: pay_vendor, scope: sanctioned, reason: Sanctioned. }
`;
    const found = lintText(shared, 'p.mandate.yaml', { now: NOW }).filter((f) => f.rule === RULE);
    assert.equal(found.length, 1);
    assert.match(found[0]!.message, /deny rule `sanctioned`/);
    assert.equal(found[0]!.fix, undefined);
  });

  it('its fix still forbids the spelling it listed when that spelling is neither the lower nor the upper case (title case ǅ, Kelvin K)', () => {
    const listed = ['\u01c5emo', '\u212aelvin'];
    const text = `version: 1
roles: { payer: { description: Pays vendors. } }
grants:
  - { agent_role: payer, tool: pay_vendor, requires_approval: true }
deny:
  - { id: blocked, tool: pay_vendor, args: { vendor: { in: ${JSON.stringify(listed)} } }, reason: Blocked. }
`;
    for (const v of listed) assert.equal(effect(text, v), 'deny', v);
    const fix = lintText(text, 'p.mandate.yaml', { now: NOW }).find((f) => f.rule === RULE)?.fix?.[0];
    assert.ok(fix);
    const edit = fixEdit(text, fix, false);
    assert.ok(edit);
    const fixed = text.slice(0, edit.start) + edit.text + text.slice(edit.end);
    for (const v of [...listed, '\u01c4EMO', '\u01c6emo', 'KELVIN', 'kelvin']) assert.equal(effect(fixed, v), 'deny', `${v} after the fix`);
  });

  it('leaves allow lists alone: a grant\'s `in` and a deny rule\'s `not_in` already refuse other spellings', () => {
    const allow = `version: 1
roles: { payer: { description: Pays vendors. } }
scopes:
  vendors: { args: { vendor: { in: [acme-bv] } } }
grants:
  - { agent_role: payer, tool: pay_vendor, scope: vendors, requires_approval: true }
deny:
  - { id: only-acme, tool: pay_vendor, args: { vendor: { not_in: [acme-bv] } }, reason: Only acme. }
`;
    assert.deepEqual(lintText(allow, 'p.mandate.yaml', { now: NOW }).filter((f) => f.rule === RULE), []);
    assert.equal(effect(allow, 'ACME-BV'), 'deny');
  });
});
