// `mandate lint FILE…`: syntax, schema, reference and lint findings with file:line:col; exit 1 on errors.

import { formatFinding, type Finding } from '../../../policies';
import { RULES, lintText } from '../../../policies/lint';
import { format, parse } from '../args';
import { CliError, println, type CommandSpec } from '../io';
import { displayPath, loadManifest, readText } from '../load';
import { toSarif } from '../sarif';

const usage = 'mandate lint FILE… [--tools MANIFEST.json] [--format text|json|sarif]';

export const lint: CommandSpec = {
  summary: 'check policy files: schema, references and the common mistakes (exit 1 on any error)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { format: { type: 'string' }, tools: { type: 'string' } }, usage);
    const fmt = format(values.format, ['text', 'json', 'sarif'] as const, 'text');
    if (positionals.length === 0) throw new CliError(`no policy files given\nusage: ${usage}`);
    const tools = values.tools ? loadManifest(values.tools) : undefined;
    const findings: Finding[] = [];
    for (const file of positionals) {
      const text = readText(file, 'policy');
      findings.push(...lintText(text, displayPath(file, io.cwd), { now: io.now(), ...(tools ? { tools } : {}) }));
    }
    const errors = findings.filter((f) => f.severity === 'error').length;
    if (fmt === 'json') println(io.stdout, JSON.stringify({ files: positionals.length, errors, findings }, null, 2));
    else if (fmt === 'sarif') println(io.stdout, JSON.stringify(toSarif(findings, RULES, '0.1.0'), null, 2));
    else {
      for (const f of findings) println(io.stdout, formatFinding(f));
      const warnings = findings.length - errors;
      println(io.stdout, `${positionals.length} file${positionals.length === 1 ? '' : 's'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} other finding${warnings === 1 ? '' : 's'}`);
    }
    return errors > 0 ? 1 : 0;
  },
};
