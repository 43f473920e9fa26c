// deny/absent-key and constraint/dotted-key beyond their fixtures: which grants open the escape, what a
// tool's input schema rules out, and the dotted hint constraint/unknown-argument gives with a manifest.

import assert from 'node:assert/strict';
import { lintText } from '../../../../policies/lint';
import type { ToolManifest } from '../../../../policies';

const NOW = Date.parse('2026-11-25T12:00:00Z');
const findings = (text: string, rule: string, tools?: ToolManifest): string[] =>
  lintText(text, 'p.mandate.yaml', { now: NOW, ...(tools ? { tools } : {}) }).filter((f) => f.rule === rule).map((f) => f.message);

const policy = (grants: string, deny: string, scopes = ''): string =>
  `version: 1\nroles: { a: { description: A. }, b: { description: B. } }\n${scopes}grants:\n${grants}deny:\n${deny}`;

describe('lint: keys that may be absent', () => {
  const deny = '  - { id: big, tool: pay, args: { amount: { min: 1000 } }, reason: Big payments need finance. }\n';

  it('warns only when a grant for the same role and tool lets the call through without the key', () => {
    assert.equal(findings(policy('  - { agent_role: a, tool: pay, requires_approval: true }\n', deny), 'deny/absent-key').length, 1);
    const scoped = '  s: { args: { amount: { max: 5000 } } }\n';
    assert.deepEqual(findings(policy('  - { agent_role: a, tool: pay, scope: s, requires_approval: true }\n', deny, `scopes:\n${scoped}`), 'deny/absent-key'), [], 'the grant requires amount');
    assert.deepEqual(findings(policy('  - { agent_role: a, tool: read_file }\n', deny), 'deny/absent-key'), [], 'another tool');
    const roleDeny = '  - { id: big, roles: [b], tool: pay, args: { amount: { min: 1000 } }, reason: Big payments need finance. }\n';
    assert.deepEqual(findings(policy('  - { agent_role: a, tool: pay, requires_approval: true }\n', roleDeny), 'deny/absent-key'), [], 'another role');
    assert.equal(findings(policy('  - { agent_role: a, tool: "pa*", requires_approval: true }\n', deny), 'deny/absent-key').length, 1, 'a glob grant that covers the tool');
  });

  it('sees globs that overlap without either covering the other, and callers holding two roles (an agent binding them)', () => {
    const globDeny = '  - { id: frozen, tool: "deploy_*", args: { service: { prefix: billing- } }, reason: Frozen. }\n';
    assert.equal(findings(policy('  - { agent_role: a, tool: "*_prod", requires_approval: true }\n', globDeny), 'deny/absent-key').length, 1, 'deploy_prod meets both');
    assert.deepEqual(findings(policy('  - { agent_role: a, tool: "read_*" }\n', globDeny), 'deny/absent-key'), [], 'no tool meets both');
    const roleDeny = '  - { id: prod, roles: [b], tool: deploy, context: { environment: [prod] }, reason: No prod. }\n';
    const grant = '  - { agent_role: a, tool: deploy, requires_approval: true }\n';
    assert.deepEqual(findings(policy(grant, roleDeny), 'deny/absent-key'), [], 'no caller holds both roles');
    const bound = `${policy(grant, roleDeny)}agents:\n  bot: { roles: [a, b] }\n`;
    assert.match(findings(bound, 'deny/absent-key')[0] ?? '', /agent `bot` holds both roles/);
  });

  it('does not warn about an argument every known version of the tool requires', () => {
    const grant = '  - { agent_role: a, tool: pay, requires_approval: true }\n';
    const tools = (required: string[]): ToolManifest => ({ tools: [{ name: 'pay', inputSchema: { type: 'object', properties: { amount: { type: 'number' } }, required } }] });
    assert.deepEqual(findings(policy(grant, deny), 'deny/absent-key', tools(['amount'])), []);
    assert.equal(findings(policy(grant, deny), 'deny/absent-key', tools([])).length, 1);
  });

  it('with a manifest, leaves dotted keys to unknown-argument, which says the key is not a path', () => {
    const text = policy('  - { agent_role: a, tool: pay, scope: s, requires_approval: true }\n', '', 'scopes:\n  s: { args: { payment.amount: { max: 10 } } }\n').replace('deny:\n', '');
    assert.equal(findings(text, 'constraint/dotted-key').length, 1);
    const tools: ToolManifest = { tools: [{ name: 'pay', inputSchema: { type: 'object', properties: { payment: { type: 'object' } } } }] };
    assert.deepEqual(findings(text, 'constraint/dotted-key', tools), []);
    assert.match(findings(text, 'constraint/unknown-argument', tools)[0]!, /names, not paths: `payment.amount` does not reach into `payment`/);
  });
});
