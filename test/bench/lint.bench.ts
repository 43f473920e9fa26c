// Lint cost on a generated 1,000-role policy (with a 60-tool manifest), against parse-only time and the
// `yaml` package's parse of the same text in the same run. Target: the whole lint, parse included, in
// ≤ 100 ms. Prints figures; never asserts on time.

import { parseDocument } from 'yaml';
import { parsePolicy, type ToolManifest } from '../../policies';
import { lintText } from '../../policies/lint';
import { median } from './stats';

const ROLES = 1000;

/** A manifest of read and write tools with input schemas, like a few real servers' tools/list. */
export function manifest(): ToolManifest {
  const verbs = ['read', 'list', 'search', 'get', 'write', 'update', 'delete', 'create', 'send', 'move'];
  const nouns = ['file', 'issue', 'ticket', 'invoice', 'report', 'user'];
  return {
    tools: verbs.flatMap((v) => nouns.map((n) => ({
      name: `${v}_${n}`,
      inputSchema: { type: 'object', properties: { path: { type: 'string' }, id: { type: 'string' }, amount: { type: 'number' } } },
      annotations: { readOnlyHint: ['read', 'list', 'search', 'get'].includes(v) },
    }))),
  };
}

/** A YAML policy with `roles` roles, two grants each, 50 scopes, 20 deny rules, 10 servers. */
export function generatePolicy(roles: number): string {
  const lines: string[] = ['version: 1', 'audit: { path: audit.jsonl }', 'roles:'];
  for (let i = 0; i < roles; i++) lines.push(`  role_${i}: { description: team ${i} agent${i % 3 === 0 ? ', read_only: true' : ''} }`);
  lines.push('scopes:');
  for (let s = 0; s < 50; s++) {
    lines.push(`  scope_${s}: { args: { path: { within: [team${s}/] }, amount: { min: 0, max: ${100 * (s + 1)} } }, context: { environment: [prod, staging] } }`);
  }
  lines.push('grants:');
  for (let i = 0; i < roles; i++) {
    const ro = i % 3 === 0;
    lines.push(`  - { agent_role: role_${i}, tools: [read_file, list_issue, "search_*"], scope: [scope_${i % 50}] }`);
    lines.push(ro
      ? `  - { agent_role: role_${i}, tool: get_report, context: { tenant: [t${i}] } }`
      : `  - { agent_role: role_${i}, tools: [write_file, update_ticket], scope: [scope_${(i + 7) % 50}], requires_approval: ${i % 2 === 0} }`);
  }
  lines.push('deny:');
  for (let d = 0; d < 20; d++) lines.push(`  - { id: deny-${d}, tool: delete_${['file', 'issue', 'ticket', 'invoice', 'report', 'user'][d % 6]}, roles: [role_${d}], reason: no deletes }`);
  lines.push('servers:');
  for (let s = 0; s < 10; s++) lines.push(`  srv_${s}: { command: [node, s${s}.js], environment: ${s < 5 ? 'staging' : 'prod'}, credential: "env:TOKEN_${s}" }`);
  return `${lines.join('\n')}\n`;
}

interface Cost { wall: number; cpu: number }

/** Median wall-clock and CPU (user + system) milliseconds of `runs` calls: CPU time is steadier on a shared machine. */
function time(runs: number, fn: () => void): Cost {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c = process.cpuUsage();
    const t = process.hrtime.bigint();
    fn();
    wall.push(Number(process.hrtime.bigint() - t) / 1e6);
    const d = process.cpuUsage(c);
    cpu.push((d.user + d.system) / 1000);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

const show = (c: Cost): string => `${c.wall.toFixed(1).padStart(7)} ms wall ${c.cpu.toFixed(1).padStart(7)} ms cpu`;

/** Bench entry point (see test/bench/run.ts). */
export async function run(log: (line: string) => void): Promise<void> {
  const text = generatePolicy(ROLES);
  const tools = manifest();
  const now = Date.parse('2026-11-25T12:00:00Z');
  const file = 'bench.mandate.yaml';
  const findings = lintText(text, file, { now, tools });
  for (let i = 0; i < 3; i++) lintText(text, file, { now, tools }); // warm up
  const yamlPackage = time(5, () => parseDocument(text, { uniqueKeys: true }).toJS());
  const parse = time(11, () => parsePolicy(text, file));
  const bare = time(11, () => lintText(text, file, { now }));
  const full = time(11, () => lintText(text, file, { now, tools }));
  const rules = { wall: full.wall - parse.wall, cpu: full.cpu - parse.cpu };
  log(`policy: ${ROLES} roles, ${2 * ROLES} grants, ${(text.length / 1024).toFixed(0)} KiB YAML, ${tools.tools.length}-tool manifest; ${findings.length} findings (median of 11)`);
  log(`yaml package parse (baseline)    ${show(yamlPackage)}`);
  log(`parsePolicy (fast path + schema)  ${show(parse)}   ${(yamlPackage.cpu / parse.cpu).toFixed(1)}× faster than the yaml package (cpu)`);
  log(`lint, no manifest                  ${show(bare)}   ${(bare.cpu / parse.cpu).toFixed(2)}× parse (cpu)`);
  log(`lint with --tools manifest         ${show(full)}   ${(full.cpu / parse.cpu).toFixed(2)}× parse (cpu)`);
  log(`rules alone (lint − parse)         ${show(rules)}`);
  log(`target ≤ 100 ms for the whole lint: ${full.wall <= 100 ? 'met' : 'not met'} (wall); rules alone ${rules.cpu <= 100 ? 'within' : 'over'} 100 ms cpu`);
}
