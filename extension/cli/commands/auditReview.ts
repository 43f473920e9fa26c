// `mandate audit review --policy P LOG… [--since 30d]`: the access review — which grants were used,
// by whom, how often; unused grants; roles to narrow (with a proposed edit); one-sided approvals.

import { compile, parseAuditLines, parseDateTime } from '../../../policies';
import { formatReview, reviewAudit } from '../../../harness/review';
import { format, parse, required } from '../args';
import { CliError, println, type Io } from '../io';
import { loadPolicy, readAuditLog, warnIfBroken } from '../load';

export const reviewUsage = 'mandate audit review --policy P LOG… [--since 30d|ISO] [--until ISO] [--min-approvals N] [--format text|json]';

const UNITS: Record<string, number> = { m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/**
 * `30d`, `12h`, `90m`, `2w` (before now), a date (`2026-11-01`, its start in UTC) or an RFC 3339 date-time
 * with its zone → ms since epoch. A date-time without a zone is refused: read in the reviewer's local time,
 * the same command would count different calls on different machines.
 */
export function parsePeriod(value: string | undefined, flag: string, now: number): number | undefined {
  if (value === undefined) return undefined;
  const rel = /^(\d{1,6})([mhdw])$/.exec(value);
  if (rel) return now - Number(rel[1]) * UNITS[rel[2]!]!;
  const t = /^\d{4}-\d\d-\d\d$/.test(value) ? parseDateTime(`${value}T00:00:00Z`) : parseDateTime(value);
  if (Number.isNaN(t)) {
    const hint = !Number.isNaN(parseDateTime(`${value}Z`)) ? ' (add `Z` or an offset such as +01:00)'
      : !Number.isNaN(parseDateTime(value.replace(/^([^T t]+[T t]\d\d:\d\d)/, '$1:00'))) ? ' (add the seconds: `:00`)' : '';
    throw new CliError(`${flag} expects a duration such as \`30d\`, \`12h\`, \`2w\`, a date such as 2026-11-01 or a date-time with its zone such as 2026-11-01T09:00:00Z, got \`${value}\`${hint}`);
  }
  return t;
}

/** Run `mandate audit review`. Exit 0; the review is information, not a gate (a log failing verification is warned of on stderr). */
export async function auditReview(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    policy: { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, 'min-approvals': { type: 'string' }, format: { type: 'string' },
  }, reviewUsage);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  const policy = loadPolicy(required(values.policy, '--policy', reviewUsage), io.cwd);
  if (positionals.length === 0) throw new CliError(`expected at least one audit log\nusage: ${reviewUsage}`);
  const min = values['min-approvals'] === undefined ? 2 : Number(values['min-approvals']);
  if (!Number.isInteger(min) || min < 1) throw new CliError(`--min-approvals expects a whole number ≥ 1, got \`${values['min-approvals']}\``);
  const since = parsePeriod(values.since, '--since', io.now());
  const until = parsePeriod(values.until, '--until', io.now());
  const records = positionals.flatMap((f) => {
    const log = readAuditLog(f);
    warnIfBroken(log, io);
    return parseAuditLines(log.text);
  });
  const result = reviewAudit(compile(policy), records, { minApprovals: min, ...(since !== undefined ? { since } : {}), ...(until !== undefined ? { until } : {}) });
  println(io.stdout, fmt === 'json' ? JSON.stringify(result, null, 2) : formatReview(result));
  return 0;
}
