// The policy HTTP sessions share: each session's view follows reloads but decides with the tool schemas its
// own server listed (one session's tools/list used to set every session's schemas: the last list won).

import assert from 'node:assert/strict';
import { decide, parsePolicy, type ToolInfo } from '../../../policies';
import { PolicyState } from '../../../extension/proxy/policyState';

const parsed = (text: string) => {
  const p = parsePolicy(text, 'p.mandate.yaml');
  if (!p.ok) throw new Error(JSON.stringify(p.findings));
  return p.parsed;
};
const POLICY = 'version: 1\nroles: { r: { description: R. } }\ngrants: [{ agent_role: r, tool: t }]\n';
const schema = (type: string): ToolInfo[] => [{ name: 't', inputSchema: { type: 'object', properties: { n: { type } }, required: ['n'] } }];
const effect = (s: { current: Parameters<typeof decide>[0] }, n: unknown): string =>
  decide(s.current, { principal: 'p', roles: ['r'], tool: 't', args: { n }, now: Date.UTC(2026, 10, 26) }).effect;

describe('proxy/policy state shared by sessions', () => {
  it('decides each session with its own server\'s schemas, and follows reloads in every view', () => {
    const state = new PolicyState(parsed(POLICY), 'v1');
    const a = state.view();
    const b = state.view();
    assert.equal(effect(a, 'x'), 'allow', 'no list yet: no schema to check against');
    a.setTools(schema('number'));
    b.setTools(schema('string'));
    assert.equal(effect(a, 'x'), 'deny', 'a string where session a\'s server wants a number');
    assert.equal(effect(b, 'x'), 'allow', 'session b\'s server takes a string');
    assert.equal(effect(a, 1), 'allow');
    state.replace(parsed(POLICY.replace('tool: t', 'tool: other')), 'v2');
    assert.equal(a.version, 'v2');
    assert.equal(effect(a, 1), 'deny', 'the reload reached the view');
    assert.equal(effect(b, 'x'), 'deny');
  });
});
