// Where guarded servers write their audit logs when one policy's log would have several writers, and how
// the audit commands find those logs again. No vscode here (unit-tested as plain Node).

import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';

/**
 * The log of one guarded server when a policy's log would have several writers: `audit.jsonl` →
 * `audit.<server>.<role>.jsonl`, names %XX-escaped outside [A-Za-z0-9_-] (so two servers never share a file).
 * `tag` tells apart guarded servers that would still share one (`audit.<server>@<tag>.<role>.jsonl`: an escaped
 * name never holds `@`).
 */
export function splitAuditPath(audit: string, server: string, role: string, tag?: string): string {
  const safe = (n: string): string => n.replace(/[^A-Za-z0-9_-]/g, (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join(''));
  const ext = extname(audit);
  return join(dirname(audit), `${basename(audit, ext)}.${safe(server)}${tag !== undefined ? `@${safe(tag)}` : ''}.${safe(role)}${ext}`);
}

/** `base` (when it exists) and the per-server logs beside it (`<stem>.<server>.<role><ext>`), newest first. */
export function auditLogsBeside(base: string): string[] {
  const ext = extname(base);
  const stem = basename(base, ext);
  let names: string[];
  try {
    names = readdirSync(dirname(base));
  } catch {
    return [];
  }
  const split = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.[^.]+\\.[^.]+${ext.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const found = names.filter((n) => n === basename(base) || split.test(n)).map((n) => join(dirname(base), n));
  return found.map((f) => ({ f, t: statSync(f).mtimeMs })).sort((a, b) => b.t - a.t).map((x) => x.f);
}
