// Reading a real audit log in tests: its records after the chain verifies, or once a condition holds
// (records that answer nothing are flushed just after the answer, so tests wait on the file, never sleep).

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, watch } from 'node:fs';
import { parseAuditLines, verifyChain, type AuditRecord } from '../../policies';

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
