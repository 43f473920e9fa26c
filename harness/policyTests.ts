// Policy unit tests: each `tests` entry is one call with one expected effect (and optional reason text).
// A test is decided as `mandate check` would decide the same call: context values are strings, and a
// test that no policy text could make fail (no role, or a misspelt role or tool) fails.

import {
  compile, decide, globMatch, globsOverlap, parseDateTime, type CallSpec, type CompiledPolicy, type Decision, type ParsedPolicy, type PolicyTest,
  type ToolManifest,
} from '../policies';
import { didYouMean } from '../policies/lint/toolNames';

export interface TestOutcome {
  test: PolicyTest;
  index: number;
  pointer: string;
  passed: boolean;
  decision: Decision;
  /** why it failed, in words */
  failure?: string;
  /** the instant the call was decided at, ms since epoch */
  at: number;
  /** true when the test names no `at`, so it was decided at the fixed DEFAULT_TEST_TIME */
  defaultTime: boolean;
  /** things that do not fail the test but make its verdict weaker than it reads (e.g. a date-dependent outcome) */
  warnings: string[];
}

/** The instant a test call is decided at when it names none: fixed, so results never drift. */
export const DEFAULT_TEST_TIME = Date.parse('2026-01-01T00:00:00Z');

/** The roles a test call acts as: `roles`, else `role`, else none. */
export function testRoles(call: CallSpec): string[] {
  return call.roles ?? (call.role !== undefined ? [call.role] : []);
}

/**
 * A test's context as the engine sees it at run time. `--context k=v` and the proxy pass every context value
 * as a string, so a test's YAML `mfa: false` or `risk: 3` is decided as the strings `"false"` and `"3"`
 * (other non-strings as their JSON text) — never as a boolean or number no real call can carry.
 */
export function testContext(call: CallSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(call.context ?? {})) {
    Object.defineProperty(out, k, { value: typeof v === 'string' ? v : JSON.stringify(v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Decide one test's call, as `mandate check` would decide the same call. */
export function decideTest(compiled: CompiledPolicy, test: PolicyTest, now = DEFAULT_TEST_TIME): Decision {
  const { call } = test;
  return decide(compiled, {
    principal: call.agent ?? 'policy-test', roles: testRoles(call), tool: call.tool, args: call.args ?? {},
    context: testContext(call), now: call.at !== undefined ? parseDateTime(call.at) : now,
  });
}

/**
 * Why a test names a caller or tool the policy does not know, or undefined. The engine denies a call with no
 * role, by an undeclared role, or to a tool no grant or deny rule names before any rule is read. `typo`: the
 * name is one edit or so from a known one (or there is no role at all) — the test checks nothing the policy
 * says, and fails. Otherwise the test may be meant as a guard ("unknown tools stay denied": a later `*` grant
 * would make it fail), so it passes with a warning.
 */
function unknownName(compiled: CompiledPolicy, test: PolicyTest): { why: string; typo: boolean } | undefined {
  const { call } = test;
  const roles = testRoles(call);
  // deny rules are read before roles: one that applies to this caller and tool decides the call on its merits
  if (compiled.denies.some((d) => (d.roles === undefined || roles.some((r) => d.roles!.has(r))) && d.tools.some((p) => globMatch(p, call.tool)))) return undefined;
  if (roles.length === 0) {
    return { typo: true, why: `the call names no role${call.agent !== undefined ? ' (`agent` names the caller, not its roles)' : ''}: a call without a role is always denied, whatever the policy says — give it \`role:\`` };
  }
  const undeclared = roles.filter((r) => !compiled.declaredRoles.has(r));
  for (const r of undeclared) {
    const near = didYouMean(r, compiled.declaredRoles);
    // beside a declared role an undeclared one only adds nothing: worth failing for a typo, not a warning otherwise
    if (near === '' && undeclared.length < roles.length) continue;
    return { typo: near !== '', why: `role \`${r}\` is not declared in \`roles:\`${near}: the engine gives an undeclared role nothing${undeclared.length === roles.length ? ', so every call is denied before any rule is read' : ''}` };
  }
  const patterns = [...compiled.grants.flatMap((g) => g.tools), ...compiled.denies.flatMap((d) => d.tools)];
  if (!patterns.some((p) => globMatch(p, call.tool))) {
    const near = didYouMean(call.tool, patterns.filter((p) => !p.includes('*')));
    return { typo: near !== '', why: `no grant or deny rule names tool \`${call.tool}\`${near}: every call to it is denied, before any rule is read` };
  }
  return undefined;
}

/** Why a test cannot fail whatever the policy says (no role, or a misspelt role or tool), or undefined. */
export function vacuousTest(compiled: CompiledPolicy, test: PolicyTest): string | undefined {
  const u = unknownName(compiled, test);
  return u?.typo === true ? `${u.why}, so this test checks nothing the policy says` : undefined;
}

/** A warning for a test of an unknown role or tool that is no typo: it holds only until a rule names it. */
function guardWarning(compiled: CompiledPolicy, test: PolicyTest): string[] {
  const u = unknownName(compiled, test);
  if (u === undefined || u.typo) return [];
  return [`${u.why}: this test passes whatever the rules say today, and fails only once a rule reaches it — keep it if it guards against that`];
}

/** Warnings for a test without `at` whose call a time-bounded grant can decide: its outcome depends on the date. */
export function timeWarnings(parsed: ParsedPolicy, test: PolicyTest, at: number): string[] {
  if (test.call.at !== undefined) return [];
  const roles = testRoles(test.call);
  const out: string[] = [];
  (parsed.policy.grants ?? []).forEach((g, i) => {
    if (g.not_before === undefined && g.expires === undefined) return;
    const tools = g.tools ?? (g.tool !== undefined ? [g.tool] : []);
    if (!roles.includes(g.agent_role) || !tools.some((p) => globsOverlap(p, test.call.tool))) return;
    const label = g.id !== undefined ? `grant \`${g.id}\`` : `grants[${i}]`;
    const window = [g.not_before !== undefined ? `from ${g.not_before}` : '', g.expires !== undefined ? `until ${g.expires}` : ''].filter(Boolean).join(' ');
    out.push(`the test names no \`at\`, so it is decided at ${new Date(at).toISOString()}, but ${label} (${parsed.source.where(`/grants/${i}`)}) holds only ${window}: `
      + 'its outcome depends on the date — give its `call` an `at:`');
  });
  return out;
}

/**
 * Why a test expecting a denial is denied only because its arguments do not fit the tool's input schema (known from
 * a saved manifest), or undefined. Such a call is refused before any rule is read, so the test passes whatever the
 * policy says — a misspelt or mistyped argument (`head: "10"` for a number) hid that the policy allows the call it
 * meant to show denied. A test that names the refusal in `reason` (`reason: input schema`) is a deliberate guard.
 */
export function schemaOnlyDenial(test: PolicyTest, decision: Decision): string | undefined {
  if (test.expect !== 'deny' || decision.effect !== 'deny' || test.reason !== undefined) return undefined;
  const refusal = decision.reasons.find((r) => r.code === 'malformed_arguments' && r.message.includes('input schema'));
  if (refusal === undefined) return undefined;
  const detail = /input schema \((.*)\)$/.exec(refusal.message)?.[1];
  return `the arguments do not match the input schema of \`${test.call.tool}\`${detail !== undefined ? ` (${detail})` : ''}, so the call is denied before any rule is read `
    + 'and this test checks nothing the policy says — fix the arguments, or give `reason: input schema` if the refusal is what it tests';
}

/** Run one test of a compiled policy. */
export function runPolicyTest(parsed: ParsedPolicy, compiled: CompiledPolicy, test: PolicyTest, index: number, now = DEFAULT_TEST_TIME): TestOutcome {
  const decision = decideTest(compiled, test, now);
  const pointer = `/tests/${index}`;
  const at = test.call.at !== undefined ? parseDateTime(test.call.at) : now;
  const reasons = decision.reasons.map((r) => r.message).join('; ');
  let failure = vacuousTest(compiled, test) ?? schemaOnlyDenial(test, decision);
  if (failure !== undefined) failure = `cannot fail: ${failure}`;
  else if (decision.effect !== test.expect) failure = `expected ${test.expect}, got ${decision.effect}: ${reasons}${contextNote(test)}`;
  else if (test.reason !== undefined && !decision.reasons.some((r) => r.message.includes(test.reason!))) {
    failure = `${decision.effect} as expected, but no reason mentions \`${test.reason}\` (reasons: ${reasons})`;
  }
  return {
    test, index, pointer, passed: failure === undefined, decision, ...(failure ? { failure } : {}),
    at, defaultTime: test.call.at === undefined, warnings: [...guardWarning(compiled, test), ...timeWarnings(parsed, test, at)],
  };
}

/** When a test's context holds non-strings, say how they were read: a failure may come from just that. */
function contextNote(test: PolicyTest): string {
  const read = Object.entries(test.call.context ?? {}).filter(([, v]) => typeof v !== 'string').map(([k, v]) => `\`${k}\` as "${JSON.stringify(v)}"`);
  return read.length > 0 ? ` (context values are strings at run time, as \`--context k=v\` passes them: read ${read.join(', ')})` : '';
}

/**
 * Run every test of a parsed policy. `tools`: the governed servers' tools (their saved manifests), whose input
 * schemas the proxy and the simulator decide with — a call its server's schema refuses is denied there, so here too.
 */
export function runPolicyTests(parsed: ParsedPolicy, now = DEFAULT_TEST_TIME, tools?: ToolManifest): TestOutcome[] {
  const compiled = compile(parsed, tools ? { tools } : {});
  return (parsed.policy.tests ?? []).map((test, index) => runPolicyTest(parsed, compiled, test, index, now));
}
