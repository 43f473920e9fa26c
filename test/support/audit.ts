// Reading a real audit log in tests: its records after the chain verifies, or once a condition holds
// (records that answer nothing are flushed just after the answer, so tests wait on the file, never sleep).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import { parseAuditLines, verifyChain, type AuditRecord } from '../../policies';
import { AuditLog } from '../../extension/proxy/auditLog';
import { tempDir } from './tmp';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/** The audit log's records, after asserting its chain verifies. */
export function records(file: string): AuditRecord[] {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const v = verifyChain(text, sha256);
  if (!v.ok) throw new Error(`audit chain broken: ${JSON.stringify(v.bad)}`);
  return parseAuditLines(text);
}

/** The records once `ok(records)` holds, re-checked on each change of the file (bounded by the test's timeout). */
export function recordsWhen(file: string, ok: (recs: AuditRecord[]) => boolean): Promise<AuditRecord[]> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      try {
        const recs = records(file);
        if (!ok(recs)) return;
        watcher.close();
        resolve(recs);
      } catch (err) {
        watcher.close();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    };
    const watcher = watch(file, check);
    check();
  });
}

const caller = { principal: 'agent', roles: ['r'] };

/** A small log's entries, as the proxy writes them: an allow, a deny, an outcome, an allow (take a prefix for fewer). */
export const SAMPLE_ENTRIES: ReadonlyArray<Parameters<AuditLog['append']>[0]> = [
  { kind: 'decision', time: '2026-11-25T10:00:00.000Z', tool: 'read', caller, decision: { effect: 'allow', rules: ['g'], reasons: ['allowed by g'] } },
  { kind: 'decision', time: '2026-11-25T11:00:00.000Z', tool: 'pay', caller, decision: { effect: 'deny', rules: ['d'], reasons: ['amount too high'] } },
  { kind: 'outcome', time: '2026-11-25T11:00:01.000Z', tool: 'read', result: { is_error: false, latency_ms: 3 } },
  { kind: 'decision', time: '2026-11-25T12:00:00.000Z', tool: 'read', caller, decision: { effect: 'allow', rules: ['g'], reasons: ['allowed by g'] } },
];

/** `entries` written by the proxy's own writer to `audit.jsonl` in a fresh temp folder; its path. */
export function writeAuditLog(entries: ReadonlyArray<Parameters<AuditLog['append']>[0]> = SAMPLE_ENTRIES): string {
  const file = join(tempDir(), 'audit.jsonl');
  const log = AuditLog.open(file);
  for (const e of entries) log.append(e);
  log.close();
  return file;
}
