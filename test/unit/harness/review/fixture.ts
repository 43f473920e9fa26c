// Test fixture: a small policy and audit logs written through the real audit writer into temp files.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, parseAuditLines, parsePolicy, type AuditEntry, type AuditRecord, type CompiledPolicy, type Effect, type ParsedPolicy } from '../../../../policies';
import { AuditLog } from '../../../../extension/proxy/auditLog';
import { tempDir } from '../../../support/tmp';

export const POLICY = `version: 1
roles:
  reader: { description: Reads files., read_only: true }
  writer: { description: Writes after approval. }
  oncall: { description: Break-glass., emergency: true }
grants:
  - { id: read-docs, agent_role: reader, tools: [read_file, list_directory, "search_*"] }
  - { id: write-docs, agent_role: writer, tool: write_file, requires_approval: true }
  - { id: writer-reads, agent_role: writer, tools: [read_file] }
  - { agent_role: oncall, tools: [restart_service], expires: 2026-12-31T00:00:00Z }
deny:
  - { id: no-deletes, tools: ["delete_*"], reason: Deletions go through change management. }
`;

/** The fixture policy, parsed and compiled. */
export function fixturePolicy(text = POLICY): { parsed: ParsedPolicy; compiled: CompiledPolicy } {
  const r = parsePolicy(text, 'fixture.mandate.yaml');
  if (!r.ok) throw new Error(r.findings.map((f) => f.message).join('; '));
  return { parsed: r.parsed, compiled: compile(r.parsed) };
}

/** A decision entry as the proxy writes one. */
export function decision(time: string, id: string, who: string, role: string, tool: string, effect: Effect, rules: string[]): AuditEntry {
  return { kind: 'decision', time, request_id: id, session: 's1', caller: { principal: who, roles: [role] }, server: 'fs', tool, args: {}, decision: { effect, rules, reasons: [] }, policy: { version: 'v1' } };
}

/** An approval outcome entry for a request. */
export function approval(time: string, id: string, role: string, tool: string, state: 'granted' | 'refused' | 'timeout'): AuditEntry {
  return { kind: 'approval', time, request_id: id, session: 's1', caller: { principal: 'alice', roles: [role] }, tool, approval: { id: `a-${id}`, state, by: 'bob', via: 'terminal' } };
}

/** Write entries through AuditLog to a fresh temp file; returns its path, text and parsed records. */
export function writeLog(entries: readonly AuditEntry[]): { path: string; text: string; records: AuditRecord[] } {
  const path = join(tempDir('mandate-review-'), 'audit.jsonl');
  const log = AuditLog.open(path);
  for (const e of entries) log.append(e);
  log.close();
  const text = readFileSync(path, 'utf8');
  return { path, text, records: parseAuditLines(text) };
}
