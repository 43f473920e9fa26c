// `mandate audit export --otlp URL LOG… [--follow]`: sends audit records to an OpenTelemetry collector
// over OTLP/HTTP logs. The file log stays the source of truth; verification runs on the file first.

import { verifyChain } from '../../../policies';
import { followLines } from '../../proxy/alerts/follow';
import { sha256 } from '../../proxy/hash';
import { OtlpAuditExporter } from '../../proxy/otel';
import { parse, required } from '../args';
import { CliError, println, type Io } from '../io';
import { readText } from '../load';

const usage = 'mandate audit export --otlp URL LOG… [--header k=v]… [--service NAME] [--follow]';

/** Run `mandate audit export`. Exit 1 when a log fails verification (its records are still sent, flagged `mandate.chain: broken`). */
export async function auditExport(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { otlp: { type: 'string' }, header: { type: 'string', multiple: true }, service: { type: 'string' }, follow: { type: 'boolean' } }, usage);
  const url = required(values.otlp, '--otlp', usage);
  if (positionals.length === 0) throw new CliError(`expected at least one audit log\nusage: ${usage}`);
  if (values.follow && positionals.length !== 1) throw new CliError('--follow takes one audit log');
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const eq = h.indexOf('=');
    if (eq <= 0) throw new CliError(`--header expects key=value, got \`${h}\``);
    headers[h.slice(0, eq)] = h.slice(eq + 1);
  }
  let exporter: OtlpAuditExporter;
  try {
    exporter = new OtlpAuditExporter({ url, headers, sha256, ...(values.service ? { serviceName: values.service } : {}) });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  let ok = true;
  let sent = 0;
  for (const file of positionals) {
    const v = verifyChain(readText(file, 'audit log'), sha256);
    if (!v.ok) {
      ok = false;
      println(io.stderr, `audit log \`${file}\` fails verification at line ${v.bad?.line}: ${v.bad?.why}`);
    }
    const f = followLines(file, (line) => {
      try {
        exporter.export(JSON.parse(line), line, !v.ok);
        sent++;
      } catch {
        println(io.stderr, `skipped a line of \`${file}\` that is not a JSON record`);
      }
    }, values.follow === true);
    if (values.follow) {
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
      });
      f.stop();
    }
  }
  await exporter.shutdown();
  println(io.stderr, `exported ${sent} record${sent === 1 ? '' : 's'} to ${url}`);
  return ok ? 0 : 1;
}
