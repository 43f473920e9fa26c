// Attributes the audit log's decisions to the policy's grants: which grant allowed each call, for whom.
// A decision names its rules by id; when the id is unknown (an older policy) the role's matching grants count.

import { lookup, type AuditRecord, type CompiledGrant, type CompiledPolicy } from '../../policies';
import type { GrantUsage } from './types';

/** Running tallies for one grant. */
interface Tally {
  grant: CompiledGrant;
  calls: number;
  by: Map<string, number>;
  clients: Map<string, number>;
  perTool: Map<string, number>;
  first?: string;
  last?: string;
}

export interface Attribution {
  usage: GrantUsage[];
  /** decision records in the input */
  decisions: number;
  /** rule ids that decisions name but the policy does not have */
  unknownRules: string[];
  /** request id → the grants that decided it (for linking approvals) */
  byRequest: Map<string, { grants: string[]; tool: string; role?: string }>;
}

/** The key linking an approval record to its decision: session and request id (`1` and `"1"` are different requests). */
export function requestKey(r: AuditRecord): string | undefined {
  const id = r.request_id;
  if (typeof id !== 'string' && typeof id !== 'number') return undefined;
  return `${r.session ?? ''}\u0000${typeof id === 'number' ? 'n' : 's'}${id}`;
}

/** Count, per grant, the decisions it allowed or sent to approval. */
export function attribute(compiled: CompiledPolicy, records: readonly AuditRecord[]): Attribution {
  const byId = new Map<string, CompiledGrant>();
  for (const g of compiled.grants) {
    byId.set(g.ref.id, g);
    byId.set(g.ref.pointer, g);
  }
  const tallies = new Map<CompiledGrant, Tally>(compiled.grants.map((g) => [g, { grant: g, calls: 0, by: new Map(), clients: new Map(), perTool: new Map() }]));
  const unknown = new Set<string>();
  const byRequest: Attribution['byRequest'] = new Map();
  let decisions = 0;
  for (const r of records) {
    if (r.kind !== 'decision' || !r.decision) continue;
    decisions++;
    if (r.decision.effect === 'deny' || r.tool === undefined) continue;
    const grants = grantsOf(r, compiled, byId, unknown);
    const key = requestKey(r);
    const role = r.caller?.roles[0];
    if (key) byRequest.set(key, { grants: grants.map((g) => g.ref.id), tool: r.tool, ...(role !== undefined ? { role } : {}) });
    for (const g of grants) count(tallies.get(g)!, r, r.tool);
  }
  return { usage: [...tallies.values()].map(toUsage), decisions, unknownRules: [...unknown].sort(), byRequest };
}

function grantsOf(r: AuditRecord, compiled: CompiledPolicy, byId: Map<string, CompiledGrant>, unknown: Set<string>): CompiledGrant[] {
  const named: CompiledGrant[] = [];
  for (const id of r.decision?.rules ?? []) {
    const g = byId.get(id);
    if (g) named.push(g);
    else if (!compiled.denies.some((d) => d.ref.id === id)) unknown.add(id);
  }
  if (named.length > 0) return named;
  // INVARIANT: a call the log says was allowed is never silently dropped from the review: without a
  // known rule id it counts for every grant of the caller's roles that names the tool.
  const roles = r.caller?.roles ?? [];
  return roles.flatMap((role) => [...lookup(compiled.grantIndex.get(role), r.tool!)]);
}

function count(t: Tally, r: AuditRecord, tool: string): void {
  t.calls++;
  const who = r.caller?.principal ?? 'anonymous';
  t.by.set(who, (t.by.get(who) ?? 0) + 1);
  const client = r.caller?.client ? `${r.caller.client.name}${r.caller.client.version ? `/${r.caller.client.version}` : ''}` : undefined;
  if (client !== undefined) t.clients.set(client, (t.clients.get(client) ?? 0) + 1);
  t.perTool.set(tool, (t.perTool.get(tool) ?? 0) + 1);
  // a time that does not parse counts the call but is no first or last use
  if (typeof r.time !== 'string' || Number.isNaN(Date.parse(r.time))) return;
  if (t.first === undefined || r.time < t.first) t.first = r.time;
  if (t.last === undefined || r.time > t.last) t.last = r.time;
}

function ranked(m: Map<string, number>): Array<[string, number]> {
  return [...m.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

function toUsage(t: Tally): GrantUsage {
  const g = t.grant;
  return {
    grant: g.ref.id, pointer: g.ref.pointer, where: g.where, role: g.role, tools: [...g.tools], requiresApproval: g.approval,
    calls: t.calls,
    by: ranked(t.by).map(([principal, calls]) => ({ principal, calls })),
    clients: ranked(t.clients).map(([client, calls]) => ({ client, calls })),
    perTool: ranked(t.perTool).map(([tool, calls]) => ({ tool, calls })),
    ...(t.first !== undefined ? { firstUsed: t.first } : {}),
    ...(t.last !== undefined ? { lastUsed: t.last } : {}),
  };
}
