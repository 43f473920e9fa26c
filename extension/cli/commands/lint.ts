// `mandate lint FILE…`: syntax, schema, reference and lint findings with file:line:col; exit 1 on errors.

import { resolve } from 'node:path';
import { formatFinding, type Finding, type ToolManifest } from '../../../policies';
import { MANIFEST_RULE, RULES, lintText } from '../../../policies/lint';
import { format, parse } from '../args';
import { CliError, println, type CommandSpec } from '../io';
import { displayPath, loadManifest, manifestPath, readPolicyText } from '../load';
import { toSarif, type RuleMeta } from '../sarif';

const usage = 'mandate lint FILE… [--tools MANIFEST.json] [--format text|json|sarif]';

/** The rule table SARIF publishes: every lint rule plus the manifest check `lintText` does itself. */
export const RULE_META: readonly RuleMeta[] = [
  ...RULES.map((r) => ({ id: r.id, why: r.why, severity: r.severity, ...(r.example ? { example: r.example } : {}) })),
  { id: MANIFEST_RULE, why: 'a server\'s `tools_manifest` must be a readable tools/list result', severity: 'error' },
];

/** Lint one policy file; servers' `tools_manifest` paths resolve against the policy's folder. */
export function lintFile(path: string, cwd: string, now: number, tools?: ToolManifest): Finding[] {
  const decoded = readPolicyText(resolve(cwd, path), displayPath(path, cwd));
  if (!decoded.ok) return decoded.findings;
  const text = decoded.text;
  const readManifest = (p: string) => {
    try {
      return loadManifest(manifestPath(path, cwd, p));
    } catch (err) {
      throw new Error((err as Error).message.replace(/^cannot read tool manifest `[^`]*`: /, ''));
    }
  };
  return lintText(text, displayPath(path, cwd), { now, readManifest, ...(tools ? { tools } : {}) });
}

export const lint: CommandSpec = {
  summary: 'check policy files: schema, references and the common mistakes (exit 1 on any error)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { format: { type: 'string' }, tools: { type: 'string' } }, usage);
    const fmt = format(values.format, ['text', 'json', 'sarif'] as const, 'text');
    if (positionals.length === 0) throw new CliError(`no policy files given\nusage: ${usage}`);
    const tools = values.tools ? loadManifest(resolve(io.cwd, values.tools)) : undefined;
    const findings: Finding[] = [];
    for (const file of positionals) findings.push(...lintFile(file, io.cwd, io.now(), tools));
    const errors = findings.filter((f) => f.severity === 'error').length;
    if (fmt === 'json') println(io.stdout, JSON.stringify({ files: positionals.length, errors, findings }, null, 2));
    else if (fmt === 'sarif') println(io.stdout, JSON.stringify(toSarif(findings, RULE_META, '0.1.0'), null, 2));
    else {
      for (const f of findings) println(io.stdout, formatFinding(f));
      const warnings = findings.length - errors;
      println(io.stdout, `${positionals.length} file${positionals.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} other finding${warnings === 1 ? '' : 's'}`);
    }
    return errors > 0 ? 1 : 0;
  },
};
