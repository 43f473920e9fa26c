// The universe: constants mined from the policy and invariants, near-misses, path tricks, times.

import assert from 'node:assert/strict';
import type { Policy } from '../../../../policies';
import { buildUniverse, UNDECLARED_ROLE } from '../../../../harness/simulate';
import { numberVariants, pathVariants, stringVariants } from '../../../../harness/simulate/variants';

const policy: Policy = {
  version: 1,
  roles: { a: {}, b: {} },
  scopes: { s: { args: { vendor: { in: ['acme'] }, amount: { max: 100 }, path: { within: ['docs/'] } } } },
  grants: [{ agent_role: 'a', tools: ['pay', 'get_*'], scope: ['s'], context: { env: ['prod'] },
    not_before: '2026-07-01T00:00:00Z', expires: '2026-01-01T00:00:00Z' }],
  agents: { bot: { roles: ['a', 'b'] } },
  invariants: [{ name: 'i', never: { tool: 'wipe', args: { amount: { min: 250 } } } }],
};
const AT = Date.parse('2026-06-01T00:00:00Z');

describe('harness/simulate/universe', () => {
  it('draws roles from declarations, agents and one undeclared role', () => {
    const u = buildUniverse(policy, undefined, AT, 1);
    assert.deepEqual(u.roleSets, [['a'], ['b'], ['a', 'b'], [UNDECLARED_ROLE]]);
  });

  it('names every tool the policy mentions and instantiates globs', () => {
    const u = buildUniverse(policy, { tools: [{ name: 'get_balance' }] }, AT, 1);
    assert.deepEqual(u.tools.map((t) => t.name), ['get_', 'get_balance', 'get_x', 'pay', 'wipe']);
    assert.ok(u.tools.find((t) => t.name === 'get_balance')!.info);
  });

  it('gives every glob a witness no policy names, even when its plain instance is a named tool', () => {
    const p: Policy = { version: 1, roles: { r: {} }, grants: [{ agent_role: 'r', tools: ['read_file', 'x', '*', 'read_file*'] }] };
    const names = buildUniverse(p, undefined, AT, 1).tools.map((t) => t.name);
    const named = new Set(['read_file', 'x']);
    assert.ok(names.some((n) => !named.has(n) && !n.startsWith('read_file')), `a tool only \`*\` reaches: ${names.join(', ')}`);
    assert.ok(names.some((n) => !named.has(n) && n.startsWith('read_file')), `a tool only \`read_file*\` and \`*\` reach: ${names.join(', ')}`);
    const both = buildUniverse([p, { ...p, grants: [{ agent_role: 'r', tools: ['read_file', 'x1'] }] }], undefined, AT, 1, Infinity, { unlistedTool: true });
    assert.ok(both.tools.some((t) => t.name === 'unlisted_tool'), 'diff: a tool neither policy names');
  });

  it('gives each constraint its share of an overflowing pool: a long allow-list crowds out no other constant', () => {
    const vendors = Array.from({ length: 30 }, (_, i) => `vendor-${String(i).padStart(2, '0')}`);
    const p: Policy = {
      version: 1, roles: { r: {} }, scopes: { v: { args: { vendor: { in: vendors } } } }, grants: [{ agent_role: 'r', tool: 'pay', scope: 'v' }],
      invariants: [{ name: 'no offshore', never: { tool: 'pay', effect: 'allow', args: { vendor: { in: ['mallory-offshore'] } } } }],
    };
    const pool = buildUniverse(p, undefined, AT, 1).tools.find((t) => t.name === 'pay')!.keys.find((k) => k.key === 'vendor')!.values;
    assert.ok(pool.length <= 400 + 1, String(pool.length));
    for (const v of [...vendors, 'mallory-offshore', 'MALLORY-OFFSHORE']) assert.ok(pool.includes(v), v);
  });

  it('never cuts a value one policy mentions and the other does not (diff)', () => {
    const vendors = (extra: string[]): Policy => ({
      version: 1, roles: { r: {} }, grants: [{ agent_role: 'r', tool: 'pay', scope: 'v' }],
      scopes: { v: { args: { vendor: { in: [...Array.from({ length: 60 }, (_, i) => `vendor-${i}`), ...extra] } } } },
    });
    const u = buildUniverse([vendors([]), vendors(['mallory-offshore'])], undefined, AT, 1);
    const pool = u.tools.find((t) => t.name === 'pay')!.keys.find((k) => k.key === 'vendor')!.values;
    for (const v of ['mallory-offshore', 'mallory-offshore ', 'Mallory-offshore', 'evil-mallory-offshore']) assert.ok(pool.includes(v), v);
  });

  it('pairs the roles of a role-scoped deny with each granted role', () => {
    const p: Policy = { version: 1, roles: { fin: {}, contractor: {} }, grants: [{ agent_role: 'fin', tool: 'pay' }],
      deny: [{ tool: 'pay', roles: ['contractor'], reason: 'no' }] };
    assert.ok(buildUniverse(p, undefined, AT, 1).roleSets.some((rs) => [...rs].sort().join('+') === 'contractor+fin'));
  });

  it('mines argument constants with their neighbours, from grants and invariants', () => {
    const pay = buildUniverse(policy, undefined, AT, 1).tools.find((t) => t.name === 'pay')!;
    const values = (k: string) => pay.keys.find((x) => x.key === k)!.values;
    for (const v of ['acme', 'ACME', 'acme ', 'evil-acme']) assert.ok(values('vendor').includes(v), v);
    for (const v of [100, 100.01, 101, '100', 250, 249.99]) assert.ok(values('amount').includes(v), String(v));
    for (const v of ['docs/../secret.txt', 'docs\\..\\secret.txt', 'docs/%2e%2e/secret.txt', 'docs-private/x.md']) assert.ok(values('path').includes(v), v);
  });

  it('tries times at `at` and around future boundaries only, up to `until`', () => {
    const iso = (u: ReturnType<typeof buildUniverse>) => u.times.map((t) => new Date(t).toISOString()).sort();
    assert.deepEqual(iso(buildUniverse(policy, undefined, AT, 1)), ['2026-06-01T00:00:00.000Z', '2026-06-30T23:59:59.999Z', '2026-07-01T00:00:00.000Z']);
    assert.deepEqual(iso(buildUniverse(policy, undefined, AT, 1, Date.parse('2026-06-15T00:00:00Z'))), ['2026-06-01T00:00:00.000Z']);
  });

  it('reads boundaries in every form the schema admits (offsets without minutes, leap seconds), as the engine does', () => {
    const iso = (u: ReturnType<typeof buildUniverse>) => u.times.map((t) => new Date(t).toISOString()).sort();
    const offsets: Policy = { version: 1, roles: { r: {} }, grants: [{ agent_role: 'r', tool: 't', expires: '2026-07-01T02:00:00+02' }, { agent_role: 'r', tool: 'u', not_before: '2026-06-30T23:59:60Z' }] };
    assert.deepEqual(iso(buildUniverse(offsets, undefined, AT, 1)),
      ['2026-06-01T00:00:00.000Z', '2026-06-30T23:59:59.999Z', '2026-07-01T00:00:00.000Z']);
  });

  it('builds near-misses a reviewer would read as the constant', () => {
    assert.ok(stringVariants('acme-bv').includes('acme_bv'));
    assert.ok(stringVariants('acme').some((s) => s !== 'acme' && s.normalize('NFKC').length === 4 && /[^ -~]/.test(s)), 'a homoglyph');
    assert.ok(numberVariants(1000).includes(1000.01) && numberVariants(1000).includes('1000'));
    assert.ok(pathVariants('/srv/data').includes('srv/data/x.md'));
  });
});
