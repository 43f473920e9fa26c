// Policy unit tests: each `tests` entry is one call with one expected effect (and optional reason text).

import { compile, decide, parseDateTime, type CompiledPolicy, type Decision, type ParsedPolicy, type PolicyTest } from '../policies';

export interface TestOutcome {
  test: PolicyTest;
  index: number;
  pointer: string;
  passed: boolean;
  decision: Decision;
  /** why it failed, in words */
  failure?: string;
}

/** The instant a test call is decided at when it names none: fixed, so results never drift. */
export const DEFAULT_TEST_TIME = Date.parse('2026-01-01T00:00:00Z');

/** Decide one test's call. */
export function decideTest(compiled: CompiledPolicy, test: PolicyTest, now = DEFAULT_TEST_TIME): Decision {
  const { call } = test;
  const roles = call.roles ?? (call.role !== undefined ? [call.role] : []);
  return decide(compiled, {
    principal: call.agent ?? 'policy-test', roles, tool: call.tool, args: call.args ?? {},
    context: call.context ?? {}, now: call.at !== undefined ? parseDateTime(call.at) : now,
  });
}

/** Run every test of a parsed policy. */
export function runPolicyTests(parsed: ParsedPolicy, now = DEFAULT_TEST_TIME): TestOutcome[] {
  const compiled = compile(parsed);
  return (parsed.policy.tests ?? []).map((test, index) => {
    const decision = decideTest(compiled, test, now);
    const pointer = `/tests/${index}`;
    let failure: string | undefined;
    if (decision.effect !== test.expect) failure = `expected ${test.expect}, got ${decision.effect}: ${decision.reasons.map((r) => r.message).join('; ')}`;
    else if (test.reason !== undefined && !decision.reasons.some((r) => r.message.includes(test.reason!))) {
      failure = `${decision.effect} as expected, but no reason mentions \`${test.reason}\` (reasons: ${decision.reasons.map((r) => r.message).join('; ')})`;
    }
    return { test, index, pointer, passed: failure === undefined, decision, ...(failure ? { failure } : {}) };
  });
}
