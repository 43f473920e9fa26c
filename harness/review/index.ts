// Access review: audit records + a compiled policy → which grants were used, by whom, how often;
// unused grants, roles to narrow (with a proposed edit) and one-sided approvals. Pure: data in, data out.

import { inPeriod as recordInPeriod, type AuditRecord, type CompiledPolicy } from '../../policies';
import { approvalPatterns } from './approvals';
import { narrowRoles } from './narrow';
import type { ApprovalPattern, GrantUsage, ReviewFinding, ReviewResult, RoleNarrowing } from './types';
import { attribute } from './usage';

export type { ApprovalPattern, ApprovalVerdict, GrantUsage, ReviewFinding, ReviewResult, RoleNarrowing } from './types';

export interface ReviewOptions {
  /** period start, ms since epoch, inclusive (default: everything) */
  since?: number;
  /** period end, ms since epoch, exclusive (default: everything) */
  until?: number;
  /** fewest final approval outcomes before "always granted/refused" is reported (default 2) */
  minApprovals?: number;
}

/** Review a policy's grants against audit records. */
export function reviewAudit(compiled: CompiledPolicy, records: readonly AuditRecord[], options: ReviewOptions = {}): ReviewResult {
  const since = options.since ?? -Infinity;
  const until = options.until ?? Infinity;
  const inPeriod = records.filter((r) => recordInPeriod(r.time, since, until));
  const attribution = attribute(compiled, inPeriod);
  const unused = attribution.usage.filter((u) => u.calls === 0);
  const narrowing = narrowRoles(compiled, attribution.usage);
  const approvals = approvalPatterns(inPeriod, attribution, options.minApprovals ?? 2);
  const versions = new Set<string>();
  for (const r of inPeriod) if (r.policy?.version) versions.add(r.policy.version);
  return {
    period: { since: iso(since), until: iso(until) },
    records: inPeriod.length,
    decisions: attribution.decisions,
    policyVersions: [...versions].sort(),
    grants: attribution.usage,
    unused,
    narrowing,
    approvals,
    findings: findingsOf(unused, narrowing, approvals, attribution.unknownRules),
  };
}

function iso(t: number): string | null {
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
}

function findingsOf(unused: GrantUsage[], narrowing: RoleNarrowing[], approvals: ApprovalPattern[], unknownRules: string[]): ReviewFinding[] {
  const out: ReviewFinding[] = [];
  for (const u of unused) {
    out.push({ rule: 'review/unused-grant', severity: 'warning', where: u.where, message: `grant \`${u.grant}\` (role \`${u.role}\`: ${u.tools.map((t) => `\`${t}\``).join(', ')}) was never used in the period: a candidate for removal` });
  }
  for (const n of narrowing) {
    out.push({ rule: 'review/narrow-role', severity: 'warning', where: n.replaces[0]?.where ?? '', message: `role \`${n.role}\` used ${n.used.length} of the tools it holds; never used: ${n.unused.map((t) => `\`${t}\``).join(', ') || 'globs wider than the calls'}` });
  }
  for (const a of approvals) {
    const what = `${a.grant ? `grant \`${a.grant}\`` : 'calls'} on \`${a.tool}\``;
    out.push(a.verdict === 'always_granted'
      ? { rule: 'review/approval-always-granted', severity: 'info', message: `approvals for ${what} were granted ${a.granted} of ${a.granted} times: check the approval is a real decision` }
      : { rule: 'review/approval-always-refused', severity: 'warning', message: `approvals for ${what} were never granted (${a.refused} refused, ${a.timeout} timed out): the grant may not be needed` });
  }
  for (const id of unknownRules) {
    out.push({ rule: 'review/unknown-rule', severity: 'info', message: `the log names rule \`${id}\`, which this policy does not have (decided under another policy version)` });
  }
  return out;
}

/** The review as readable text. */
export function formatReview(r: ReviewResult): string {
  const lines: string[] = [];
  const period = `${r.period.since ?? 'the beginning'} to ${r.period.until ?? 'now'}`;
  lines.push(`access review: ${period}: ${r.records} records, ${r.decisions} decisions`);
  lines.push('', 'grants:');
  for (const g of r.grants) {
    const clients = g.clients.map((c) => c.client).join(', ');
    const who = `${g.by.map((b) => `${b.principal} ×${b.calls}`).join(', ')}${clients ? ` via ${clients}` : ''}`;
    lines.push(`  ${g.calls === 0 ? 'UNUSED' : `${g.calls} call${g.calls === 1 ? '' : 's'}`.padEnd(6)} ${g.grant} (${g.role}: ${g.tools.join(', ')}) ${g.where}${who ? ` — by ${who}` : ''}${g.lastUsed ? `, last ${g.lastUsed}` : ''}`);
  }
  for (const n of r.narrowing) {
    lines.push('', `role ${n.role} uses ${n.used.join(', ')}; holds ${n.held.join(', ')}. proposed grants (replacing ${n.replaces.map((x) => `${x.grant} at ${x.where}`).join(', ')}):`);
    lines.push(...n.proposal.trimEnd().split('\n').map((l) => `  ${l}`));
  }
  if (r.findings.length > 0) lines.push('', 'findings:');
  for (const f of r.findings) lines.push(`  ${f.where ? `${f.where}: ` : ''}${f.severity} ${f.rule}: ${f.message}`);
  return lines.join('\n');
}
