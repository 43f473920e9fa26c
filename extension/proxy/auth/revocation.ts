// The revocation list: token ids (`jti`) that must no longer be accepted, one JSON file that
// `mandate token revoke` writes atomically and the proxy re-reads when it changes.

import { readFailure, readFileBounded, ReadRefused } from '../readBounded';
import { writeAtomic } from './keyStore';

/** Upper bound on the list's size on disk. */
export const MAX_REVOCATION_BYTES = 4 * 1024 * 1024;
export const MAX_JTI_LENGTH = 256;

export interface RevokedToken {
  jti: string;
  /** when it was revoked (ISO) */
  at: string;
  /** the token's own expiry (seconds since epoch), after which the entry may be pruned */
  exp?: number;
  reason?: string;
}

export interface RevocationList {
  version: 1;
  revoked: RevokedToken[];
}

/** Parse revocation list text; anything malformed throws (the verifier then rejects every token). */
export function parseRevocations(text: string, where: string): ReadonlySet<string> {
  return new Set(parseRevocationList(text, where).revoked.map((r) => r.jti));
}

/** Parse the whole list (entries with their metadata). */
export function parseRevocationList(text: string, where: string): RevocationList {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`revocation list \`${where}\` is not valid JSON: ${(err as Error).message}`);
  }
  const v = value as Partial<RevocationList> | null;
  if (!v || v.version !== 1 || !Array.isArray(v.revoked)) throw new Error(`revocation list \`${where}\` must be {"version": 1, "revoked": [...]}`);
  for (const [i, r] of v.revoked.entries()) {
    const e = r as Partial<RevokedToken> | null;
    if (!e || typeof e.jti !== 'string' || e.jti === '' || e.jti.length > MAX_JTI_LENGTH) throw new Error(`entry ${i} of revocation list \`${where}\` has no valid \`jti\``);
  }
  return v as RevocationList;
}

/** An empty list (written by `mandate keys generate` so the proxy has a file to watch). */
export function emptyRevocations(path: string): void {
  writeAtomic(path, `${JSON.stringify({ version: 1, revoked: [] }, null, 2)}\n`);
}

/**
 * Add a jti to the list (creating it), dropping entries whose token expired more than `pruneAfterSec`
 * ago. Returns false when the jti was already revoked.
 */
export function revokeJti(path: string, entry: RevokedToken, nowSec: number, pruneAfterSec = 86_400): boolean {
  if (entry.jti === '' || entry.jti.length > MAX_JTI_LENGTH) throw new TypeError('jti must be 1..256 characters');
  let list: RevocationList = { version: 1, revoked: [] };
  try {
    // INVARIANT: a device (/dev/full) is refused and a pipe read to the limit: readFileSync never ended on either
    list = parseRevocationList(readFileBounded(path, MAX_REVOCATION_BYTES).toString('utf8'), path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err instanceof ReadRefused || typeof (err as NodeJS.ErrnoException).code === 'string' ? new Error(readFailure(err)) : err;
  }
  if (list.revoked.some((r) => r.jti === entry.jti)) return false;
  const kept = list.revoked.filter((r) => r.exp === undefined || r.exp + pruneAfterSec > nowSec);
  writeAtomic(path, `${JSON.stringify({ version: 1, revoked: [...kept, entry] }, null, 2)}\n`);
  return true;
}
