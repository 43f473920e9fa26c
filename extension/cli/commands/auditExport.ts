// `mandate audit export --otlp URL LOG… [--follow]`: sends audit records to an OpenTelemetry collector
// over OTLP/HTTP logs. The file log stays the source of truth; verification runs on the file first.

import { ChainChecker, isChainedRecord } from '../../../policies';
import { followLines } from '../../proxy/alerts/follow';
import { readFailure } from '../../proxy/readBounded';
import { sha256 } from '../../proxy/hash';
import { OtlpAuditExporter } from '../../proxy/otel';
import { parse, required } from '../args';
import { CliError, println, type Io } from '../io';
import { brokenLog, readAuditLog, readBytes, verifyAuditLog } from '../load';

export const exportUsage = 'mandate audit export --otlp URL LOG… [--header k=v]… [--service NAME] [--follow]';

/**
 * Run `mandate audit export`. Exit 1 when a log fails verification (its records are still sent, flagged
 * `mandate.chain: broken`) — with `--follow`, also when an appended line does not continue the chain: that
 * record and every later one are flagged.
 */
export async function auditExport(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { otlp: { type: 'string' }, header: { type: 'string', multiple: true }, service: { type: 'string' }, follow: { type: 'boolean' } }, exportUsage);
  const url = required(values.otlp, '--otlp', exportUsage);
  if (positionals.length === 0) throw new CliError(`expected at least one audit log\nusage: ${exportUsage}`);
  const follow = values.follow === true;
  if (follow && positionals.length !== 1) throw new CliError('--follow takes one audit log');
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
  const send = (file: string, line: string, broken: boolean): void => {
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch {
      rec = undefined;
    }
    // INVARIANT: only objects shaped as records are exported (`null`, `[]`, `5` are skipped, never dereferenced)
    if (!isChainedRecord(rec)) {
      println(io.stderr, `skipped a line of \`${file}\` that is not an audit record`);
      return;
    }
    exporter.export(rec, line, broken);
    sent++;
  };
  for (const file of positionals) {
    // INVARIANT: what is exported is exactly what was verified — one read. Following, only up to the last
    // newline (a record mid-write is not "truncated"); the rest is followed from that byte on.
    const bytes = readBytes(file, 'audit log');
    const end = follow ? bytes.lastIndexOf(0x0a) + 1 : bytes.length;
    const log = readAuditLog(file, bytes.subarray(0, end));
    const v = verifyAuditLog(log);
    let broken = !v.ok;
    if (broken) {
      ok = false;
      println(io.stderr, brokenLog(file, v.bad));
    }
    const lines = log.text.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    for (const line of lines) if (line.length > 0) send(file, line, broken);
    if (!follow) continue;
    // each appended line is checked against the running head; after a break, it and every later record are flagged
    const chain = new ChainChecker(sha256, v.head);
    let lineNo = lines.length;
    let f;
    try {
      f = followLines(file, (line, { validUtf8 }) => {
        lineNo++;
        if (!broken) {
          const c = chain.check(line, validUtf8);
          if (!c.ok) {
            broken = true;
            ok = false;
            println(io.stderr, `${brokenLog(file, { line: lineNo, why: c.fault.why })}; this and every later record are sent marked \`mandate.chain: broken\``);
          }
        }
        if (line.length > 0) send(file, line, broken);
      }, true, { start: end });
    } catch (err) {
      await exporter.shutdown();
      throw new CliError(`cannot follow audit log \`${file}\`: ${readFailure(err)}`);
    }
    await new Promise<void>((resolve) => {
      for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
    });
    f.stop();
  }
  await exporter.shutdown();
  const failed = exporter.failed();
  if (failed.records > 0) {
    // INVARIANT: records the collector did not take are never reported as exported
    println(io.stderr, `could not send ${failed.records} of ${sent} record${sent === 1 ? '' : 's'} to ${url}: ${failed.error?.message ?? 'refused'}`);
    return 1;
  }
  println(io.stderr, `exported ${sent} record${sent === 1 ? '' : 's'} to ${url}`);
  return ok ? 0 : 1;
}
