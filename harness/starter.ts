// A least-privilege starter policy from a server's tools: read-only tools to a reader role, other tools
// to a writer role, destructive ones behind approval, no wildcards, with tests and invariants that hold on
// it. Pure: `mandate init` and the editor's "New Policy from MCP Server" list the tools and write the files.

import { stringify } from 'yaml';
import { compile, decide, type Effect, type Json, type Policy, type PolicyTest, type ToolInfo } from '../policies';
import { DEFAULT_TEST_TIME } from './policyTests';

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
}

/** The roles and the tools each gets. */
export function starterPlan(server: string, allTools: readonly ToolInfo[]): StarterPlan {
  const safe = server.replace(/[^A-Za-z0-9_]/g, '_');
  // INVARIANT: a tool name is granted only as itself: a name with `*` would be a glob (a server listing a
  // "read-only" tool named `*` got every tool granted to the reader role), so such tools are left out
  const tools = allTools.filter((t) => !t.name.includes('*'));
  return {
    reader: `${safe}_reader`,
    writer: `${safe}_writer`,
    reads: tools.filter((t) => t.annotations?.readOnlyHint === true).map((t) => t.name).sort(),
    writes: tools.filter((t) => t.annotations?.readOnlyHint !== true && !isDestructive(t)).map((t) => t.name).sort(),
    destroys: tools.filter((t) => isDestructive(t)).map((t) => t.name).sort(),
    skipped: allTools.filter((t) => t.name.includes('*')).map((t) => t.name),
  };
}

export interface StarterOptions {
  /** the saved `tools/list` result, relative to the policy (becomes the server's `tools_manifest`) */
  manifest?: string;
  /** what wrote it, for the header comment */
  by?: string;
  /** the server's `env` as the policy should hold it (secrets as `${NAME}` references, never values) */
  env?: Record<string, string>;
}

/** The starter policy, as YAML text with a header comment. */
export function starterPolicy(server: string, target: string[] | URL, allTools: readonly ToolInfo[], opts: StarterOptions = {}): string {
  // how the proxy reaches the server: a command it runs (stdio), or a Streamable HTTP endpoint
  const reach = Array.isArray(target) ? { command: target } : { url: target.href };
  const { reader, writer, reads, writes, destroys, skipped } = starterPlan(server, allTools);
  const policy: Policy = {
    version: 1,
    name: `${server}-starter`,
    description: `Least-privilege starter for \`${server}\`: review every grant before use.`,
    roles: {
      ...(reads.length > 0 || writes.length + destroys.length === 0 ? { [reader]: { description: `Reads through ${server}. Never changes anything.`, read_only: true } } : {}),
      ...(writes.length + destroys.length > 0 ? { [writer]: { description: `Changes data through ${server}; destructive tools need a human.` } } : {}),
    },
    grants: [
      ...(reads.length ? [{ agent_role: reader, tools: reads }] : []),
      ...(writes.length ? [{ agent_role: writer, tools: writes }] : []),
      ...(destroys.length ? [{ agent_role: writer, tools: destroys, requires_approval: true }] : []),
    ],
    servers: { [server]: { ...reach, ...(opts.env && Object.keys(opts.env).length ? { env: opts.env } : {}), ...(opts.manifest ? { tools_manifest: opts.manifest } : {}) } },
    audit: { path: '.mandate/audit.jsonl' },
    // an invariant about tools the server does not have would be vacuous, and `mandate simulate` fails vacuous invariants
    invariants: [
      ...(reads.length && writes.length + destroys.length > 0 ? [{ name: 'readers never change anything', never: { role: reader, effect: ['allow' as const, 'approval_required' as const], tool_annotations: { readOnlyHint: false } } }] : []),
      ...(destroys.length ? [{ name: 'nothing destructive without a human', never: { tool_annotations: { destructiveHint: true }, effect: 'allow' as const } }] : []),
    ],
  };
  const tests = starterTests(policy, { reader, writer, reads, writes, destroys, skipped }, allTools);
  const { invariants, ...rest } = policy;
  const written: Policy = { ...rest, ...(tests.length > 0 ? { tests } : {}), ...(invariants ? { invariants } : {}) };
  // a comment line holds the server's name: no line break may end it early (the rest would be policy text)
  const oneLine = (t: string): string => JSON.stringify(t).slice(1, -1);
  const header = `# Generated by ${opts.by ?? '`mandate init`'} from ${allTools.length} tools of \`${oneLine(server)}\`.\n# Read-only tools (readOnlyHint) → ${oneLine(reader)}; others → ${oneLine(writer)}; destructive ones need approval.\n`
    + (skipped.length > 0 ? `# Left out, as a name with \`*\` would grant every tool it matches: ${skipped.map((n) => JSON.stringify(n)).join(', ')}.\n` : '');
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
      if (d.effect !== expect) continue;
      return [{ name: name(tool), call: { role, tool, ...(Object.keys(args).length > 0 ? { args } : {}) }, expect }];
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

/** The least arguments an input schema accepts, as far as a plain reading finds them; undefined when it finds none. */
export function exampleArgs(schema: Record<string, unknown> | undefined): Record<string, Json> | undefined {
  const v = exampleValue(schema ?? { type: 'object' }, 0);
  return v !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v) ? v : undefined;
}

function exampleValue(schema: unknown, depth: number): Json | undefined {
  if (schema === true || schema === undefined) return {};
  if (schema === null || typeof schema !== 'object' || depth > 8) return undefined;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s['const'] as Json;
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0] as Json;
  const type = Array.isArray(s['type']) ? s['type'][0] : s['type'];
  const num = (k: string): number | undefined => (typeof s[k] === 'number' ? s[k] : undefined);
  switch (type) {
    case 'string': {
      if (s['pattern'] !== undefined || s['format'] !== undefined) return undefined; // a plain reading cannot make one
      return 'example'.padEnd(num('minLength') ?? 0, 'x').slice(0, Math.max(num('maxLength') ?? 7, num('minLength') ?? 0));
    }
    case 'integer':
    case 'number': {
      const min = num('minimum') ?? (num('exclusiveMinimum') !== undefined ? num('exclusiveMinimum')! + 1 : undefined);
      const n = min !== undefined ? Math.ceil(min) : 0;
      const max = num('maximum');
      return max !== undefined && n > max ? undefined : n;
    }
    case 'boolean': return false;
    case 'null': return null;
    case 'array': {
      const n = num('minItems') ?? 0;
      if (n === 0) return [];
      const item = exampleValue(s['items'], depth + 1);
      return item === undefined ? undefined : Array.from({ length: n }, () => item);
    }
    case 'object':
    case undefined: {
      const props = (s['properties'] ?? {}) as Record<string, unknown>;
      const out: Record<string, Json> = {};
      for (const key of Array.isArray(s['required']) ? s['required'] as unknown[] : []) {
        if (typeof key !== 'string') return undefined;
        const v = exampleValue(Object.hasOwn(props, key) ? props[key] : true, depth + 1);
        if (v === undefined) return undefined;
        out[key] = v;
      }
      return out;
    }
    default: return undefined;
  }
}
