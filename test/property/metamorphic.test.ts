// Metamorphic properties of decide(): how the decision must move when the policy or the call changes,
// and that it is total (never throws, whatever it is fed).

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compile, decide, MAX_PATTERN_INPUT, type Call, type Decision, type DenyRule, type Effect, type Grant, type Policy } from '../../policies';
import { fcParams } from '../support/seed';
import { callArb, callFor, formatTime, policyArb, TIME_STYLES } from './arbitraries';

/** How much a decision lets through: deny < approval_required < allow. */
const RANK: Record<Effect, number> = { deny: 0, approval_required: 1, allow: 2 };

const caseArb = policyArb.chain((policy) => fc.tuple(fc.constant(policy), fc.oneof({ arbitrary: callFor(policy), weight: 4 }, { arbitrary: callArb, weight: 1 })));

/** A deny rule from the same vocabulary as the policies: any tool pattern, sometimes roles or arguments. */
const extraDenyArb: fc.Arbitrary<DenyRule> = fc.record({
  tool: fc.constantFrom('*', 'read_file', 'delete_*', '*payment*', 'x/*', 'ns:tool'),
  roles: fc.option(fc.subarray(['reader', 'payer', 'ops', '__proto__'], { minLength: 1 }), { nil: undefined }),
  args: fc.option(fc.constantFrom({ amount: { min: 100 } }, { path: { within: ['docs/'] } }, { note: { not: { equals: 'x' } } }), { nil: undefined }),
}).map(({ roles, args, tool }) => ({ reason: 'added by the property', tool, ...(roles ? { roles } : {}), ...(args ? { args } : {}) }) as DenyRule);

function effect(policy: Policy, call: Call): Decision {
  return decide(compile(policy), call);
}

function widened(before: Decision, after: Decision): boolean {
  return RANK[after.effect] > RANK[before.effect];
}

const show = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

describe('metamorphic: how decisions move with the policy', () => {
  it('adding a deny rule never widens access', () => {
    fc.assert(fc.property(caseArb, extraDenyArb, fc.nat(), ([policy, call], extra, at) => {
      const deny = [...(policy.deny ?? [])];
      deny.splice(at % (deny.length + 1), 0, extra);
      const before = effect(policy, call);
      const after = effect({ ...policy, deny }, call);
      assert.ok(after.effect === before.effect || after.effect === 'deny', `adding ${show(extra)} turned ${before.effect} into ${after.effect}`);
    }), fcParams(2000));
  });

  it('removing a grant never widens access', () => {
    fc.assert(fc.property(caseArb, fc.nat(), ([policy, call], at) => {
      const grants = [...(policy.grants ?? [])];
      if (grants.length === 0) return;
      const [removed] = grants.splice(at % grants.length, 1);
      const before = effect(policy, call);
      const after = effect({ ...policy, grants }, call);
      assert.ok(!widened(before, after), `removing ${show(removed)} turned ${before.effect} into ${after.effect}`);
    }), fcParams(2000));
  });

  it('removing a grant never widens access, even when an argument is longer than the pattern bound', function () {
    // minimal counterexample found by review: the pattern bound throws for the whole decision, so the
    // grant that could not be checked denies a call another grant allows; removing it allows the call
    const both: Policy = {
      version: 1, roles: { r: {} }, scopes: { s: { args: { note: { pattern: '^ok' } } } },
      grants: [{ id: 'plain', agent_role: 'r', tool: 't' }, { id: 'patterned', agent_role: 'r', tool: 't', scope: 's' }],
    };
    const call: Call = { principal: 'a', roles: ['r'], tool: 't', args: { note: 'x'.repeat(MAX_PATTERN_INPUT + 1) }, now: 0 };
    const before = effect(both, call);
    const after = effect({ ...both, grants: [both.grants![0]!] }, call);
    assert.equal(after.effect, 'allow');
    // an over-long pattern input fails only the rule it appears in, so removing that grant cannot widen
    assert.ok(!widened(before, after), `removing a grant widened ${before.effect} → ${after.effect}`);
  });

  it('an expired grant never allows: with every grant expired at or before now, everything is denied', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom(0, 1, 1000, 86_400_000), fc.nat(TIME_STYLES - 1), ([policy, call], ago, style) => {
      fc.pre(Number.isFinite(call.now));
      const expires = formatTime(call.now - ago, style);
      const grants: Grant[] = (policy.grants ?? []).map((g) => ({ ...g, expires }));
      assert.equal(effect({ ...policy, grants }, call).effect, 'deny');
    }), fcParams(2000));
  });

  it('a grant that is not yet valid never allows', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom(1, 1000, 86_400_000), fc.nat(TIME_STYLES - 1), ([policy, call], ahead, style) => {
      const notBefore = formatTime(call.now + ahead, style);
      const grants: Grant[] = (policy.grants ?? []).map((g) => ({ ...g, not_before: notBefore }));
      assert.equal(effect({ ...policy, grants }, call).effect, 'deny');
    }), fcParams(2000));
  });

  it('the order of grants and deny rules does not change the effect', () => {
    fc.assert(fc.property(caseArb, fc.boolean(), ([policy, call], rotateDeny) => {
      const rot = <T>(xs: readonly T[] | undefined): T[] | undefined => (xs === undefined || xs.length === 0 ? xs as T[] | undefined : [...xs.slice(1), xs[0]!]);
      const shuffled: Policy = { ...policy, grants: [...(policy.grants ?? [])].reverse() };
      if (rotateDeny && policy.deny) shuffled.deny = rot(policy.deny)!;
      assert.equal(effect(shuffled, call).effect, effect(policy, call).effect);
    }), fcParams(2000));
  });

  it('taking away the caller\'s identity always denies', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom<string | null>(null, ''), ([policy, call], principal) => {
      assert.equal(effect(policy, { ...call, principal }).effect, 'deny');
    }), fcParams(2000));
  });
});

// ---- totality: decide never throws, whatever it is fed ----

const hugeString = 'a'.repeat(1 << 20);
const throwingArgs = Object.defineProperty({}, 'amount', { enumerable: true, get: () => { throw new Error('getter'); } });
// throws on every string key it is asked about (symbol lookups stay quiet so fast-check can handle the value)
const trap = (_t: object, key: string | symbol): never | undefined => { if (typeof key === 'string') throw new Error(`trap ${key}`); return undefined; };
const hostileProxy = new Proxy({}, { get: trap, getOwnPropertyDescriptor: trap, has: (t, k) => trap(t, k) ?? false, ownKeys: () => { throw new Error('keys'); } });

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ withNullPrototype: true, withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withBoxedValues: true }),
  fc.constantFrom<unknown>(undefined, null, NaN, Infinity, -Infinity, -0, hugeString, `docs/${hugeString}`, throwingArgs, hostileProxy, [], 'amount', Symbol('s'), () => 1),
);

const hostileCall: fc.Arbitrary<Call> = fc.record({
  principal: fc.oneof(fc.constantFrom<unknown>('agent-1', '', null, undefined, 0, {}), hostileValue),
  roles: fc.oneof(fc.constant(['reader', 'payer', 'ops']), fc.array(fc.oneof(fc.constantFrom('reader', '__proto__', 'constructor'), hostileValue), { maxLength: 3 }), hostileValue),
  tool: fc.oneof(fc.constantFrom('read_file', 'delete_file', '', '*', '\u0000', 'a'.repeat(300), hugeString, '__proto__', 'constructor', 'read_file\n', ' read_file'), fc.string(), hostileValue),
  args: fc.oneof({ arbitrary: fc.dictionary(fc.constantFrom('amount', 'path', 'vendor', '__proto__', 'note'), hostileValue), weight: 2 }, { arbitrary: hostileValue, weight: 1 }),
  context: fc.oneof(fc.dictionary(fc.constantFrom('environment', 'region', '__proto__'), hostileValue), hostileValue),
  now: fc.oneof(fc.constantFrom(NaN, Infinity, -Infinity, -0, 0, 8.64e15, 8.64e15 + 1, Number.MAX_VALUE), fc.double(), fc.constant(Date.parse('2026-06-01T12:00:00Z'))),
}) as fc.Arbitrary<Call>;

function wellFormed(d: unknown): void {
  assert.ok(d !== null && typeof d === 'object', 'decide returned no object');
  const { effect: e, rules, reasons } = d as Decision;
  assert.ok(e === 'allow' || e === 'deny' || e === 'approval_required', `bad effect ${String(e)}`);
  assert.ok(Array.isArray(rules) && Array.isArray(reasons), 'rules and reasons are lists');
}

describe('metamorphic: decide is total', () => {
  it('decide never throws and always returns a decision, even on hostile input', function () {
    this.timeout(120_000);
    fc.assert(fc.property(policyArb, hostileCall, (policy, call) => {
      const compiled = compile(policy);
      let d: Decision | undefined;
      assert.doesNotThrow(() => { d = decide(compiled, call); });
      wellFormed(d);
    }), fcParams(2000));
  });

  it('a NaN clock never allows', () => {
    fc.assert(fc.property(caseArb, ([policy, call]) => {
      assert.equal(effect(policy, { ...call, now: NaN }).effect, 'deny');
    }), fcParams(2000));
  });

  it('arguments that are not an object never allow', () => {
    fc.assert(fc.property(caseArb, fc.constantFrom<unknown>(null, 'amount=1', 42, true, [], [{ amount: 1 }]), ([policy, call], args) => {
      assert.equal(effect(policy, { ...call, args }).effect, 'deny');
    }), fcParams(2000));
  });

  it('decide is deterministic and leaves the call untouched', () => {
    fc.assert(fc.property(caseArb, ([policy, call]) => {
      const compiled = compile(policy);
      const snapshot = show(call);
      const first = decide(compiled, call);
      const second = decide(compiled, call);
      assert.deepEqual(second, first);
      assert.equal(show(call), snapshot);
    }), fcParams(2000));
  });

  it('a compiled policy decides each call the same whatever it decided before (caches are pure)', () => {
    const callsArb = policyArb.chain((policy) => fc.tuple(fc.constant(policy), fc.array(fc.oneof(callFor(policy), callArb), { minLength: 2, maxLength: 20 })));
    fc.assert(fc.property(callsArb, ([policy, calls]) => {
      const shared = compile(policy);
      const warm = calls.map((call) => decide(shared, call).effect);
      const again = [...calls].reverse().map((call) => decide(shared, call).effect).reverse();
      const fresh = calls.map((call) => decide(compile(policy), call).effect);
      assert.deepEqual(warm, fresh);
      assert.deepEqual(again, fresh);
    }), fcParams(500));
  });

  it('a compiled policy keeps deciding right after thousands of distinct tool names', () => {
    const policy: Policy = { version: 1, roles: { r: {} }, grants: [{ agent_role: 'r', tools: ['read_*', 'exact'] }], deny: [{ tool: '*_secret', reason: 'secrets' }] };
    const compiled = compile(policy);
    const ask = (tool: string): Effect => decide(compiled, { principal: 'a', roles: ['r'], tool, now: 0 }).effect;
    for (let i = 0; i < 10_000; i++) ask(`tool_${i}`);
    assert.deepEqual([ask('read_a'), ask('exact'), ask('read_secret'), ask('write_a')], ['allow', 'allow', 'deny', 'deny']);
    for (let i = 0; i < 10_000; i++) assert.equal(ask(`read_${i}`), 'allow');
  });

  it('a context that is not an object satisfies no context constraint (an array\'s length is not a key)', function () {
    const policy: Policy = { version: 1, roles: { r: {} }, grants: [{ agent_role: 'r', tool: 't', context: { length: { min: 1 }, 0: ['prod'] } }] };
    const context = ['prod'] as unknown as Record<string, unknown>;
    const d = effect(policy, { principal: 'a', roles: ['r'], tool: 't', args: {}, context, now: 0 });
    assert.equal(d.effect, 'deny');
  });

  it('a clock at plus or minus Infinity never allows', function () {
    let broken: string | undefined;
    fc.assert(fc.property(caseArb, fc.constantFrom(Infinity, -Infinity), ([policy, call], now) => {
      const d = effect(policy, { ...call, now });
      if (d.effect !== 'deny' && broken === undefined) broken = `${d.effect} at now=${now} for ${show({ policy, call })}`;
    }), fcParams(2000));
    assert.equal(broken, undefined);
  });
});
