// `mandate test FILE…`: runs each policy's `tests`; exit 1 on any failure, and when a file has no tests
// (nothing checked is not a pass) unless --allow-empty. Each test line names the instant it was decided at.
// Calls are decided with the governed servers' saved tool manifests (and --tools), as the proxy decides with their schemas.

import { DEFAULT_TEST_TIME, runPolicyTests } from '../../../harness';
import { format, parse } from '../args';
import { CliError, println, type CommandSpec } from '../io';
import { loadPolicy, policyTools } from '../load';

const usage = 'mandate test FILE… [--tools MANIFEST.json]… [--allow-empty] [--format text|json]';

export const test: CommandSpec = {
  summary: "run the policies' `tests` (exit 1 on a failure or when a file has none)",
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, { format: { type: 'string' }, 'allow-empty': { type: 'boolean' }, tools: { type: 'string', multiple: true } }, usage);
    const fmt = format(values.format, ['text', 'json'] as const, 'text');
    const allowEmpty = values['allow-empty'] === true;
    if (positionals.length === 0) throw new CliError(`no policy files given\nusage: ${usage}`);
    let failed = 0;
    let total = 0;
    let warnings = 0;
    let atDefault = 0;
    const empty: string[] = [];
    const report: object[] = [];
    for (const file of positionals) {
      const parsed = loadPolicy(file, io.cwd);
      // decided with the tools' input schemas, as `check`, `simulate` and the proxy decide: --tools, then the policy's own manifests
      const outcomes = runPolicyTests(parsed, DEFAULT_TEST_TIME, await policyTools(parsed, file, io.cwd, values.tools ?? []));
      total += outcomes.length;
      if (outcomes.length === 0) {
        empty.push(parsed.file);
        if (fmt === 'text') println(io.stdout, `${allowEmpty ? 'note' : 'FAIL'} ${parsed.file} has no \`tests:\`: nothing was checked${allowEmpty ? '' : ' (--allow-empty accepts this)'}`);
      }
      for (const o of outcomes) {
        if (!o.passed) failed++;
        warnings += o.warnings.length;
        if (o.defaultTime) atDefault++;
        const where = parsed.source.where(o.pointer);
        const at = new Date(o.at).toISOString();
        if (fmt === 'text') {
          // a test's own `at` is named on its line; the fixed default, once at the end
          println(io.stdout, `${o.passed ? 'ok  ' : 'FAIL'} ${o.test.name}${o.defaultTime ? '' : ` (at ${at})`}${o.passed ? '' : `\n     ${where}: ${o.failure ?? ''}`}`);
          for (const w of o.warnings) println(io.stdout, `     warning ${where}: ${w}`);
        }
        report.push({
          file: parsed.file, name: o.test.name, where, passed: o.passed, expected: o.test.expect, effect: o.decision.effect, at, at_default: o.defaultTime,
          ...(o.failure ? { failure: o.failure } : {}), ...(o.warnings.length > 0 ? { warnings: o.warnings } : {}),
        });
      }
    }
    const emptyFails = empty.length > 0 && !allowEmpty;
    if (fmt === 'json') {
      println(io.stdout, JSON.stringify({ total, failed, warnings, empty, default_at: new Date(DEFAULT_TEST_TIME).toISOString(), tests: report }, null, 2));
    } else {
      const tail = [warnings > 0 ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '', empty.length > 0 ? `${empty.length} file${empty.length === 1 ? '' : 's'} without tests` : '']
        .filter(Boolean).map((s) => `, ${s}`).join('');
      if (atDefault > 0) println(io.stdout, `${atDefault === total ? 'every test' : `${atDefault} test${atDefault === 1 ? '' : 's'}`} without \`at\` decided at ${new Date(DEFAULT_TEST_TIME).toISOString()} (fixed, so results never drift)`);
      println(io.stdout, `${total - failed} passed, ${failed} failed${tail}${total === 0 ? ': no test ran' : ''}`);
    }
    return failed > 0 || emptyFails ? 1 : 0;
  },
};
