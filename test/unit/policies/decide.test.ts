// decide(): the decision semantics of DESIGN.md, one edge rule per test.

import assert from 'node:assert/strict';
import { compile, decide } from '../../../policies';
import { call, compiled, NOW } from '../../support/policy';

const FINANCE = `
version: 1
roles:
  payer: {}
  reader: { read_only: true }
scopes:
  vendors: { args: { vendor: { in: [acme-bv, globex-gmbh] } } }
  small: { args: { amount: { min: 0.01, max: 1000 }, currency: { equals: EUR } } }
grants:
  - { agent_role: payer, tool: issue_payment, scope: [vendors, small], requires_approval: true }
  - { agent_role: reader, tools: ["list_*", get_balance] }
deny:
  - { id: no-refunds, tools: ["refund_*"], reason: Refunds are manual. }
`;

describe('decide', () => {
  const c = compiled(FINANCE, 'finance.mandate.yaml');

  it('denies a call without an authenticated identity', () => {
    for (const principal of [null, '']) {
      const d = decide(c, call('reader', 'get_balance', {}, { principal }));
      assert.equal(d.effect, 'deny');
      assert.equal(d.reasons[0]!.code, 'anonymous');
    }
  });

  it('allows a granted tool and names the grant with its source position', () => {
    const d = decide(c, call('reader', 'get_balance'));
    assert.equal(d.effect, 'allow');
    assert.equal(d.rules[0]!.id, 'grants[1]');
    assert.match(d.reasons[0]!.message, /finance\.mandate\.yaml:11:5/);
  });

  it('matches tool globs', () => {
    assert.equal(decide(c, call('reader', 'list_invoices')).effect, 'allow');
    assert.equal(decide(c, call('reader', 'listing')).effect, 'deny');
  });

  it('requires approval when the only matching grant says so', () => {
    const d = decide(c, call('payer', 'issue_payment', { vendor: 'acme-bv', amount: 10, currency: 'EUR' }));
    assert.equal(d.effect, 'approval_required');
  });

  it('explains an amount over the maximum with the scope and file:line:col', () => {
    const d = decide(c, call('payer', 'issue_payment', { vendor: 'acme-bv', amount: 1500, currency: 'EUR' }));
    assert.equal(d.effect, 'deny');
    assert.equal(d.reasons[0]!.message, '`amount` `1500` exceeds max 1000 (scope small, finance.mandate.yaml:8:46)');
  });

  it('lets a deny rule win over every grant', () => {
    const c2 = compiled(`${FINANCE}\n  - { agent_role: reader, tool: refund_all }\n`.replace('deny:\n  - { id: no-refunds, tools: ["refund_*"], reason: Refunds are manual. }\n', '').concat('deny:\n  - { id: no-refunds, tools: ["refund_*"], reason: Refunds are manual. }\n'));
    const d = decide(c2, call('reader', 'refund_all'));
    assert.equal(d.effect, 'deny');
    assert.equal(d.rules[0]!.id, 'no-refunds');
    assert.match(d.reasons[0]!.message, /Refunds are manual/);
  });

  it('denies a call no grant covers', () => {
    const d = decide(c, call('reader', 'issue_payment', {}));
    assert.equal(d.effect, 'deny');
    assert.equal(d.reasons[0]!.code, 'no_grant');
  });

  it('gives a role the policy does not declare nothing', () => {
    const d = decide(compiled('version: 1\nroles: { a: {} }\ngrants:\n  - { agent_role: ghost, tool: t }\n'), call('ghost', 't'));
    assert.equal(d.effect, 'deny');
    assert.equal(d.reasons[0]!.code, 'role_unknown');
  });

  it('prefers a grant without approval over one that needs it', () => {
    const c2 = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t, requires_approval: true }\n  - { agent_role: r, tool: "t*" }\n');
    const d = decide(c2, call('r', 't'));
    assert.equal(d.effect, 'allow');
    assert.deepEqual(d.rules.map((r) => r.id), ['grants[1]']);
  });

  it('treats not_before as inclusive and expires as exclusive', () => {
    const c2 = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t, not_before: "2026-06-01T00:00:00Z", expires: "2026-06-02T00:00:00Z" }\n');
    assert.equal(decide(c2, call('r', 't', {}, { now: NOW - 1 })).effect, 'deny');
    assert.equal(decide(c2, call('r', 't', {}, { now: NOW })).effect, 'allow');
    assert.equal(decide(c2, call('r', 't', {}, { now: NOW + 86_400_000 - 1 })).effect, 'allow');
    const after = decide(c2, call('r', 't', {}, { now: NOW + 86_400_000 }));
    assert.equal(after.effect, 'deny');
    assert.equal(after.reasons[0]!.code, 'expired');
  });

  it('denies when the clock is not a number', () => {
    assert.equal(decide(c, call('reader', 'get_balance', {}, { now: Number.NaN })).effect, 'deny');
  });

  it('denies arguments that are not an object', () => {
    for (const args of [null, [], 'x', 3, true]) {
      const d = decide(c, call('reader', 'get_balance', args));
      assert.equal(d.effect, 'deny', JSON.stringify(args));
      assert.equal(d.reasons[0]!.code, 'malformed_arguments');
    }
  });

  it('never reads an inherited key: __proto__ is plain data', () => {
    const c2 = compiled('version: 1\nroles: { r: {} }\nscopes:\n  s: { args: { role: { equals: admin } } }\ngrants:\n  - { agent_role: r, tool: t, scope: [s] }\n');
    const poisoned = JSON.parse('{"__proto__": {"role": "admin"}}') as unknown;
    assert.equal(decide(c2, call('r', 't', poisoned)).effect, 'deny');
    assert.equal(decide(c2, call('r', 't', JSON.parse('{"role": "admin", "__proto__": 1}'))).effect, 'allow');
    assert.equal(decide(c2, call('r', 'toString')).effect, 'deny');
  });

  it('denies arguments that violate a known input schema', () => {
    const c2 = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t }\n');
    const withSchema = compile({ ...c2.policy }, { tools: { tools: [{ name: 't', inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'], additionalProperties: false } }] } });
    assert.equal(decide(withSchema, call('r', 't', { n: 1 })).effect, 'allow');
    assert.equal(decide(withSchema, call('r', 't', { n: '1' })).effect, 'deny');
    assert.equal(decide(withSchema, call('r', 't', { n: 1, extra: true })).effect, 'deny');
  });

  it('reads a schema with a `format` quietly (no warning on stderr) and checks everything else in it', () => {
    const c2 = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t }\n');
    const warned: unknown[] = [];
    const warn = console.warn;
    console.warn = (...a: unknown[]) => { warned.push(a); };
    try {
      const withSchema = compile({ ...c2.policy }, { tools: { tools: [{ name: 't', inputSchema: { type: 'object', properties: { data: { type: 'string', format: 'uri' } }, required: ['data'] } }] } });
      assert.equal(decide(withSchema, call('r', 't', { data: 'https://example.com/' })).effect, 'allow');
      assert.equal(decide(withSchema, call('r', 't', { data: 5 })).effect, 'deny');
    } finally {
      console.warn = warn;
    }
    assert.deepEqual(warned, []);
  });

  it('runs a server schema\'s patterns in linear time, and denies calls to a schema whose pattern it cannot run', () => {
    const c2 = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t }\n  - { agent_role: r, tool: u }\n  - { agent_role: r, tool: w }\n');
    const schema = (pattern: string, where: 'pattern' | 'patternProperties'): Record<string, unknown> => (where === 'pattern'
      ? { type: 'object', properties: { n: { type: 'string', pattern } } }
      : { type: 'object', patternProperties: { [pattern]: { type: 'number' } } });
    const withSchema = compile({ ...c2.policy }, { tools: { tools: [
      { name: 't', inputSchema: schema('^(a+)+$', 'pattern') },
      { name: 'u', inputSchema: schema('^(?=x)', 'pattern') },
      { name: 'w', inputSchema: schema('^(\\w+\\s?)*$', 'patternProperties') },
    ] } });
    // a backtracking engine takes hours on this value; the answer here comes in linear time
    const slow = decide(withSchema, call('r', 't', { n: `${'a'.repeat(5000)}!` }));
    assert.equal(slow.effect, 'deny');
    assert.match(slow.reasons[0]!.message, /must match pattern/);
    assert.equal(decide(withSchema, call('r', 't', { n: 'aaa' })).effect, 'allow');
    const refused = decide(withSchema, call('r', 'u', { n: 'x' }));
    assert.equal(refused.effect, 'deny');
    assert.match(refused.reasons[0]!.message, /input schema cannot be compiled/);
    assert.equal(decide(withSchema, call('r', 'w', { [`${'word '.repeat(3000)}!`]: 'not a number' })).effect, 'allow');
    assert.equal(decide(withSchema, call('r', 'w', { ok: 'not a number' })).effect, 'deny');
  });

  it('does not open a grant before its not_before, nor close it before its expires, below the millisecond', () => {
    const opens = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t, not_before: "2026-06-01T12:00:00.0001Z" }\n');
    const closes = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t, expires: "2026-06-01T12:00:00.0001Z" }\n');
    const at = (ms: number): ReturnType<typeof call> => ({ ...call('r', 't', {}), now: Date.UTC(2026, 5, 1, 12, 0, 0, ms) });
    assert.equal(decide(opens, at(0)).effect, 'deny', 'not yet: 12:00:00.000 is before 12:00:00.0001');
    assert.equal(decide(opens, at(1)).effect, 'allow');
    assert.equal(decide(closes, at(0)).effect, 'allow', 'still valid at 12:00:00.000');
    assert.equal(decide(closes, at(1)).effect, 'deny');
  });

  it('bounds the cost of a call, not of each test: every pattern test of one decision shares one step budget', () => {
    const c2 = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: t }\n');
    const items = { type: 'object', properties: { xs: { type: 'array', items: { type: 'string', pattern: '^(a|b|c|d|e|f|g|h)*$' } } } };
    const withSchema = compile({ ...c2.policy }, { tools: { tools: [{ name: 't', inputSchema: items }] } });
    const value = 'a'.repeat(16 * 1024);
    assert.equal(decide(withSchema, call('r', 't', { xs: [value, value] })).effect, 'allow', 'each test is well within the budget');
    const many = decide(withSchema, call('r', 't', { xs: Array.from({ length: 40 }, () => value) }));
    assert.equal(many.effect, 'deny', 'forty of them are not');
    assert.match(many.reasons[0]!.message, /steps for one decision/);
    assert.equal(decide(withSchema, call('r', 't', { xs: [value] })).effect, 'allow', 'the next decision has its own budget');
  });

  it('refuses arrays too long for a schema\'s uniqueItems (quadratic in Ajv) and caps the states of a tool list\'s patterns', () => {
    const c2 = compiled('version: 1\nroles: { r: {} }\ngrants:\n  - { agent_role: r, tool: "*" }\n');
    const unique = { type: 'object', properties: { xs: { type: 'array', uniqueItems: true } } };
    const big = Array.from({ length: 40 }, (_, i) => ({ name: `big${i}`, inputSchema: { type: 'object', properties: { s: { type: 'string', pattern: `^.{${40_000 - i}}$` } } } }));
    const withSchema = compile({ ...c2.policy }, { tools: { tools: [{ name: 'u', inputSchema: unique }, ...big] } });
    const objects = (n: number): unknown[] => Array.from({ length: n }, (_, i) => ({ i }));
    assert.equal(decide(withSchema, call('r', 'u', { xs: objects(10) })).effect, 'allow');
    const long = decide(withSchema, call('r', 'u', { xs: objects(20_000) }));
    assert.equal(long.effect, 'deny');
    assert.match(long.reasons[0]!.message, /more than 2000000 pairs of items/);
    // many arrays under the limit each, and a tool whose schema only $refs another's uniqueItems, are bounded too
    const many = decide(withSchema, call('r', 'u', { xs: [], ys: Array.from({ length: 40 }, () => objects(1500)) }));
    assert.equal(many.effect, 'deny', 'the pairs of all arrays in a call add up');
    const refs = compile({ ...c2.policy }, { tools: { tools: [
      { name: 'a', inputSchema: { $id: 'https://evil.example/u', type: 'array', uniqueItems: true } },
      { name: 'b', inputSchema: { type: 'object', properties: { xs: { $ref: 'https://evil.example/u' } } } },
    ] } });
    assert.equal(decide(refs, call('r', 'b', { xs: objects(8000) })).effect, 'deny', 'b borrows a\'s uniqueItems through $ref');
    const invalid = big.filter((t) => withSchema.toolSchemas.get(t.name) === 'invalid').map((t) => t.name);
    assert.ok(invalid.length > 0 && invalid.length < big.length, `some schemas fit in the tool list's states, the rest are refused (${invalid.length} refused)`);
    assert.equal(decide(withSchema, call('r', invalid[0]!, { s: 'x' })).effect, 'deny');
  });

  it('is deterministic: the same call gives the same decision', () => {
    const args = { vendor: 'acme-bv', amount: 5, currency: 'EUR' };
    assert.deepEqual(decide(c, call('payer', 'issue_payment', args)), decide(c, call('payer', 'issue_payment', { ...args })));
  });
});
