// `mandate audit verify FILE` (hash chain; exit 1 naming the first bad record) and
// `mandate audit show FILE` (records, filtered, as text or JSON).

import { auditGaps, gapInWords, inPeriod, parseAuditLines, recordDecision, type AuditApproval, type AuditKind, type AuditRecord } from '../../../policies';
import { format, parse, runSubcommand, type Subcommands } from '../args';
import { CliError, println, type CommandSpec, type Io } from '../io';
import { liveWriter } from '../../proxy/auditLog';
import { readAuditLog, verifyAuditLog, warnIfBroken } from '../load';
import { auditAlerts, alertsUsage } from './auditAlerts';
import { auditExport, exportUsage } from './auditExport';
import { auditReview, parsePeriod, reviewUsage } from './auditReview';

const verifyUsage = 'mandate audit verify FILE [--anchor SEQ:HASH]… [--format text|json]';
const showUsage = 'mandate audit show FILE [--decision D] [--tool T] [--kind K] [--since 30d|ISO] [--until ISO] [--limit N] [--format text|json]';
/** Every subcommand's usage, one a line: `mandate audit --help` (and a subcommand's) prints them all. */
const usage = [verifyUsage, showUsage, reviewUsage, alertsUsage, exportUsage].join('\n       ');

async function verify(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string' }, anchor: { type: 'string', multiple: true } }, verifyUsage);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  const file = onlyFile(positionals, verifyUsage);
  const anchors = (values.anchor ?? []).map((a) => {
    const m = /^(\d+):([0-9a-fA-F]{16,64})$/.exec(a);
    if (!m || !Number.isSafeInteger(Number(m[1]))) throw new CliError(`--anchor expects SEQ:HASH — a record's sequence number and its SHA-256 (16 to 64 hex digits), as \`audit export\` sends them (mandate.seq, mandate.record_hash) — got \`${a}\``);
    return { seq: Number(m[1]), hash: m[2]! };
  });
  const log = readAuditLog(file);
  const r = verifyAuditLog(log, anchors);
  // a log a proxy is writing right now may be read with its last record half written: say so, rather than only "truncated"
  const writer = !r.ok && r.bad!.why.startsWith('truncated: the last record is incomplete') ? liveWriter(file) : undefined;
  // `head` is the chain's state after the last record (the next seq, the last hash); `anchor` names the last record
  // itself, as `--anchor SEQ:HASH` takes it (head's seq named a record that does not exist yet)
  const last = r.ok && r.head.seq > 0 ? { seq: r.head.seq - 1, hash: r.head.hash } : undefined;
  // a chain cannot show records cut off its end: a log that ends without a proxy's stop record, and that no proxy is
  // writing, ended with a proxy killed — or was cut. Only an anchor kept elsewhere can tell which (said, not failed)
  const stopped = last !== undefined ? endsStopped(log.text) : undefined;
  const open = stopped === false && anchors.length === 0 ? liveWriter(file) ?? 'none' : undefined;
  // a chain that verifies may still say that records are missing from it: the ones a proxy could not write (its disk was full)
  const gaps = r.ok ? auditGaps(parseAuditLines(log.text)) : [];
  if (fmt === 'json') {
    println(io.stdout, JSON.stringify({ file, ok: r.ok, records: r.records, head: r.head, ...(last ? { anchor: `${last.seq}:${last.hash}` } : {}), ...(r.bad ? { bad: r.bad } : {}), ...(writer ? { writer } : {}),
      ...(stopped !== undefined ? { ends_with_stop: stopped } : {}), ...(gaps.length > 0 ? { gaps } : {}) }));
  } else if (r.ok) {
    println(io.stdout, `ok: ${file}: ${r.records} record${r.records === 1 ? '' : 's'}, chain intact${last ? ` (last record ${last.seq}, hash ${last.hash.slice(0, 16)}: keep \`--anchor ${last.seq}:${last.hash.slice(0, 16)}\`)` : ''}`);
    if (open === 'none') println(io.stdout, 'note: the log does not end with a proxy\'s stop record and no proxy is writing it: its proxy was killed, or records were cut off the end — a hash chain cannot show which; verify with an `--anchor` kept elsewhere (`mandate audit export`)');
    else if (open !== undefined) println(io.stdout, `note: a proxy is writing this log now (pid ${open.pid} on ${open.host}): records after the last one above may come`);
    for (const g of gaps) println(io.stdout, `note: record ${g.seq}: the proxy could not write this log ${gapInWords(g)}`);
  } else {
    const seq = r.bad!.seq !== undefined ? ` (seq ${r.bad!.seq})` : '';
    println(io.stdout, `BROKEN: ${file}:${r.bad!.line}${seq}: ${r.bad!.why}; ${r.records} record${r.records === 1 ? '' : 's'} before it verify`);
    if (writer) println(io.stdout, `note: a proxy is writing this log now (pid ${writer.pid} on ${writer.host}, per \`${file}.lock\`): its last line may be a record being written — verify again, or verify a copy taken while it is stopped`);
  }
  return r.ok ? 0 : 1;
}

/** Whether the last record of a log is a proxy's `session` stop record (it ended as a proxy ends it). */
function endsStopped(text: string): boolean {
  const end = text.trimEnd();
  const line = end.slice(end.lastIndexOf('\n') + 1);
  try {
    const rec = JSON.parse(line) as { kind?: unknown; detail?: { event?: unknown } };
    return rec.kind === 'session' && rec.detail?.event === 'stop';
  } catch {
    return false;
  }
}

async function show(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    decision: { type: 'string', multiple: true }, tool: { type: 'string', multiple: true }, kind: { type: 'string', multiple: true },
    since: { type: 'string' }, until: { type: 'string' }, limit: { type: 'string' }, format: { type: 'string' },
  }, showUsage);
  const fmt = format(values.format, ['text', 'json'] as const, 'text');
  const file = onlyFile(positionals, showUsage);
  // as `audit review` and `report` read them: a duration before now, a date (its start in UTC) or a date-time with its zone
  const since = parsePeriod(values.since, '--since', io.now());
  const until = parsePeriod(values.until, '--until', io.now());
  if (values.limit !== undefined && !/^\d{1,15}$/.test(values.limit)) throw new CliError(`--limit expects a whole number of records, got \`${values.limit}\``);
  const limit = values.limit === undefined ? Infinity : Number(values.limit);
  // a value no record can have would filter every record out: a typo must not read as "nothing happened"
  for (const d of values.decision ?? []) {
    if (!DECISIONS.includes(d)) throw new CliError(`--decision expects one of ${DECISIONS.join(', ')}, got \`${d}\``);
  }
  for (const k of values.kind ?? []) {
    if (!KINDS.includes(k)) throw new CliError(`--kind expects one of ${KINDS.join(', ')}, got \`${k}\``);
  }
  const keep = (r: AuditRecord): boolean => {
    // a record whose time does not parse is shown (in log order) unless a period is asked for
    if (!inPeriod(r.time, since, until)) return false;
    if (values.kind && !values.kind.includes(r.kind)) return false;
    if (values.tool && (r.tool === undefined || !values.tool.includes(r.tool))) return false;
    if (values.decision) {
      const d = recordDecision(r);
      if (d === undefined || !values.decision.some((x) => d === x || d === `approval_${x}`)) return false;
    }
    return true;
  };
  const log = readAuditLog(file);
  warnIfBroken(log, io);
  const records = parseAuditLines(log.text).filter(keep);
  const shown = Number.isFinite(limit) ? records.slice(records.length - Math.min(limit, records.length)) : records;
  for (const r of shown) println(io.stdout, fmt === 'json' ? JSON.stringify(r) : describeRecord(r));
  return 0;
}

/** `--decision` values: an effect, or an approval's state (with or without `approval_`). */
const APPROVAL_STATES = ['asked', 'granted', 'refused', 'timeout', 'error'] as const satisfies readonly AuditApproval['state'][];
const DECISIONS: readonly string[] = ['allow', 'deny', 'approval_required', ...APPROVAL_STATES, ...APPROVAL_STATES.map((s) => `approval_${s}`)];
/** `--kind` values: every record kind. */
const KINDS: readonly string[] = ['session', 'decision', 'outcome', 'approval', 'auth', 'drift', 'policy', 'error'] satisfies readonly AuditKind[];

/** One readable line for a record. */
export function describeRecord(r: AuditRecord): string {
  const who = r.caller ? ` ${r.caller.principal ?? 'anonymous'}${r.caller.roles.length ? `(${r.caller.roles.join(',')})` : ''}` : '';
  const what = r.tool ? ` ${r.tool}` : r.method ? ` ${r.method}` : '';
  const d = recordDecision(r);
  // a session, auth or policy record says what happened in its detail (start, stop, accepted, reload_refused…)
  const detail = r.detail !== null && typeof r.detail === 'object' && !Array.isArray(r.detail) ? r.detail : undefined;
  const event = typeof detail?.['event'] === 'string' ? detail['event'] : typeof detail?.['outcome'] === 'string' ? detail['outcome'] : undefined;
  const why = typeof detail?.['why'] === 'string' ? detail['why'] : undefined;
  const reason = r.decision?.reasons[0] ?? r.error?.message ?? why ?? '';
  const res = r.result ? ` ${r.result.is_error ? 'error' : 'ok'}${r.result.latency_ms !== undefined ? ` ${r.result.latency_ms}ms` : ''}` : '';
  const id = r.approval ? ` [${r.approval.id}${r.approval.by ? ` by ${r.approval.by}` : ''}]` : '';
  return `#${r.seq} ${r.time} ${r.kind}${event && !d ? ` ${event}` : ''}${d ? ` ${d.toUpperCase()}` : ''}${what}${who}${id}${res}${reason ? ` — ${reason}` : ''}`;
}

function onlyFile(positionals: string[], usage: string): string {
  if (positionals.length !== 1) throw new CliError(`expected one audit log file\nusage: ${usage}`);
  return positionals[0]!;
}

const subcommands: Subcommands = { verify, show, review: auditReview, alerts: auditAlerts, export: auditExport };

export const audit: CommandSpec = {
  summary: 'verify an audit log\'s hash chain, show or review its records, raise its alerts, export it (OTLP)',
  usage,
  async run(argv, io) {
    return runSubcommand('audit', subcommands, argv, io, usage);
  },
};
