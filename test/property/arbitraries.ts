// fast-check generators of schema-valid policies and of calls against them, drawn from small shared
// vocabularies so that grants, denies and constraints actually meet (differential and metamorphic tests).

import fc from 'fast-check';
import type { Call, Constraint, ContextConstraint, DenyRule, Grant, Json, Policy, ScopeDef } from '../../policies';

/** The instant generated clocks and time bounds cluster around. */
export const T0 = Date.parse('2026-06-01T12:00:00Z');

export const ROLES = ['reader', 'payer', 'ops', '__proto__', 'constructor'] as const;
const CALLER_ROLES = [...ROLES, 'undeclared', 'toString'] as const;
const TOOLS = ['read_file', 'write_file', 'delete_file', 'issue_payment', 'refund_payment', 'a.b', 'x/y', 'ns:tool', 'constructor'];
const CALL_TOOLS = [...TOOLS, 'read_files', 'Read_file', 'delete_', '', 'a.bb', 'x/y/z', 'readfile', 'refund_payment2'];
const GLOBS = ['*', '*_file', 'delete_*', 're*_*', '*payment*', 'a.*', '*.b', 'x/*', '**', 'read_file*', '*read_file', 'ns:*', '*e*e*'];
const ARG_KEYS = ['amount', 'vendor', 'path', 'note', '__proto__', 'constructor', 'toString'];
const CONTEXT_KEYS = ['environment', 'region', 'tenant', '__proto__'];
const SCOPE_NAMES = ['s_amount', 's_vendor', 's_docs', 'constructor', '__proto__'];

const PATHS = ['docs\u0000/a', 'docs/%00', 'docs/a.md', 'docs/../secret', './docs/x', 'docs//a', '/docs/a', 'docs', 'docs/', 'docsx/a', '../docs/a',
  'docs/%2e%2e/x', 'docs/%2E%2E/x', 'docs\\..\\x', 'docs/%2Fetc', 'docs/%5c', 'docs/./a/../b', 'docs/a/..', 'docs/..',
  '/../docs/a', '', '.', 'docs/%41', 'docs/sub/../../etc', 'docs/sub/a', '/', '//docs//a', 'docs/...', 'docs/..a', 'tmp/x',
  // spellings a folding file system reads differently (case, NFKC, invisible characters, trailing dots)
  'Docs/a', 'DOCS', 'docs./a', '\uFF44ocs/a', 'do\u200Bcs/a', 'docs/\u2025/x', 'docs/sub/\u2025', '/Docs/a',
  // a URI scheme or drive letter in front; a colon later is a character
  'file:///docs/a', 'C:/docs', 'docs/a:b'];
const STRINGS = ['acme-bv', 'globex-gmbh', 'evil-acme', 'EUR', 'eur', '999', '1000', '', 'a', 'ab', 'prod', 'staging',
  'eu-west-1', 'acme', 'abc123', 'b', 'x'.repeat(9), ...PATHS];
const NUMBERS = [0, -0, 0.01, 0.005, 1, 2.5, 999, 999.99, 1000, 1000.01, 1001, -1, 1e21, Number.MAX_SAFE_INTEGER];

/** A JSON scalar from the shared pools (and a few random ones). */
export const scalar: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: fc.constantFrom<Json>(...STRINGS), weight: 6 },
  { arbitrary: fc.constantFrom<Json>(...NUMBERS), weight: 5 },
  { arbitrary: fc.constantFrom<Json>(true, false, null), weight: 2 },
  { arbitrary: fc.string({ maxLength: 6 }), weight: 1 },
  { arbitrary: fc.integer({ min: -5, max: 1005 }), weight: 1 },
);

/** Any small JSON value: mostly scalars, sometimes arrays and objects. */
export const jsonValue: fc.Arbitrary<Json> = fc.oneof(
  { arbitrary: scalar, weight: 8 },
  { arbitrary: fc.array(scalar, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.array(fc.tuple(fc.constantFrom('a', 'b', '__proto__'), scalar), { maxLength: 2 }).map(dict), weight: 1 },
);

/** Build an object whose keys are own data properties, `__proto__` included. */
export function dict<T>(entries: ReadonlyArray<readonly [string, T]>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const [k, v] of entries) Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

const patternArb = fc.oneof(
  { arbitrary: fc.constantFrom('^a', 'b$', '^[a-z-]+$', '\\d', '^$', '.', 'acme', '^acme-(bv|gmbh)$', '^docs/', '\\.\\.', '^[0-9]+$', 'E'), weight: 6 },
  // undecidable: invalid, or refused by the engine's linear-time matcher (lookaround, backreferences)
  { arbitrary: fc.constantFrom('(', '^(?=a)', '(.)\\1', '^(?<!x)b'), weight: 1 },
);
const prefixArb = fc.constantFrom('docs/', 'acme', '', 'a', '/', 'docs');
const withinArb = fc.uniqueArray(fc.constantFrom('docs/', 'docs', '/docs', '.', '/', 'docs/sub/', 'tmp/../docs', './docs', 'docs//sub', 'Docs'), { minLength: 1, maxLength: 2 });
const numArb = fc.constantFrom(0, 0.01, 1, 2.5, 999, 1000, 1000.01, -1);

type OpArbs = { [K in keyof Constraint]-?: fc.Arbitrary<Exclude<Constraint[K], undefined>> };


function constraintArb(depth: number): fc.Arbitrary<Constraint> {
  const ops: Partial<OpArbs> = {
    equals: jsonValue, in: fc.array(jsonValue, { maxLength: 3 }), not_in: fc.array(jsonValue, { maxLength: 3 }),
    min: numArb, max: numArb, pattern: patternArb, prefix: prefixArb, within: withinArb,
    max_length: fc.constantFrom(0, 1, 3, 8), type: fc.constantFrom('string', 'number', 'integer', 'boolean', 'object', 'array', 'null'),
  };
  if (depth > 0) ops.not = constraintArb(depth - 1);
  const names = Object.keys(ops) as Array<keyof Constraint>;
  return fc.uniqueArray(fc.constantFrom(...names), { minLength: 1, maxLength: 2 })
    .chain((keys) => fc.tuple(...keys.map((k) => ops[k] as fc.Arbitrary<unknown>))
      .map((values) => Object.fromEntries(keys.map((k, i) => [k, values[i]])) as Constraint));
}

/** One argument or context constraint, `not` nested up to twice. */
export const constraint: fc.Arbitrary<Constraint> = constraintArb(2);

const contextConstraint: fc.Arbitrary<ContextConstraint> = fc.oneof(
  fc.array(fc.constantFrom<Json>('prod', 'staging', 'eu-west-1', 'acme', 1, true), { minLength: 0, maxLength: 3 }),
  constraint,
);

const argConstraints = fc.uniqueArray(fc.tuple(fc.constantFrom(...ARG_KEYS), constraint), { maxLength: 2, selector: (e) => e[0] }).map(dict);
const contextConstraints = fc.uniqueArray(fc.tuple(fc.constantFrom(...CONTEXT_KEYS), contextConstraint), { minLength: 1, maxLength: 2, selector: (e) => e[0] }).map(dict);

const scopeDef: fc.Arbitrary<ScopeDef> = fc.record({ args: maybe(argConstraints, 85), context: maybe(contextConstraints, 20) }).map((d) => strip(d) as ScopeDef);

const toolPattern = fc.oneof({ arbitrary: fc.constantFrom(...TOOLS), weight: 3 }, { arbitrary: fc.constantFrom(...GLOBS), weight: 2 });
const toolField = fc.oneof(
  toolPattern.map((tool) => ({ tool })),
  fc.array(toolPattern, { minLength: 1, maxLength: 3 }).map((tools) => ({ tools })),
);

/** `arb` in `percent`% of cases, else undefined (the field is left out). */
function maybe<T>(arb: fc.Arbitrary<T>, percent: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ arbitrary: arb, weight: percent }, { arbitrary: fc.constant(undefined), weight: 100 - percent });
}

/** A date-time string for `base + delta` in one of the RFC 3339 spellings the schema admits. */
export function formatTime(ms: number, style: number): string {
  const iso = new Date(ms).toISOString(); // 2026-06-01T12:00:00.000Z
  const whole = ms % 1000 === 0 ? iso.replace('.000', '') : iso;
  // the same instant written at a UTC offset of `minutes`, as `+hh:mm`, `+hhmm` or `+hh`
  const at = (minutes: number, zone: string): string => {
    const shifted = new Date(ms + minutes * 60_000).toISOString().replace('Z', zone);
    return ms % 1000 === 0 ? shifted.replace('.000', '') : shifted;
  };
  switch (style % TIME_STYLES) {
    case 0: return iso;
    case 1: return whole;
    case 2: return whole.toLowerCase();
    case 3: return whole.replace('T', ' ');
    case 4: return at(120, '+02:00');
    case 5: return at(120, '+0200');
    case 6: return at(120, '+02');
    case 7: return at(-330, '-0530');
    default: return at(-330, '-05:30');
  }
}

/** How many spellings formatTime knows. */
export const TIME_STYLES = 9;

const DELTAS = [-86_400_000, -1000, -1, 0, 1, 999, 1000, 86_400_000];
/** A bound, sometimes with digits below the millisecond (which round it up to the next one). */
const timeBound = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(...DELTAS), fc.nat(TIME_STYLES - 1)).map(([d, s]) => formatTime(T0 + d, s)), weight: 4 },
  { arbitrary: fc.tuple(fc.constantFrom(...DELTAS), fc.constantFrom('0', '0001', '9999', '5')).map(([d, sub]) => new Date(T0 + d).toISOString().replace('Z', `${sub}Z`)), weight: 1 },
  // the schema admits these (ajv-formats' leap-second rule) but they name no instant: the grant never matches;
  // the last is a real leap second (23:59:60 UTC), written at an offset
  { arbitrary: fc.constantFrom('2026-06-01T13:60:00+14:01', '2026-06-01T24:00:60+00:01', '2026-06-01T12:59:60+13:00', '2016-12-31T22:59:60-01:00'), weight: 1 },
);

/** A scope name: nearly always one the policy defines, sometimes one it does not (lint's error, the engine's edge). */
function scopeName(defined: string[]): fc.Arbitrary<string> {
  const missing = fc.constantFrom('missing_scope', 'hasOwnProperty');
  return defined.length === 0 ? missing : fc.oneof({ arbitrary: fc.constantFrom(...defined), weight: 12 }, { arbitrary: missing, weight: 1 });
}

function grantArb(scopeNames: string[], declared: string[]): fc.Arbitrary<Grant> {
  const role = declared.length === 0 ? fc.constantFrom(...CALLER_ROLES)
    : fc.oneof({ arbitrary: fc.constantFrom(...declared), weight: 8 }, { arbitrary: fc.constantFrom(...CALLER_ROLES), weight: 1 });
  const name = scopeName(scopeNames);
  const scopeArb = fc.oneof(name, fc.uniqueArray(name, { maxLength: 2 }));
  return fc.record({
    id: maybe(fc.constantFrom('g1', 'g2', 'g3', 'g4'), 50),
    agent_role: role,
    tool: toolField,
    scope: maybe(scopeArb, 60),
    requires_approval: maybe(fc.boolean(), 60),
    context: maybe(contextConstraints, 15),
    not_before: maybe(timeBound, 15),
    expires: maybe(timeBound, 15),
  }).map(({ tool, ...g }) => strip({ ...g, ...tool }) as Grant);
}

function denyArb(scopeNames: string[]): fc.Arbitrary<DenyRule> {
  const scopeArb = scopeName(scopeNames);
  return fc.record({
    id: maybe(fc.constantFrom('d1', 'd2'), 50),
    reason: fc.constant('generated deny'),
    tool: toolField,
    roles: maybe(fc.uniqueArray(fc.constantFrom(...CALLER_ROLES), { minLength: 1, maxLength: 2 }), 40),
    agent_role: maybe(fc.constantFrom(...CALLER_ROLES), 20),
    scope: maybe(scopeArb, 20),
    args: maybe(argConstraints, 40),
    context: maybe(contextConstraints, 20),
  }).map(({ tool, ...d }) => strip({ ...d, ...tool }) as DenyRule);
}

/** Drop keys whose value is undefined (exactOptionalPropertyTypes, and the schema has no `undefined`). */
function strip<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** A schema-valid policy over the shared vocabularies. */
export const policyArb: fc.Arbitrary<Policy> = fc.record({
  declared: fc.oneof({ arbitrary: fc.subarray([...ROLES], { minLength: 2 }), weight: 9 }, { arbitrary: fc.subarray([...ROLES]), weight: 1 }),
  scopes: fc.uniqueArray(fc.tuple(fc.constantFrom(...SCOPE_NAMES), scopeDef), { maxLength: 3, selector: (e) => e[0] }),
}).chain(({ declared, scopes }) => {
  const names = scopes.map(([n]) => n);
  return fc.record({
    grants: fc.oneof({ arbitrary: fc.array(grantArb(names, declared), { minLength: 1, maxLength: 5 }), weight: 19 }, { arbitrary: fc.constant([]), weight: 1 }),
    deny: fc.array(denyArb(names), { maxLength: 2 }),
  }).map(({ grants, deny }) => strip({
    version: 1 as const,
    roles: dict(declared.map((r) => [r, { description: `role ${r}` }] as const)),
    scopes: dict(scopes),
    grants,
    deny: deny.length > 0 ? deny : undefined,
  }) as Policy);
});

const argsObject = fc.uniqueArray(fc.tuple(fc.constantFrom(...ARG_KEYS), jsonValue), { maxLength: 4, selector: (e) => e[0] }).map(dict);

/** Call arguments: nearly always an object; sometimes something an MCP client should never send. */
export const argsArb: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: argsObject, weight: 20 },
  { arbitrary: fc.constantFrom<unknown>(undefined, null, 'amount', 42, [], ['amount'], [1000]), weight: 1 },
);

const contextArb = fc.uniqueArray(
  fc.tuple(fc.constantFrom(...CONTEXT_KEYS), fc.oneof(fc.constantFrom<Json>('prod', 'staging', 'eu-west-1', 'acme', 'globex', 1, true), jsonValue)),
  { maxLength: 3, selector: (e) => e[0] },
).map(dict);

/** A call built from the same vocabularies as the policies. */
export const callArb: fc.Arbitrary<Call> = fc.record({
  principal: fc.oneof({ arbitrary: fc.constant<string | null>('agent-1'), weight: 12 }, { arbitrary: fc.constantFrom<string | null>('', null), weight: 1 }),
  roles: fc.uniqueArray(fc.constantFrom(...CALLER_ROLES), { maxLength: 3 }),
  tool: fc.oneof({ arbitrary: fc.constantFrom(...TOOLS), weight: 4 }, { arbitrary: fc.constantFrom(...CALL_TOOLS), weight: 1 }),
  args: argsArb,
  context: contextArb,
  now: fc.constantFrom(...DELTAS).map((d) => T0 + d),
});

/** Values a policy mentions, and their near misses: what a call must hit to reach its edges. */
export function policyConstants(policy: Policy): Json[] {
  const out: Json[] = [];
  const visit = (v: unknown, key: string): void => {
    if (typeof v === 'number') out.push(v, v + 0.01, v - 0.01);
    else if (typeof v === 'string') out.push(v, `${v}/a`, `${v}x`, `${v}/../x`);
    if (key === 'equals' || key === 'in_item') out.push(v as Json);
    if (Array.isArray(v)) for (const x of v) visit(x, key === 'in' || key === 'not_in' || key === 'context' ? 'in_item' : '');
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) visit(x, k);
  };
  visit(policy.scopes ?? {}, '');
  for (const g of policy.grants ?? []) visit(g.context ?? {}, '');
  for (const d of policy.deny ?? []) visit({ args: d.args ?? {}, context: d.context ?? {} }, '');
  return out.length > 0 ? out : ['x'];
}

/** Concrete tool names a list of patterns matches: exact names, and globs with `*` filled in. */
function instances(patterns: readonly string[]): string[] {
  const out = new Set<string>();
  for (const t of patterns) {
    out.add(t.replace(/\*/g, ''));
    out.add(t.replace(/\*/g, 'x_'));
  }
  return [...out].filter((t) => t.length > 0);
}

const toolsOf = (r: { tool?: string; tools?: string[] }): string[] => r.tools ?? (r.tool !== undefined ? [r.tool] : []);

/** Calls aimed at one policy: a grant's role and tool, the policy's constants, its time bounds. */
export function callFor(policy: Policy): fc.Arbitrary<Call> {
  const consts = policyConstants(policy);
  const value = fc.oneof({ arbitrary: fc.constantFrom(...consts), weight: 6 }, { arbitrary: jsonValue, weight: 1 });
  const grants = policy.grants ?? [];
  const allTools = instances([...grants, ...(policy.deny ?? [])].flatMap(toolsOf));
  const times = [...new Set([...grants.flatMap((g) => [g.not_before, g.expires])
    .filter((t): t is string => t !== undefined).map((t) => Date.parse(t.replace(' ', 'T').toUpperCase()))
    .filter(Number.isFinite).flatMap((t) => [t - 1, t, t + 1]), T0])];
  const args = fc.uniqueArray(fc.tuple(fc.constantFrom(...ARG_KEYS), value), { maxLength: 5, selector: (e) => e[0] }).map(dict);
  const context = fc.uniqueArray(fc.tuple(fc.constantFrom(...CONTEXT_KEYS), value), { maxLength: 4, selector: (e) => e[0] }).map(dict);
  const blindTool = allTools.length === 0 ? fc.constantFrom(...CALL_TOOLS)
    : fc.oneof({ arbitrary: fc.constantFrom(...allTools), weight: 3 }, { arbitrary: fc.constantFrom(...CALL_TOOLS), weight: 1 });
  const blind = fc.record({ roles: fc.uniqueArray(fc.constantFrom(...CALLER_ROLES), { maxLength: 3 }), tool: blindTool });
  // aimed: one grant's role (plus maybe others) and one of the tools its patterns match
  const aimed = grants.length === 0 ? blind : fc.nat(grants.length - 1).chain((i) => {
    const g = grants[i]!;
    return fc.record({
      roles: fc.uniqueArray(fc.constantFrom(...CALLER_ROLES), { maxLength: 2 }).map((more) => [g.agent_role, ...more.filter((r) => r !== g.agent_role)]),
      tool: fc.constantFrom(...instances(toolsOf(g))),
    });
  });
  return fc.record({
    principal: fc.oneof({ arbitrary: fc.constant<string | null>('agent-1'), weight: 20 }, { arbitrary: fc.constantFrom<string | null>('', null), weight: 1 }),
    who: fc.oneof({ arbitrary: aimed, weight: 4 }, { arbitrary: blind, weight: 1 }),
    args: fc.oneof({ arbitrary: args, weight: 30 }, { arbitrary: argsArb, weight: 1 }),
    context,
    now: fc.oneof(fc.constantFrom(...times), fc.constantFrom(...DELTAS).map((d) => T0 + d)),
  }).map(({ who, ...rest }) => ({ ...rest, ...who }));
}

const HOSTILE: unknown[] = [Infinity, -Infinity, NaN, -0, 1e-300, '\u{1F600}', '\u{1F600}\u{1F600}', 'e\u0301', 'ab\u{1F600}', 'docs/\u{1F600}',
  [[]], [1, 2, 3, 4], { a: { b: [] } }, '0x10', ' 1000', '1e3', undefined];

/** A value an argument or context key may hold: JSON, the policy's constants, and a few non-JSON numbers. */
export function valueFor(constants: readonly Json[]): fc.Arbitrary<unknown> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...constants), weight: 6 },
    { arbitrary: jsonValue, weight: 3 },
    { arbitrary: fc.constantFrom(...HOSTILE), weight: 1 },
  );
}
