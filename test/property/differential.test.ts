// Differential testing: decide() against the naive reference interpreter (harness/reference.ts) on
// generated policies × generated calls. Both read DESIGN.md independently; they must agree on every effect.

import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { compile, decide, parsePolicy, schemaValidator, type Call, type Decision, type Effect, type Policy } from '../../policies';
import { referenceDecide } from '../../harness';
import { fcParams } from '../support/seed';
import { callArb, callFor, constraint, dict, policyArb, policyConstants, T0, valueFor } from './arbitraries';

/** Cases per run (one policy, several calls each); the brief asks for at least 10,000 a run. */
const RUNS = 10_000;

/** One policy and calls aimed at it (most) or drawn blind from the vocabularies (some). */
const casesArb = policyArb.chain((policy) => fc.tuple(fc.constant(policy),
  fc.array(fc.oneof({ arbitrary: callFor(policy), weight: 4 }, { arbitrary: callArb, weight: 1 }), { minLength: 1, maxLength: 4 })));

/** The rules that caused a decision: the deny rule, or the allowing / approval grants (not failed grants). */
function decidingRules(d: Decision): string[] {
  return d.rules.filter((r) => r.kind === 'deny' || (d.effect !== 'deny' && r.kind === 'grant')).map((r) => r.id).sort();
}

/**
 * Allow and approval name the same grants in both; a deny names a deny rule in both or in neither
 * (which one, when several match, is the engine's index order, so only the kind is compared).
 */
function sameRules(d: Decision, reference: readonly string[]): boolean {
  const engine = decidingRules(d);
  if (d.effect === 'deny') return (engine.length > 0) === (reference.length > 0);
  return engine.join('\u0000') === [...reference].sort().join('\u0000');
}

function describeCase(policy: Policy, call: Call): string {
  return JSON.stringify({ policy, call: { ...call, args: call.args === undefined ? '<undefined>' : call.args } });
}

/** One constraint on one argument (or context key) of one grant, and a value for that key. */
const operatorCaseArb = fc.tuple(constraint, fc.boolean(), fc.constantFrom('amount', '__proto__', 'toString')).chain(([c, inContext, key]) => {
  const policy: Policy = {
    version: 1, roles: { r: {} }, grants: [{ agent_role: 'r', tool: 't', scope: 's' }],
    scopes: { s: inContext ? { context: dict([[key, c]]) } : { args: dict([[key, c]]) } },
  };
  return fc.tuple(fc.constant(policy), valueFor(policyConstants(policy)), fc.boolean()).map(([p, value, absent]) => {
    const bag = absent ? {} : dict([[key, value]]);
    const call: Call = { principal: 'agent-1', roles: ['r'], tool: 't', args: inContext ? {} : bag, context: inContext ? bag : {}, now: T0 };
    return [p, call] as const;
  });
});

describe('differential: decide() agrees with the reference interpreter', () => {
  it('every generated policy is schema-valid (the generators stay honest)', () => {
    const validate = schemaValidator();
    fc.assert(fc.property(policyArb, (policy) => {
      const ok = validate(JSON.parse(JSON.stringify(policy)));
      if (!ok) assert.fail(`generated policy is not schema-valid: ${JSON.stringify(validate.errors?.slice(0, 3))}`);
    }), fcParams(500));
  });

  it('every operator decides the same on every generated value, as an argument and as context', function () {
    this.timeout(120_000);
    let allowed = 0;
    fc.assert(fc.property(operatorCaseArb, ([policy, call]) => {
      const expected = referenceDecide(policy, call);
      const actual = decide(compile(policy), call);
      if (actual.effect === 'allow') allowed++;
      if (actual.effect !== expected.effect) {
        assert.fail(`engine says ${actual.effect} (${actual.reasons.map((r) => r.message).join('; ')}), reference says ${expected.effect} for ${describeCase(policy, call)}`);
      }
    }), fcParams(RUNS));
    assert.ok(allowed > RUNS / 20, `too few constraints held: ${allowed} of ${RUNS}`);
  });

  it('a policy read back from its YAML text decides like the policy object', function () {
    this.timeout(120_000);
    fc.assert(fc.property(casesArb, ([policy, calls]) => {
      const text = stringify(policy);
      const parsed = parsePolicy(text, 'generated.mandate.yaml');
      if (!parsed.ok) assert.fail(`generated policy does not parse back: ${parsed.findings.map((f) => f.message).join('; ')}\n${text}`);
      const compiled = compile(parsed.parsed);
      for (const call of calls) {
        const expected = referenceDecide(policy, call);
        const actual = decide(compiled, call);
        if (actual.effect !== expected.effect) assert.fail(`from YAML the engine says ${actual.effect}, the reference ${expected.effect} for ${describeCase(policy, call)}\n${text}`);
      }
    }), fcParams(1000));
  });

  it('the two engines decide the same effect for every generated policy and call', function () {
    this.timeout(300_000);
    const seen: Record<Effect, number> = { allow: 0, deny: 0, approval_required: 0 };
    let pairs = 0;
    fc.assert(fc.property(casesArb, ([policy, calls]) => {
      const compiled = compile(policy);
      for (const call of calls) {
        const expected = referenceDecide(policy, call);
        const actual = decide(compiled, call);
        pairs++;
        seen[actual.effect]++;
        if (actual.effect !== expected.effect) {
          assert.fail(`engine says ${actual.effect} (${actual.reasons.map((r) => r.message).join('; ')}), reference says ${expected.effect} (${expected.rules.join(', ')}) for ${describeCase(policy, call)}`);
        }
        if (!sameRules(actual, expected.rules)) {
          assert.fail(`same effect ${actual.effect}, different deciding rules: engine ${decidingRules(actual).join(', ')}, reference ${expected.rules.join(', ')} for ${describeCase(policy, call)}`);
        }
      }
    }), fcParams(RUNS));
    process.stderr.write(`[differential] ${RUNS} policies, ${pairs} calls: allow ${seen.allow}, deny ${seen.deny}, approval_required ${seen.approval_required}\n`);
    // The generators must reach every effect, or agreement proves little.
    for (const effect of ['allow', 'deny', 'approval_required'] as const) assert.ok(seen[effect] > pairs / 50, `too few ${effect} decisions: ${seen[effect]} of ${pairs}`);
  });
});
