// The audit record format and its hash chain. Pure: the SHA-256 function is injected by the caller
// (node:crypto in the proxy and CLI), so this file stays free of I/O and platform imports.

import type { Effect, Json } from './types';

/** Hex SHA-256 of a UTF-8 string. */
export type Sha256 = (text: string) => string;

/** `prev` of the first record of a log. */
export const GENESIS = '0'.repeat(64);

export type AuditKind =
  | 'session'     // proxy start/stop, client identity at initialize
  | 'decision'    // a decision on a tools/call (or resource/prompt read), written BEFORE forwarding
  | 'outcome'     // what came back: result digest, error flag, latency
  | 'approval'    // asked / granted / refused / timeout
  | 'auth'        // a rejected or accepted credential (never the token itself)
  | 'drift'       // a pinned tool definition changed
  | 'policy'      // policy loaded / reloaded / reload refused
  | 'error';      // upstream crash, malformed JSON-RPC, audit trouble

export interface AuditCaller {
  /** authenticated identity: token subject or agent id */
  principal: string | null;
  roles: string[];
  /** the MCP client's name and version from `initialize` (which model/agent) */
  client?: { name: string; version?: string };
}

export interface AuditApproval {
  id: string;
  state: 'asked' | 'granted' | 'refused' | 'timeout' | 'error';
  /** who answered (user name, "elicitation", "terminal") */
  by?: string;
  via?: 'elicitation' | 'editor' | 'terminal' | 'none';
  at?: string;
}

/** One line of the log, before chaining. Every field but `kind` and `time` is optional by kind. */
export interface AuditEntry {
  kind: AuditKind;
  /** ISO 8601 time of the event */
  time: string;
  /**
   * The JSON-RPC request id exactly as the client (or, for a server→client request, the server) sent it: a
   * number stays a number, so requests `1` and `"1"` — distinct to JSON-RPC and to the proxy — stay distinct.
   * Logs written before 2026-11-26 hold every id as a string.
   */
  request_id?: string | number;
  session?: string;
  caller?: AuditCaller;
  server?: string;
  method?: string;
  tool?: string;
  /** arguments as checked, redacted per policy */
  args?: Json;
  /** SHA-256 of the canonical arguments (before redaction) — what approvals bind to */
  args_digest?: string;
  decision?: { effect: Effect; rules: string[]; reasons: string[] };
  approval?: AuditApproval;
  result?: { digest?: string; is_error: boolean; latency_ms?: number };
  error?: { code: string; message: string };
  policy?: { file?: string; version: string };
  /** free-form detail for session/drift/auth records */
  detail?: Json;
}

/** A chained record: the entry plus its sequence number and the previous record's hash. */
export interface AuditRecord extends AuditEntry {
  v: 1;
  seq: number;
  prev: string;
}

/** Replace the values of redacted keys (at any depth) with "[redacted]". */
export function redact(value: unknown, keys: ReadonlySet<string>): Json {
  if (Array.isArray(value)) return value.map((v) => redact(v, keys));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const k of Object.keys(value)) {
      // INVARIANT: every key is recorded as data — `out[k] = …` with k `__proto__` set the prototype instead,
      // so an argument the server received was missing from its record
      Object.defineProperty(out, k, { value: keys.has(k) ? '[redacted]' : redact((value as Record<string, unknown>)[k], keys), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return (value ?? null) as Json;
}

/** Canonical JSON: object keys sorted, no whitespace. Equal values give equal text (digests, approvals). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
  return JSON.stringify(value ?? null);
}

/** Chain state: the next sequence number and the hash of the last line written. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Serialise an entry as the next line of the chain; returns the line (no newline) and the new head. */
export function chainEntry(entry: AuditEntry, head: ChainHead, sha256: Sha256): { line: string; head: ChainHead; record: AuditRecord } {
  const line = recordLine(entry, head);
  return { line, record: { v: 1, seq: head.seq, prev: head.hash, ...entry }, head: { seq: head.seq + 1, hash: sha256(line) } };
}

/**
 * The text of `entry` chained after `head`: exactly `JSON.stringify({ v: 1, seq, prev, ...entry })`,
 * spliced from the entry's own JSON instead of stringifying a spread copy (the proxy writes one per message).
 */
export function recordLine(entry: AuditEntry, head: ChainHead): string {
  const body = JSON.stringify(entry);
  // the splice would misplace an entry's own v/seq/prev, and integer-like keys (which objects order first)
  if (!spliceable(body) || 'v' in entry || 'seq' in entry || 'prev' in entry) return JSON.stringify({ v: 1, seq: head.seq, prev: head.hash, ...entry });
  return spliceRecord(body, head);
}

/** Whether `{v, seq, prev}` can be spliced in front of this object's JSON: not empty, no integer-like first key. */
export function spliceable(objectJson: string): boolean {
  const first = objectJson.charCodeAt(2);
  return objectJson.length > 2 && !(first >= 48 && first <= 57);
}

/** The record line of an entry given as JSON text (no v, seq or prev of its own; see `spliceable`). */
export function spliceRecord(entryJson: string, head: ChainHead): string {
  return `{"v":1,"seq":${JSON.stringify(head.seq)},"prev":${JSON.stringify(head.hash)},${entryJson.slice(1)}`;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  head: ChainHead;
  /** the first bad record: 1-based line number, and what is wrong with it */
  bad?: { line: number; seq?: number; why: string };
}

/**
 * Verify a log's lines: each parses, has the next sequence number, and holds the SHA-256 of the
 * line before it. Finds edited, deleted, reordered, inserted and truncated records.
 */
export function verifyChain(text: string, sha256: Sha256, anchor?: ChainHead): VerifyResult {
  let head: ChainHead = { seq: 0, hash: GENESIS };
  const lines = text.split('\n');
  const endsWithNewline = text.length === 0 || text.endsWith('\n');
  if (endsWithNewline) lines.pop();
  let n = 0;
  for (const [i, line] of lines.entries()) {
    const lineNo = i + 1;
    let rec: Partial<AuditRecord>;
    try {
      rec = JSON.parse(line) as Partial<AuditRecord>;
    } catch {
      const why = i === lines.length - 1 && !endsWithNewline ? 'truncated: the last record is incomplete' : 'not a JSON record (edited or corrupted)';
      return { ok: false, records: n, head, bad: { line: lineNo, why } };
    }
    const fail = (why: string): VerifyResult => ({ ok: false, records: n, head, bad: { line: lineNo, ...(typeof rec.seq === 'number' ? { seq: rec.seq } : {}), why } });
    if (rec.v !== 1 || typeof rec.seq !== 'number' || typeof rec.prev !== 'string') return fail('not an audit record (missing v, seq or prev)');
    if (rec.seq !== head.seq) {
      return fail(rec.seq > head.seq ? `sequence jumps from ${head.seq - 1} to ${rec.seq}: ${rec.seq - head.seq} record(s) deleted`
        : `sequence goes back to ${rec.seq} after ${head.seq - 1}: records reordered or inserted`);
    }
    if (rec.prev !== head.hash) return fail(`hash chain broken: record ${rec.seq - 1} was edited, or this record was inserted or moved`);
    head = { seq: head.seq + 1, hash: sha256(line) };
    n++;
  }
  if (!endsWithNewline && lines.length > 0) {
    // a complete JSON line without its newline: the writer was cut off mid-write
    return { ok: false, records: n, head, bad: { line: lines.length, why: 'truncated: the last record has no line ending' } };
  }
  if (anchor && (anchor.seq > head.seq || (anchor.seq === head.seq && anchor.hash !== head.hash))) {
    return { ok: false, records: n, head, bad: { line: lines.length + 1, why: `truncated: the anchor says ${anchor.seq} records were written, the log has ${head.seq}` } };
  }
  return { ok: true, records: n, head };
}

/** Parse a log's complete lines into records, skipping lines that are not records (verify reports those). */
export function parseAuditLines(text: string): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    try {
      const rec = JSON.parse(line) as Partial<AuditRecord>;
      if (rec && rec.v === 1 && typeof rec.seq === 'number' && typeof rec.kind === 'string') out.push(rec as AuditRecord);
    } catch {
      // not a record: `verifyChain` names it; readers skip it
    }
  }
  return out;
}

/** The effect a record speaks of: a decision's effect, or the approval state for approval records. */
export function recordDecision(rec: AuditEntry): string | undefined {
  if (rec.decision) return rec.decision.effect;
  if (rec.approval) return `approval_${rec.approval.state}`;
  return undefined;
}
