// The compliance report's model: policy version, who may do what, what happened, integrity, findings.
// Pure: the SHA-256 function is injected; html/md/json renderers read only this model.

import { auditGaps, compile, gapInWords, inPeriod, parseAuditLines, verifyChain, type AuditRecord, type ParsedPolicy, type Sha256 } from '../../policies';
import { lintText } from '../../policies/lint';
import { reviewAudit, type ReviewResult } from '../review';
import { buildActivity, type Activity } from './activity';
import { buildMatrix, type Matrix } from './matrix';

export interface ReportLog {
  /** the log's name as the user gave it */
  file: string;
  /** its text, decoded once by `decodeAuditLog` (and `invalidUtf8Line` with it) */
  text: string;
  /** the first line whose bytes are not valid UTF-8: verification fails there */
  invalidUtf8Line?: number;
}

export interface ReportInput {
  policy: ParsedPolicy;
  logs: readonly ReportLog[];
  sha256: Sha256;
  /** the report's clock, ms since epoch */
  now: number;
  since?: number;
  until?: number;
}

export interface IntegrityEntry {
  file: string;
  ok: boolean;
  records: number;
  head: string;
  /** the first bad record: line, sequence number, why */
  bad?: { line: number; seq?: number; why: string };
}

export interface ReportFinding {
  source: 'lint' | 'review' | 'integrity';
  rule: string;
  severity: 'error' | 'warning' | 'info';
  message: string;
  where?: string;
}

export interface ReportModel {
  title: string;
  generatedAt: string;
  policy: { file: string; name?: string; version: string; roles: number; grants: number; denies: number };
  period: { since: string | null; until: string | null };
  matrix: Matrix;
  activity: Activity;
  integrity: { ok: boolean; logs: IntegrityEntry[] };
  /** policy versions named by the logs' records; a version other than `policy.version` means another policy decided them */
  versionsInLogs: string[];
  findings: ReportFinding[];
  review: ReviewResult;
}

/** Build the report model from a policy and its audit logs. */
export function buildReport(input: ReportInput): ReportModel {
  const { policy: parsed, sha256 } = input;
  const compiled = compile(parsed);
  const integrity = input.logs.map((l) => integrityOf(l, sha256));
  const since = input.since ?? -Infinity;
  const until = input.until ?? Infinity;
  // a record whose time does not parse is kept unless a period is asked for
  const records: AuditRecord[] = input.logs.flatMap((l) => parseAuditLines(l.text)).filter((r) => inPeriod(r.time, since, until));
  const review = reviewAudit(compiled, records, { ...(input.since !== undefined ? { since } : {}), ...(input.until !== undefined ? { until } : {}) });
  const seenTools = [...new Set(records.flatMap((r) => (r.tool !== undefined && r.kind === 'decision' ? [r.tool] : [])))];
  const findings: ReportFinding[] = [
    ...integrity.filter((i) => !i.ok).map((i): ReportFinding => ({ source: 'integrity', rule: 'audit/chain-broken', severity: 'error', message: `audit log \`${i.file}\` fails verification at line ${i.bad!.line}: ${i.bad!.why}`, where: `${i.file}:${i.bad!.line}` })),
    // records the proxy could not write (its calls were denied): the chain verifies, but the log is not the whole story
    ...input.logs.flatMap((l) => auditGaps(parseAuditLines(l.text)).filter((g) => inPeriod(g.until, since, until)).map((g): ReportFinding => ({
      source: 'integrity', rule: 'audit/records-lost', severity: 'warning',
      message: `audit log \`${l.file}\`: the proxy could not write it ${gapInWords(g)}`,
      where: `${l.file} seq ${g.seq}`,
    }))),
    ...lintText(parsed.text, parsed.file, { now: input.now }).map((f): ReportFinding => ({ source: 'lint', rule: f.rule, severity: f.severity, message: f.message, where: `${f.range.file}:${f.range.start.line}:${f.range.start.col}` })),
    ...review.findings.map((f): ReportFinding => ({ source: 'review', rule: f.rule, severity: f.severity, message: f.message, ...(f.where ? { where: f.where } : {}) })),
  ];
  const p = parsed.policy;
  return {
    title: `Mandate compliance report${p.name ? `: ${p.name}` : ''}`,
    generatedAt: new Date(input.now).toISOString(),
    policy: {
      file: parsed.file, ...(p.name ? { name: p.name } : {}), version: sha256(parsed.text),
      roles: Object.keys(p.roles ?? {}).length, grants: p.grants?.length ?? 0, denies: p.deny?.length ?? 0,
    },
    period: review.period,
    matrix: buildMatrix(compiled, seenTools),
    activity: buildActivity(records),
    integrity: { ok: integrity.every((i) => i.ok), logs: integrity },
    versionsInLogs: review.policyVersions,
    findings,
    review,
  };
}

function integrityOf(log: ReportLog, sha256: Sha256): IntegrityEntry {
  const v = verifyChain(log, sha256);
  return { file: log.file, ok: v.ok, records: v.records, head: v.head.hash, ...(v.bad ? { bad: v.bad } : {}) };
}
