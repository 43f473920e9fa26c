// `mandate report --policy P --audit LOG… [--out FILE] [--format html|md|json]`: the compliance report —
// who may do what, what happened, audit chain integrity, lint and review findings, the policy version.

import { printable } from '../../../policies';
import { statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readFailure } from '../../proxy/readBounded';
import { buildReport, renderHtml, renderMarkdown } from '../../../harness/report';
import { sha256 } from '../../proxy/hash';
import { format, parse, required } from '../args';
import { CliError, println, type CommandSpec } from '../io';
import { brokenLog, loadPolicy, readAuditLog } from '../load';
import { parsePeriod } from './auditReview';

const usage = 'mandate report --policy P --audit LOG… [--out FILE] [--format html|md|json] [--since 30d|ISO] [--until ISO]';

export const report: CommandSpec = {
  summary: 'write a compliance report (who may do what, what happened, integrity, findings)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parse(argv, {
      policy: { type: 'string' }, audit: { type: 'string', multiple: true }, out: { type: 'string' }, format: { type: 'string' },
      since: { type: 'string' }, until: { type: 'string' },
    }, usage, false);
    void positionals;
    const policy = loadPolicy(required(values.policy, '--policy', usage), io.cwd);
    // the format follows --out's extension; another extension without --format is refused (`r.txt` got HTML, unsaid)
    const ext = values.out === undefined ? undefined : /\.([^./\\]+)$/.exec(values.out)?.[1]?.toLowerCase();
    const byExt: Record<string, 'html' | 'md' | 'json'> = { html: 'html', htm: 'html', md: 'md', markdown: 'md', json: 'json' };
    if (values.out !== undefined && values.format === undefined && (ext === undefined || byExt[ext] === undefined)) {
      throw new CliError(`--out ${values.out}: the format follows the file's extension (.html, .md, .json); name one, or give --format html|md|json`);
    }
    const guessed = ext !== undefined ? byExt[ext] ?? 'html' : 'html';
    const fmt = format(values.format, ['html', 'md', 'json'] as const, guessed);
    const audits = values.audit ?? [];
    if (audits.length === 0) throw new CliError(`missing --audit\nusage: ${usage}`);
    // INVARIANT: the report never takes the place of what it reads (`--out audit.jsonl` with --format json wrote over the log)
    if (values.out !== undefined) {
      const input = [[values.policy!, 'policy'], ...audits.map((a) => [a, 'audit log'])].find(([p]) => sameFile(resolve(io.cwd, p!), resolve(io.cwd, values.out!)));
      if (input) throw new CliError(`--out \`${values.out}\` is the ${input[1]} the report reads: not overwriting it (name another file)`);
    }
    const since = parsePeriod(values.since, '--since', io.now());
    const until = parsePeriod(values.until, '--until', io.now());
    const model = buildReport({
      policy, sha256, now: io.now(),
      // each log read once: what is verified is what is reported
      logs: audits.map((file) => readAuditLog(file)),
      ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}),
    });
    const text = fmt === 'html' ? renderHtml(model) : fmt === 'md' ? renderMarkdown(model) : `${JSON.stringify(model, null, 2)}\n`;
    if (values.out === undefined) io.stdout.write(printable(text, false)); // record text may hold terminal escapes
    else {
      try {
        writeFileSync(values.out, text);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new CliError(`cannot write \`${values.out}\`: ${code === 'ENOENT' ? 'its folder does not exist' : readFailure(err)}`);
      }
      println(io.stderr, `wrote ${values.out} (${fmt}, policy version ${model.policy.version.slice(0, 12)}, ${model.activity.totals.decisions} decisions, ${model.findings.length} findings)`);
    }
    // INVARIANT: a report over a broken audit chain is still written (it says so) but never exits 0.
    for (const l of model.integrity.logs.filter((x) => !x.ok)) println(io.stderr, brokenLog(l.file, l.bad));
    return model.integrity.ok ? 0 : 1;
  },
};

/** Whether two paths name one file (the same path, or links to one file); false when either does not exist. */
function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
