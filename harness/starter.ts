// A least-privilege starter policy from a server's tools: read-only tools to a reader role, other tools
// to a writer role, destructive ones behind approval, no wildcards, with tests and invariants that hold on
// it. Pure: `mandate init` and the editor's "New Policy from MCP Server" list the tools and write the files.

import { stringify } from 'yaml';
import { compile, decide, type Effect, type Json, type Policy, type PolicyTest, type ToolInfo } from '../policies';
import { DEFAULT_TEST_TIME, schemaOnlyDenial } from './policyTests';

/** True when a tool may destroy data (MCP defaults: not read-only and not declared non-destructive). */
export function isDestructive(t: ToolInfo): boolean {
  if (t.annotations?.readOnlyHint === true) return false;
  return t.annotations?.destructiveHint !== false;
}

/** How the starter sorts a server's tools (each list sorted by name). */
export interface StarterPlan {
  reader: string;
  writer: string;
  /** readOnlyHint: granted to the reader */
  reads: string[];
  /** neither read-only nor destructive: granted to the writer */
  writes: string[];
  /** destructive (MCP's default for a tool without hints): granted to the writer behind approval */
  destroys: string[];
  /** names with `*`, left out: granted, such a name would be a glob */
  skipped: string[];
  /** names a policy cannot hold (the schema's tool names: 1–200 of letters, digits, `_ . : / -`), left out */
  unnamable: string[];
  /** names the server lists more than once with different definitions, left out: the proxy denies every call to them */
  conflicting: string[];
}

/** A tool name as the policy schema's `toolPattern` admits it, without `*` (a glob). */
const GRANTABLE = /^[A-Za-z0-9_.:/-]{1,200}$/;
/** The most tools one grant may list (the schema's `maxItems`). */
const GRANT_MAX_TOOLS = 1000;

/** The roles and the tools each gets. */
export function starterPlan(server: string, allTools: readonly ToolInfo[]): StarterPlan {
  const safe = server.replace(/[^A-Za-z0-9_]/g, '_');
  // INVARIANT: a tool name is granted only as itself: a name with `*` would be a glob (a server listing a
  // "read-only" tool named `*` got every tool granted to the reader role), so such tools are left out; so are
  // names the schema refuses (the policy written would not load) and names listed twice differently (granted by
  // the hints of one definition, called under the other's)
  const definitions = new Map<string, Set<string>>();
  for (const t of allTools) {
    const d = JSON.stringify([t.annotations ?? {}, t.inputSchema ?? {}]);
    const set = definitions.get(t.name);
    if (set) set.add(d);
    else definitions.set(t.name, new Set([d]));
  }
  const conflicting = [...definitions].filter(([, d]) => d.size > 1).map(([n]) => n).filter((n) => GRANTABLE.test(n)).sort();
  const seen = new Set<string>();
  const tools = allTools.filter((t) => {
    if (!GRANTABLE.test(t.name) || definitions.get(t.name)!.size > 1 || seen.has(t.name)) return false;
    seen.add(t.name);
    return true;
  });
  return {
    reader: `${safe}_reader`,
    writer: `${safe}_writer`,
    reads: tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name).sort(),
    writes: tools.filter((t) => t.annotations?.readOnlyHint !== true && !isDestructive(t)).map((t) => t.name).sort(),
    destroys: tools.filter((t) => isDestructive(t)).map((t) => t.name).sort(),
    skipped: [...new Set(allTools.filter((t) => t.name.includes('*')).map((t) => t.name))],
    unnamable: [...new Set(allTools.filter((t) => !t.name.includes('*') && !GRANTABLE.test(t.name)).map((t) => t.name))],
    conflicting,
  };
}

export interface StarterOptions {
  /** the saved `tools/list` result, relative to the policy (becomes the server's `tools_manifest`) */
  manifest?: string;
  /** what wrote it, for the header comment */
  by?: string;
  /** the server's `env` as the policy should hold it (secrets as `${NAME}` references, never values) */
  env?: Record<string, string>;
  /** the credential the proxy presents to an HTTP server, by reference (`env:NAME`) */
  credential?: string;
}

/**
 * Tool names a server chose, to show: each as JSON (a line break or an escape stays visible) and cut short, at most
 * 20 of them, then how many more.
 */
export function shownNames(list: readonly string[]): string {
  const shown = list.slice(0, 20).map((n) => JSON.stringify(n.length > 60 ? `${n.slice(0, 60)}…` : n));
  return shown.join(', ') + (list.length > shown.length ? ` and ${list.length - shown.length} more` : '');
}

/** `shownNames` for a header comment: JSON keeps U+0085, U+2028 and U+2029, which YAML reads as line breaks. */
const names = (list: readonly string[]): string => shownNames(list).replace(/[\u0085\u2028\u2029]/g, ' ');

/** The starter policy, as YAML text with a header comment. */
export function starterPolicy(server: string, target: string[] | URL, allTools: readonly ToolInfo[], opts: StarterOptions = {}): string {
  // how the proxy reaches the server: a command it runs (stdio), or a Streamable HTTP endpoint
  const reach = Array.isArray(target) ? { command: target } : { url: target.href };
  const plan = starterPlan(server, allTools);
  const { reader, writer, reads, writes, destroys, skipped, unnamable, conflicting } = plan;
  // a grant lists at most GRANT_MAX_TOOLS tools
  const chunks = (names: string[]): string[][] => Array.from({ length: Math.ceil(names.length / GRANT_MAX_TOOLS) }, (_, i) => names.slice(i * GRANT_MAX_TOOLS, (i + 1) * GRANT_MAX_TOOLS));
  const policy: Policy = {
    version: 1,
    name: `${server}-starter`,
    description: `Least-privilege starter for \`${server}\`: review every grant before use.`,
    roles: {
      ...(reads.length > 0 || writes.length + destroys.length === 0 ? { [reader]: { description: `Reads through ${server}. Never changes anything.`, read_only: true } } : {}),
      ...(writes.length + destroys.length > 0 ? { [writer]: { description: `Changes data through ${server}; destructive tools need a human.` } } : {}),
    },
    grants: [
      ...chunks(reads).map((tools) => ({ agent_role: reader, tools })),
      ...chunks(writes).map((tools) => ({ agent_role: writer, tools })),
      ...chunks(destroys).map((tools) => ({ agent_role: writer, tools, requires_approval: true })),
    ],
    servers: { [server]: { ...reach, ...(opts.env && Object.keys(opts.env).length ? { env: opts.env } : {}), ...(opts.credential !== undefined ? { credential: opts.credential } : {}), ...(opts.manifest ? { tools_manifest: opts.manifest } : {}) } },
    audit: { path: '.mandate/audit.jsonl' },
    // an invariant about tools the server does not have would be vacuous, and `mandate simulate` fails vacuous invariants
    invariants: [
      ...(reads.length && writes.length + destroys.length > 0 ? [{ name: 'readers never change anything', never: { role: reader, effect: ['allow' as const, 'approval_required' as const], tool_annotations: { readOnlyHint: false } } }] : []),
      ...(destroys.length ? [{ name: 'nothing destructive without a human', never: { tool_annotations: { destructiveHint: true }, effect: 'allow' as const } }] : []),
    ],
  };
  const tests = starterTests(policy, plan, allTools);
  const { invariants, ...rest } = policy;
  const written: Policy = { ...rest, ...(tests.length > 0 ? { tests } : {}), ...(invariants ? { invariants } : {}) };
  // a comment line holds the server's name: no line break may end it early (the rest would be policy text)
  const oneLine = (t: string): string => JSON.stringify(t).slice(1, -1);
  const header = `# Generated by ${opts.by ?? '`mandate init`'} from ${allTools.length} tools of \`${oneLine(server)}\`.\n# Read-only tools (readOnlyHint) → ${oneLine(reader)}; others → ${oneLine(writer)}; destructive ones need approval.\n`
    + (skipped.length > 0 ? `# Left out, as a name with \`*\` would grant every tool it matches: ${names(skipped)}.\n` : '')
    + (unnamable.length > 0 ? `# Left out, as a policy cannot name them (1–200 letters, digits, \`_ . : / -\`): ${names(unnamable)}.\n` : '')
    + (conflicting.length > 0 ? `# Left out, as the server lists each twice with different definitions (the proxy denies every call to them): ${names(conflicting)}.\n` : '');
  return header + stringify(written, { lineWidth: 120 });
}

/**
 * One example per kind of grant, and the refusal least privilege is about (the reader changes nothing) — each
 * with arguments made from the tool's input schema, and kept only when the policy, checked against those
 * schemas, decides it as expected: the tests pass under `mandate test` and under `simulate` with the manifest.
 */
function starterTests(policy: Policy, plan: StarterPlan, tools: readonly ToolInfo[]): PolicyTest[] {
  const { reader, writer, reads, writes, destroys } = plan;
  const byName = new Map(tools.map((t) => [t.name, t]));
  const compiled = compile(policy, { tools: { tools: [...tools] } });
  const first = (role: string, names: readonly string[], expect: Effect, name: (tool: string) => string): PolicyTest[] => {
    for (const tool of names) {
      const args = exampleArgs(byName.get(tool)?.inputSchema);
      if (args === undefined) continue;
      const d = decide(compiled, { principal: 'starter', roles: [role], tool, args, now: DEFAULT_TEST_TIME });
      const test: PolicyTest = { name: name(tool), call: { role, tool, ...(Object.keys(args).length > 0 ? { args } : {}) }, expect };
      // a denial the tool's schema gives before any rule is read checks nothing the policy says (`mandate test` fails it)
      if (d.effect !== expect || schemaOnlyDenial(test, d) !== undefined) continue;
      return [test];
    }
    return [];
  };
  return [
    ...first(reader, reads, 'allow', (t) => `${reader} reads ${t}`),
    ...first(writer, writes, 'allow', (t) => `${writer} may call ${t}`),
    ...first(writer, destroys, 'approval_required', (t) => `${t} needs a human`),
    ...(reads.length > 0 ? first(reader, [...destroys, ...writes], 'deny', (t) => `${reader} cannot call ${t}`) : []),
  ];
}

/** The most characters a test's arguments may take in the policy (as JSON): a server's schema may ask for any size. */
const EXAMPLE_BUDGET = 2000;

/**
 * The least arguments an input schema accepts, as far as a plain reading finds them; undefined when it finds none,
 * or when they would take more than EXAMPLE_BUDGET characters (`minItems: 1000` three levels deep, `minLength: 4e8`:
 * the starter hung, or wrote a policy too large to load).
 */
export function exampleArgs(schema: Record<string, unknown> | undefined): Record<string, Json> | undefined {
  const budget = { left: EXAMPLE_BUDGET };
  const v = exampleValue(schema ?? { type: 'object' }, 0, budget);
  return v !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

/** Take `n` characters from the budget; false when it does not have them (nothing is taken then). */
function spend(budget: { left: number }, n: number): boolean {
  if (!(n <= budget.left)) return false;
  budget.left -= n;
  return true;
}

function exampleValue(schema: unknown, depth: number, budget: { left: number }): Json | undefined {
  if (schema === true || schema === undefined) return spend(budget, 2) ? {} : undefined;
  if (schema === null || typeof schema !== 'object' || depth > 8) return undefined;
  const s = schema as Record<string, unknown>;
  const given = (v: Json): Json | undefined => (spend(budget, JSON.stringify(v)?.length ?? Infinity) ? v : undefined);
  if ('const' in s) return given(s['const'] as Json);
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return given(s['enum'][0] as Json);
  const type = Array.isArray(s['type']) ? s['type'][0] : s['type'];
  const num = (k: string): number | undefined => (typeof s[k] === 'number' ? s[k] : undefined);
  switch (type) {
    case 'string': {
      if (s['pattern'] !== undefined || s['format'] !== undefined) return undefined; // a plain reading cannot make one
      const length = Math.max(Math.min(num('maxLength') ?? 7, 7), num('minLength') ?? 0);
      if (!spend(budget, length + 2)) return undefined;
      return 'example'.padEnd(length, 'x').slice(0, length);
    }
    case 'integer':
    case 'number': {
      const min = num('minimum') ?? (num('exclusiveMinimum') !== undefined ? num('exclusiveMinimum')! + 1 : undefined);
      const n = min !== undefined ? Math.ceil(min) : 0;
      const max = num('maximum');
      return max !== undefined && n > max ? undefined : given(n);
    }
    case 'boolean': return given(false);
    case 'null': return given(null);
    case 'array': {
      const n = num('minItems') ?? 0;
      if (!spend(budget, 2 + n)) return undefined; // brackets and commas; a count that is no number spends everything
      if (n === 0) return [];
      const out: Json[] = [];
      for (let i = 0; i < n; i++) {
        const item = exampleValue(s['items'], depth + 1, budget);
        if (item === undefined) return undefined;
        out.push(item);
      }
      return out;
    }
    case 'object':
    case undefined: {
      const props = (s['properties'] ?? {}) as Record<string, unknown>;
      const out: Record<string, Json> = {};
      if (!spend(budget, 2)) return undefined;
      for (const key of Array.isArray(s['required']) ? s['required'] as unknown[] : []) {
        if (typeof key !== 'string' || !spend(budget, key.length + 4)) return undefined;
        const v = exampleValue(Object.hasOwn(props, key) ? props[key] : true, depth + 1, budget);
        if (v === undefined) return undefined;
        out[key] = v;
      }
      return out;
    }
    default: return undefined;
  }
}
