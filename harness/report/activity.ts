// What happened: decisions, approvals and errors from audit records, bucketed over time and by tool.

import type { AuditRecord } from '../../policies';

export interface Bucket {
  /** ISO start of the bucket */
  start: string;
  allowed: number;
  approval: number;
  denied: number;
  errors: number;
}

export interface ToolActivity {
  tool: string;
  allowed: number;
  approval: number;
  denied: number;
  errors: number;
}

export interface Activity {
  /** bucket width in ms */
  bucketMs: number;
  buckets: Bucket[];
  tools: ToolActivity[];
  totals: { decisions: number; allowed: number; approval: number; denied: number; errors: number; approvalsGranted: number; approvalsRefused: number; drift: number; sessions: number };
  first?: string;
  last?: string;
}

const WIDTHS = [60e3, 300e3, 900e3, 3600e3, 6 * 3600e3, 86400e3, 7 * 86400e3, 30 * 86400e3];
/** at most this many buckets in a chart */
export const MAX_BUCKETS = 48;

type Counted = Omit<Bucket, 'start'>;

function kindOf(r: AuditRecord): keyof Counted | undefined {
  if (r.kind === 'decision' && r.decision) {
    return r.decision.effect === 'allow' ? 'allowed' : r.decision.effect === 'deny' ? 'denied' : 'approval';
  }
  if ((r.kind === 'outcome' && r.result?.is_error) || r.kind === 'error') return 'errors';
  return undefined;
}

/**
 * Count records over time (at most MAX_BUCKETS buckets) and per tool. A record whose time does not parse is
 * counted in the totals and per tool, but in no time bucket.
 */
export function buildActivity(records: readonly AuditRecord[]): Activity {
  const all = records.map((r) => ({ r, t: Date.parse(r.time) }));
  const totals: Activity['totals'] = { decisions: 0, allowed: 0, approval: 0, denied: 0, errors: 0, approvalsGranted: 0, approvalsRefused: 0, drift: 0, sessions: 0 };
  // a loop, not Math.min(...spread): a large log would overflow the call stack
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const x of all) {
    if (x.t < t0) t0 = x.t;
    if (x.t > t1) t1 = x.t;
  }
  const timed = t0 <= t1;
  const bucketMs = !timed ? WIDTHS[0]! : WIDTHS.find((w) => Math.floor(t1 / w) - Math.floor(t0 / w) < MAX_BUCKETS) ?? Math.ceil((t1 - t0 + 1) / MAX_BUCKETS);
  const base = Math.floor(t0 / bucketMs) * bucketMs;
  const n = timed ? Math.floor((t1 - base) / bucketMs) + 1 : 0;
  const buckets: Bucket[] = Array.from({ length: n }, (_, i) => ({ start: new Date(base + i * bucketMs).toISOString(), allowed: 0, approval: 0, denied: 0, errors: 0 }));
  const tools = new Map<string, ToolActivity>();
  for (const { r, t } of all) {
    if (r.kind === 'approval' && r.approval?.state === 'granted') totals.approvalsGranted++;
    else if (r.kind === 'approval' && r.approval && r.approval.state !== 'asked') totals.approvalsRefused++;
    if (r.kind === 'drift') totals.drift++;
    if (r.kind === 'session') totals.sessions++;
    const k = kindOf(r);
    if (!k) continue;
    if (r.kind === 'decision') totals.decisions++;
    totals[k]++;
    if (Number.isFinite(t)) buckets[Math.floor((t - base) / bucketMs)]![k]++;
    if (r.tool !== undefined) {
      let ta = tools.get(r.tool);
      if (!ta) tools.set(r.tool, (ta = { tool: r.tool, allowed: 0, approval: 0, denied: 0, errors: 0 }));
      ta[k]++;
    }
  }
  return {
    bucketMs, buckets, totals,
    tools: [...tools.values()].sort((a, b) => total(b) - total(a) || a.tool.localeCompare(b.tool)),
    ...(timed ? { first: new Date(t0).toISOString(), last: new Date(t1).toISOString() } : {}),
  };
}

function total(t: Counted): number {
  return t.allowed + t.approval + t.denied + t.errors;
}
