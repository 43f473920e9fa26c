// `mandate test FILE…`: runs each policy's `tests`; exit 1 on any failure.

import { runPolicyTests } from '../../../harness';
import { format, parse } from '../args';
import { CliError, println, type CommandSpec } from '../io';
import { loadPolicy } from '../load';

const usage = 'mandate test FILE… [--format text|json]';

export const test: CommandSpec = {
  summary: "run the policies' `tests` (exit 1 on a failure)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { format: { type: 'string' } }, usage);
    const fmt = format(values.format, ['text', 'json'] as const, 'text');
    if (positionals.length === 0) throw new CliError(`no policy files given\nusage: ${usage}`);
    let failed = 0;
    let total = 0;
    const report: object[] = [];
    for (const file of positionals) {
      const parsed = loadPolicy(file, io.cwd);
      const outcomes = runPolicyTests(parsed);
      total += outcomes.length;
      for (const o of outcomes) {
        if (!o.passed) failed++;
        const where = parsed.source.where(o.pointer);
        if (fmt === 'text') println(io.stdout, `${o.passed ? 'ok  ' : 'FAIL'} ${o.test.name}${o.passed ? '' : `\n     ${where}: ${o.failure ?? ''}`}`);
        report.push({ file: parsed.file, name: o.test.name, where, passed: o.passed, expected: o.test.expect, effect: o.decision.effect, ...(o.failure ? { failure: o.failure } : {}) });
      }
    }
    if (fmt === 'json') println(io.stdout, JSON.stringify({ total, failed, tests: report }, null, 2));
    else println(io.stdout, `${total - failed} passed, ${failed} failed`);
    return failed > 0 ? 1 : 0;
  },
};
