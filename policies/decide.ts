// decide(): one call → allow | deny | approval_required, with the rules that decided and reasons
// in policy words that point at the policy source.

import { enterMatchBudget, leaveMatchBudget, MATCH_STEP_LIMIT } from './linearRegex';
import { type CompiledCheck, type CompiledGrant, type CompiledPolicy, lookup } from './compile';
import { ABSENT, own } from './constraints';
import type { Call, Decision, Reason, RuleRef } from './types';

/** Longest tool name decided; longer names are malformed (and denied). */
export const MAX_TOOL_NAME = 256;

const ENGINE: RuleRef = Object.freeze({ kind: 'builtin', id: 'engine', pointer: '' });

/**
 * Decide one call against a compiled policy.
 *
 * INVARIANT: decide never throws on data and fails closed: it returns a Decision for every input,
 * and any error while deciding (a thrown check, a bad clock, a non-string tool) yields `deny`.
 * Order: no identity → deny; malformed arguments → deny; a matching deny rule → deny (deny wins);
 * a matching grant without `requires_approval` → allow; only grants that require approval →
 * approval_required; nothing matches → deny.
 */
export function decide(compiled: CompiledPolicy, call: Call): Decision {
  // INVARIANT: every pattern test of one decision (the policy's and the tool schema's, however many values
  // they run on) draws on one step budget, so no call costs more than MATCH_STEP_LIMIT steps of matching
  const outer = enterMatchBudget(MATCH_STEP_LIMIT);
  try {
    return decideUnsafe(compiled, call);
  } catch (err) {
    return deny('engine_error', `denied: the call could not be decided (${errorMessage(err)})`);
  } finally {
    leaveMatchBudget(outer, MATCH_STEP_LIMIT);
  }
}

function decideUnsafe(c: CompiledPolicy, call: Call): Decision {
  if (typeof call.principal !== 'string' || call.principal.length === 0) {
    return deny('anonymous', 'denied: the caller has no authenticated identity');
  }
  const { tool, now } = call;
  if (typeof tool !== 'string' || tool.length === 0 || tool.length > MAX_TOOL_NAME) {
    return deny('malformed_arguments', 'denied: the tool name is missing or too long');
  }
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    return deny('engine_error', 'denied: the decision time is not a valid clock reading');
  }
  const args = call.args === undefined ? {} : call.args;
  if (args === null || typeof args !== 'object' || Array.isArray(args)) {
    return deny('malformed_arguments', `denied: the arguments of \`${tool}\` are not an object`);
  }
  const schema = c.toolSchemas.get(tool);
  if (schema !== undefined && (schema === 'invalid' || !schema(args))) {
    const detail = schema === 'invalid' ? 'its input schema cannot be compiled' : schemaError(schema.errors);
    return deny('malformed_arguments', `denied: the arguments of \`${tool}\` do not match its input schema (${detail})`);
  }
  const context = call.context ?? {};
  if (context === null || typeof context !== 'object' || Array.isArray(context)) {
    return deny('malformed_arguments', 'denied: the call context is not an object');
  }
  const roles = Array.isArray(call.roles) ? call.roles : [];

  const denies = lookup(c.denyIndex, tool);
  for (let i = 0; i < denies.length; i++) {
    const d = denies[i]!;
    if (d.roles && !roles.some((r) => d.roles!.has(r))) continue;
    // INVARIANT: a deny rule that cannot be evaluated (an undefined scope) still denies its tools: fail closed.
    if (d.missingScopes.length > 0) return undefinedScopeDeny(d.decision, d.missingScopes[0]!);
    let matches: boolean;
    try {
      // INVARIANT: an undecidable check on any present value (a refused path) makes the rule deny, whichever
      // of its other checks would fail first: the leading checks that can be undecidable all run, then the rest
      const argsProbed = allHold(d.args, d.argProbes, args);
      const contextProbed = allHold(d.context, d.contextProbes, context); // run even when the arguments failed
      const probed = argsProbed && contextProbed;
      matches = probed && firstFailure(d.args, args, d.argProbes) === undefined && firstFailure(d.context, context, d.contextProbes) === undefined;
    } catch (err) {
      // INVARIANT: a deny rule whose check errors (e.g. an over-long pattern input) denies: fail closed.
      return errorDeny(d.decision, err);
    }
    if (matches) return d.decision;
  }

  const known = roles.length === 1 && c.declaredRoles.has(roles[0]) ? roles : roles.filter((r) => c.declaredRoles.has(r));
  if (known.length === 0) {
    const list = roles.length === 0 ? 'no role' : roles.map((r) => `\`${r}\``).join(', ');
    return deny('role_unknown', `denied: the policy does not declare ${list}`);
  }

  const matched: CompiledGrant[] = [];
  const failures: Reason[] = [];
  let candidates = 0;
  for (let r = 0; r < known.length; r++) {
    const grants = lookup(c.grantIndex.get(known[r]), tool);
    for (let i = 0; i < grants.length; i++) {
      const g = grants[i]!;
      candidates++;
      const failure = grantFailureSafe(g, args, context, now);
      if (failure) failures.push(failure);
      else if (!matched.includes(g)) matched.push(g);
    }
  }
  if (matched.length === 1) return matched[0]!.alone;
  if (matched.length > 1) return combine(matched);
  if (candidates === 0) {
    const list = known.map((r) => `\`${r}\``).join(', ');
    return deny('no_grant', `denied: no grant gives ${list} the tool \`${tool}\``);
  }
  return { effect: 'deny', rules: failures.map((f) => f.rule!), reasons: failures };
}

/** grantFailure, where an error in a check makes only this grant fail (never another grant's allow). */
function grantFailureSafe(g: CompiledGrant, args: object, context: object, now: number): Reason | undefined {
  try {
    return grantFailure(g, args, context, now);
  } catch (err) {
    return { code: 'engine_error', message: `${g.ref.id} could not be checked (${errorMessage(err)}) and does not match (${g.where})`, rule: g.ref };
  }
}

/** Why a grant does not match this call, or undefined when it does. */
function grantFailure(g: CompiledGrant, args: object, context: object, now: number): Reason | undefined {
  const rule = g.ref;
  if (g.missingScopes.length > 0) {
    return { code: 'constraint_failed', message: `${rule.id} names undefined scope \`${g.missingScopes[0]!}\` and never matches (${g.where})`, rule };
  }
  if (g.badTime !== undefined) {
    return { code: 'engine_error', message: `${rule.id} has an unreadable ${g.badTime} and never matches (${g.where})`, rule };
  }
  // INVARIANT: not_before is inclusive, expires is exclusive.
  if (now < g.notBefore) return { code: 'not_yet_valid', message: `${rule.id} is not valid before ${new Date(g.notBefore).toISOString()} (${g.where})`, rule };
  if (now >= g.expires) return { code: 'expired', message: `${rule.id} expired at ${new Date(g.expires).toISOString()} (${g.where})`, rule };
  const ctx = firstFailure(g.context, context);
  if (ctx) return { code: 'context_failed', message: `context \`${ctx.check.key}\` ${ctx.why} (${ctx.check.origin}, ${ctx.check.where})`, rule };
  const arg = firstFailure(g.args, args);
  if (arg) return { code: 'constraint_failed', message: `\`${arg.check.key}\` ${arg.why} (${arg.check.origin}, ${arg.check.where})`, rule };
  return undefined;
}

/**
 * Whether the first `n` checks all hold. Each runs on its present value even after one has failed (so an
 * undecidable one always throws); an absent value holds nothing and is not run.
 */
function allHold(checks: readonly CompiledCheck[], n: number, obj: object): boolean {
  let held = true;
  for (let i = 0; i < n; i++) {
    const v = own(obj, checks[i]!.key);
    if (v === ABSENT || checks[i]!.check(v) !== undefined) held = false;
  }
  return held;
}

function firstFailure(checks: readonly CompiledCheck[], obj: object, from = 0): { check: CompiledCheck; why: string } | undefined {
  for (let i = from; i < checks.length; i++) {
    const check = checks[i]!;
    const why = check.check(own(obj, check.key));
    if (why !== undefined) return { check, why };
  }
  return undefined;
}

/** Several grants match: any grant without approval allows; otherwise approval is required. */
function combine(matched: readonly CompiledGrant[]): Decision {
  const plain = matched.filter((g) => !g.approval);
  const deciding = plain.length > 0 ? plain : matched;
  return {
    effect: plain.length > 0 ? 'allow' : 'approval_required',
    rules: deciding.map((g) => g.ref),
    reasons: deciding.map((g) => g.alone.reasons[0]!),
  };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function errorDeny(d: Decision, err: unknown): Decision {
  const r = d.reasons[0]!;
  return { effect: 'deny', rules: d.rules, reasons: [{ ...r, code: 'engine_error', message: `${r.message} — it could not be checked (${errorMessage(err)}), so it denies` }] };
}

function undefinedScopeDeny(d: Decision, scope: string): Decision {
  const r = d.reasons[0]!;
  return { effect: 'deny', rules: d.rules, reasons: [{ ...r, message: `${r.message} — its scope \`${scope}\` is undefined, so it denies every call to its tools` }] };
}

function deny(code: Reason['code'], message: string): Decision {
  return { effect: 'deny', rules: [ENGINE], reasons: [{ code, message, rule: ENGINE }] };
}

function schemaError(errors: ReadonlyArray<{ instancePath: string; message?: string }> | null | undefined): string {
  const e = errors?.[0];
  if (!e) return 'invalid';
  return `${e.instancePath === '' ? 'arguments' : `\`${e.instancePath.slice(1).replace(/\//g, '.')}\``} ${e.message ?? 'invalid'}`;
}
