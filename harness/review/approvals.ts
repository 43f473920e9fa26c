// Approvals that always go one way: always granted (the approval step may be noise, or rubber-stamped)
// or always refused (the grant may not be needed at all).

import type { AuditRecord } from '../../policies';
import { requestKey, type Attribution } from './usage';
import type { ApprovalPattern } from './types';

type Counts = Omit<ApprovalPattern, 'verdict'>;

/** Group final approval outcomes by grant (or tool), keep groups that always went one way. */
export function approvalPatterns(records: readonly AuditRecord[], attribution: Attribution, minSamples: number): ApprovalPattern[] {
  const groups = new Map<string, Counts>();
  for (const r of records) {
    const state = r.approval?.state;
    if (r.kind !== 'approval' || state === undefined || state === 'asked') continue;
    const key = requestKey(r);
    const decided = key ? attribution.byRequest.get(key) : undefined;
    const tool = r.tool ?? decided?.tool;
    if (tool === undefined) continue;
    const grant = decided?.grants[0];
    const role = r.caller?.roles[0] ?? decided?.role;
    const gk = `${grant ?? ''}\u0000${tool}`;
    let c = groups.get(gk);
    if (!c) groups.set(gk, (c = { tool, granted: 0, refused: 0, timeout: 0, ...(grant !== undefined ? { grant } : {}), ...(role !== undefined ? { role } : {}) }));
    if (state === 'granted') c.granted++;
    else if (state === 'refused') c.refused++;
    else c.timeout++;
  }
  const out: ApprovalPattern[] = [];
  for (const c of groups.values()) {
    const total = c.granted + c.refused + c.timeout;
    if (total < minSamples) continue;
    if (c.granted === total) out.push({ verdict: 'always_granted', ...c });
    else if (c.granted === 0) out.push({ verdict: 'always_refused', ...c });
  }
  return out.sort((a, b) => a.tool.localeCompare(b.tool) || (a.grant ?? '').localeCompare(b.grant ?? ''));
}
