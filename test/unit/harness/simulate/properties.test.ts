// Invariant matching and built-in properties: MCP annotation defaults, `never` / `always` semantics.

import assert from 'node:assert/strict';
import { compile, type Decision, type Policy, type ToolInfo } from '../../../../policies';
import { annotation, builtinProperties, invariantProperties, selector, type SimCall } from '../../../../harness/simulate';

const call = (over: Partial<SimCall> = {}): SimCall => ({ roles: ['r'], tool: 't', args: {}, context: {}, now: 0, ...over });
const allow: Decision = { effect: 'allow', rules: [], reasons: [] };
const deny: Decision = { effect: 'deny', rules: [], reasons: [] };

describe('harness/simulate/properties', () => {
  it('reads annotations with the MCP defaults, and readOnlyHint wins over destructiveHint', () => {
    const ro: ToolInfo = { name: 'a', annotations: { readOnlyHint: true, destructiveHint: true } };
    const bare: ToolInfo = { name: 'b' };
    assert.equal(annotation(ro, 'destructiveHint'), false);
    assert.equal(annotation(bare, 'destructiveHint'), true);
    assert.equal(annotation(bare, 'readOnlyHint'), false);
    assert.equal(annotation(bare, 'openWorldHint'), true);
    assert.equal(annotation(undefined, 'destructiveHint'), undefined);
  });

  it('selects by role, tool glob, annotations, argument and context constraints', () => {
    const tools = new Map<string, ToolInfo>([['del_x', { name: 'del_x', annotations: { destructiveHint: true } }]]);
    const sel = selector({ role: ['r'], tool: 'del_*', tool_annotations: { destructiveHint: true }, args: { n: { min: 5 } }, context: { env: ['prod'] } }, tools);
    const hit = call({ tool: 'del_x', args: { n: 5 }, context: { env: 'prod' } });
    assert.equal(sel(hit), true);
    assert.equal(sel({ ...hit, roles: ['other'] }), false);
    assert.equal(sel({ ...hit, tool: 'get_x' }), false);
    assert.equal(sel({ ...hit, args: { n: 4 } }), false);
    assert.equal(sel({ ...hit, args: {} }), false, 'an absent argument satisfies no constraint');
    assert.equal(sel({ ...hit, context: { env: 'dev' } }), false);
    assert.equal(sel({ ...hit, tool: 'del_unknown' }), false, 'unknown tools match no annotation selector');
  });

  it('breaks `never` on a forbidden effect and `always` on any other effect, skipping malformed calls', () => {
    const policy: Policy = { version: 1, invariants: [
      { name: 'n', never: { tool: 't', effect: 'allow' } },
      { name: 'a', always: { tool: 't', effect: 'allow' } },
    ] };
    const [never, always] = invariantProperties(compile(policy), new Map());
    assert.equal(typeof never!.check(call(), allow), 'string');
    assert.equal(never!.check(call(), deny), true);
    assert.equal(never!.check(call({ tool: 'u' }), allow), undefined);
    assert.equal(typeof always!.check(call(), deny), 'string');
    assert.equal(always!.check(call({ args: null }), deny), undefined, 'malformed arguments are outside `always`');
  });

  it('reads `never: { effect: deny }` as `always` reads its effects: the denial of malformed arguments breaks neither', () => {
    const tools = new Map<string, ToolInfo>([['t', { name: 't', inputSchema: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } } }]]);
    const policy: Policy = { version: 1, grants: [{ agent_role: 'r', tool: 't' }], roles: { r: {} }, invariants: [
      { name: 'never refused', never: { tool: 't', effect: 'deny' } },
      { name: 'never allowed', never: { tool: 't', effect: 'allow' } },
    ] };
    const [refused, allowed] = invariantProperties(compile(policy, { tools: { tools: [...tools.values()] } }), tools);
    assert.equal(refused!.check(call({ args: null }), deny), undefined, 'not an object: no policy can allow it');
    assert.equal(refused!.check(call({ args: {} }), deny), undefined, 'against the tool\'s input schema: no policy can allow it');
    assert.equal(typeof refused!.check(call({ args: { path: 'a' } }), deny), 'string', 'a well-formed call denied still breaks it');
    assert.equal(typeof allowed!.check(call({ args: null }), allow), 'string', 'a malformed call allowed still breaks a `never` of allow');
  });

  it('flags a read_only role allowed a destructive tool, but not a read-only-hinted one', () => {
    const policy: Policy = { version: 1, roles: { r: { read_only: true } }, grants: [{ agent_role: 'r', tools: ['*'] }] };
    const compiled = compile(policy);
    const tools = new Map<string, ToolInfo>([['wipe', { name: 'wipe' }], ['look', { name: 'look', annotations: { readOnlyHint: true, destructiveHint: true } }]]);
    const prop = builtinProperties(compiled, tools).find((p) => p.name.startsWith('read_only'))!;
    const byGrant: Decision = { effect: 'allow', rules: [compiled.grants[0]!.ref], reasons: [] };
    assert.match(String(prop.check(call({ tool: 'wipe' }), byGrant)), /read_only role `r` got allow on destructive tool `wipe`/);
    assert.equal(prop.check(call({ tool: 'look' }), byGrant), undefined);
  });

  it('flags a grant deciding outside its validity window', () => {
    const policy: Policy = { version: 1, roles: { r: {} }, grants: [{ agent_role: 'r', tool: 't', expires: '2026-01-01T00:00:00Z' }] };
    const compiled = compile(policy);
    const prop = builtinProperties(compiled, new Map()).find((p) => p.name === 'expired grants never allow')!;
    const byGrant: Decision = { effect: 'allow', rules: [compiled.grants[0]!.ref], reasons: [] };
    assert.equal(typeof prop.check(call({ now: Date.parse('2026-01-01T00:00:00Z') }), byGrant), 'string');
    assert.equal(prop.check(call({ now: Date.parse('2025-12-31T23:59:59.999Z') }), byGrant), true);
  });

  it('reads a left-out argument as its inputSchema default when matching invariants, never in decisions', () => {
    const tools = new Map<string, ToolInfo>([['q', { name: 'q', inputSchema: { type: 'object', properties: { db: { type: 'string', default: 'prod' } } } }]]);
    const sel = selector({ tool: 'q', args: { db: { equals: 'prod' } } }, tools);
    assert.equal(sel(call({ tool: 'q', args: {} })), true);
    assert.equal(sel(call({ tool: 'q', args: { db: 'sandbox' } })), false);
    assert.equal(sel(call({ tool: 'other', args: {} })), false);
    const [never] = invariantProperties(compile({ version: 1, invariants: [{ name: 'n', never: { tool: 'q', args: { db: { equals: 'prod' } }, effect: 'allow' } }] }), tools);
    assert.match(String(never!.check(call({ tool: 'q', args: {} }), allow)), /`db` is left out, so the server uses its default "prod"/);
  });

  it('says when a broken invariant\'s argument is one the tool\'s manifest does not take (the server ignores it)', () => {
    const tools = new Map<string, ToolInfo>([
      ['read_many', { name: 'read_many', inputSchema: { type: 'object', properties: { paths: { type: 'array' } } } }],
      ['read_one', { name: 'read_one', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } }],
    ]);
    const policy: Policy = { version: 1, invariants: [{ name: 'n', never: { tool: 'read_*', args: { path: { not: { within: ['/srv/docs'] } } }, effect: 'allow' } }] };
    const [never] = invariantProperties(compile(policy), tools);
    assert.equal(never!.check(call({ tool: 'read_many', args: { path: '/etc/passwd', paths: [] } }), allow),
      'a call it forbids was decided allow (`read_many` takes no argument `path` — its manifest lists `paths` — so the server ignores it: the invariant\'s `path` constraint does not reach what this tool is given)');
    assert.equal(never!.check(call({ tool: 'read_one', args: { path: '/etc/passwd' } }), allow), 'a call it forbids was decided allow');
    assert.equal(never!.check(call({ tool: 'read_unknown', args: { path: '/etc/passwd' } }), allow), 'a call it forbids was decided allow', 'no manifest entry: nothing to say');
  });
});
