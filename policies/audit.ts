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
  /** how it was asked (`elicitation`: the client; `channel`: the editor or a terminal) or answered (`editor`, `terminal`…) */
  via?: 'elicitation' | 'editor' | 'terminal' | 'channel' | 'none';
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
  /**
   * Digest of the canonical arguments (before redaction) — what approvals bind to: SHA-256, or, when the policy
   * redacts, HMAC-SHA256 under a key of the session that is never written (a plain hash would let a log reader
   * guess redacted values)
   */
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

/** Whether a parsed JSON value has a chained record's shape: an object with `v: 1`, a whole `seq` from 0 and a string `prev`. */
export function isChainedRecord(value: unknown): value is AuditRecord {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const r = value as Partial<AuditRecord>;
  return r.v === 1 && Number.isSafeInteger(r.seq) && r.seq! >= 0 && typeof r.prev === 'string';
}

type FieldCheck = [field: string, holds: (v: unknown) => boolean, what: string];
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const isString = (v: unknown): boolean => typeof v === 'string';
const isStrings = (v: unknown): boolean => Array.isArray(v) && v.every(isString);
const optional = (holds: (v: unknown) => boolean) => (v: unknown): boolean => v === undefined || holds(v);
/** The fields of a record's parts, as `AuditEntry` types them (`optional`: may be left out; never null). */
const RECORD_FIELDS: Record<string, { is: (v: unknown) => boolean; what: string; fields?: FieldCheck[] }> = {
  kind: { is: isString, what: 'a string' },
  time: { is: isString, what: 'a string' },
  request_id: { is: (v) => typeof v === 'string' || typeof v === 'number', what: 'a string or a number' },
  session: { is: isString, what: 'a string' },
  server: { is: isString, what: 'a string' },
  method: { is: isString, what: 'a string' },
  tool: { is: isString, what: 'a string' },
  args_digest: { is: isString, what: 'a string' },
  caller: { is: isObject, what: 'an object', fields: [
    ['principal', (v) => v === undefined || v === null || typeof v === 'string', 'a string or null'],
    ['roles', isStrings, 'a list of strings'],
    ['client', optional((v) => isObject(v) && isString(v['name']) && optional(isString)(v['version'])), 'an object with a string `name`'],
  ] },
  decision: { is: isObject, what: 'an object', fields: [['effect', isString, 'a string'], ['rules', isStrings, 'a list of strings'], ['reasons', isStrings, 'a list of strings']] },
  approval: { is: isObject, what: 'an object', fields: [
    ['id', isString, 'a string'], ['state', isString, 'a string'], ['by', optional(isString), 'a string'], ['via', optional(isString), 'a string'], ['at', optional(isString), 'a string'],
  ] },
  result: { is: isObject, what: 'an object', fields: [
    ['digest', optional(isString), 'a string'], ['is_error', optional((v) => typeof v === 'boolean'), 'true or false'], ['latency_ms', optional((v) => typeof v === 'number'), 'a number'],
  ] },
  error: { is: isObject, what: 'an object', fields: [['code', isString, 'a string'], ['message', isString, 'a string']] },
  policy: { is: isObject, what: 'an object', fields: [['file', optional(isString), 'a string'], ['version', isString, 'a string']] },
};

/**
 * What in a chained record is not of the type the format gives it (`decision.rules is not a list of strings`), or
 * undefined when every field is. A proxy never writes such a record; readers (`audit show`, `report`, the editor)
 * rely on the types, so a line holding one is not a record, as a line that is not JSON is not.
 */
export function recordShapeFault(rec: AuditRecord): string | undefined {
  const r = rec as unknown as Record<string, unknown>;
  for (const [field, spec] of Object.entries(RECORD_FIELDS)) {
    const value = r[field];
    if (value === undefined && field !== 'kind' && field !== 'time') continue;
    if (!spec.is(value)) return `\`${field}\` is ${value === undefined ? 'missing' : `not ${spec.what}`}`;
    for (const [sub, holds, what] of spec.fields ?? []) {
      const v = (value as Record<string, unknown>)[sub];
      if (!holds(v)) return `\`${field}.${sub}\` is ${v === undefined ? 'missing' : `not ${what}`}`;
    }
  }
  return undefined;
}

/** What is wrong with a line of the chain (`why` is worded for `audit verify`). */
export interface ChainFault {
  code: 'utf8' | 'json' | 'record' | 'seq' | 'prev' | 'genesis';
  /** the line's sequence number, when it has one */
  seq?: number;
  why: string;
}

export type LineCheck = { ok: true; record: AuditRecord } | { ok: false; fault: ChainFault; record?: AuditRecord };

/**
 * The chain rule, one line at a time: a line continues the chain when it is valid UTF-8, parses as an audit
 * record, has the next sequence number and holds the SHA-256 of the line before it. `verifyChain` runs it
 * over a whole log; followers (alerts, `audit export --follow`) run it on each line as it is appended.
 */
export class ChainChecker {
  /** where the chain stands: the next sequence number and the last good line's hash; undefined until anchored */
  head: ChainHead | undefined;

  /**
   * @param start where the chain stands (default: an empty log). `null`: not anchored — the first record
   * checked is taken as is (a follower starting mid-log), but one with seq 0 must start from the genesis hash.
   */
  constructor(private readonly sha256: Sha256, start: ChainHead | null = { seq: 0, hash: GENESIS }) {
    this.head = start ?? undefined;
  }

  /** Check one complete line (without its newline). The head advances past it only when it continues the chain. */
  check(line: string, validUtf8 = true): LineCheck {
    if (!validUtf8) return { ok: false, fault: { code: 'utf8', why: 'not valid UTF-8 (bytes edited or corrupted)' } };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return { ok: false, fault: { code: 'json', why: 'not a JSON record (edited or corrupted)' } };
    }
    if (!isChainedRecord(value)) {
      const seq = value !== null && typeof value === 'object' && typeof (value as { seq?: unknown }).seq === 'number' ? { seq: (value as { seq: number }).seq } : {};
      const what = value === null || typeof value !== 'object' || Array.isArray(value) ? 'not a JSON object'
        : typeof (value as { seq?: unknown }).seq === 'number' && (value as { v?: unknown }).v === 1 ? '`seq` is not a whole number from 0' : 'missing v, seq or prev';
      return { ok: false, fault: { code: 'record', ...seq, why: `not an audit record (${what})` } };
    }
    const rec = value;
    const shape = recordShapeFault(rec);
    if (shape !== undefined) return { ok: false, fault: { code: 'record', seq: rec.seq, why: `not an audit record (${shape})` } };
    const head = this.head;
    const genesis: LineCheck = { ok: false, record: rec, fault: { code: 'genesis', seq: 0, why: 'hash chain broken: the first record does not start from the genesis hash' } };
    if (head === undefined) {
      if (rec.seq === 0 && rec.prev !== GENESIS) return genesis;
    } else if (rec.seq !== head.seq) {
      const why = head.seq === 0 ? `the first record is ${rec.seq}, not 0: ${rec.seq} record(s) deleted from the start, or moved further down`
        : rec.seq > head.seq ? `sequence jumps from ${head.seq - 1} to ${rec.seq}: ${rec.seq - head.seq} record(s) deleted, or moved further down`
        : `sequence goes back to ${rec.seq} after ${head.seq - 1}: records reordered or inserted`;
      return { ok: false, record: rec, fault: { code: 'seq', seq: rec.seq, why } };
    } else if (rec.prev !== head.hash) {
      if (rec.seq === 0) return genesis;
      return { ok: false, record: rec, fault: { code: 'prev', seq: rec.seq, why: `hash chain broken: record ${rec.seq - 1} was edited, or this record was inserted or moved` } };
    }
    this.head = { seq: rec.seq + 1, hash: this.sha256(line) };
    return { ok: true, record: rec };
  }

  /** Continue the chain from this record, whatever it broke (a follower re-anchors after reporting a break). */
  anchorAt(record: AuditRecord, line: string): void {
    this.head = { seq: record.seq + 1, hash: this.sha256(line) };
  }
}

/**
 * Verify a log's lines: each parses, has the next sequence number, and holds the SHA-256 of the
 * line before it. Finds edited, deleted, reordered, inserted and truncated records. Give the log as read
 * from disk through `decodeAuditLog`: a hash is of decoded text, so without the decoder's `invalidUtf8Line`
 * bytes that decode to the same replacement character would verify.
 */
export function verifyChain(log: string | DecodedLog, sha256: Sha256, anchors: readonly RecordAnchor[] = []): VerifyResult {
  const { text, invalidUtf8Line } = typeof log === 'string' ? { text: log, invalidUtf8Line: undefined } : log;
  const checker = new ChainChecker(sha256);
  const lines = text.split('\n');
  const endsWithNewline = text.length === 0 || text.endsWith('\n');
  if (endsWithNewline) lines.pop();
  let n = 0;
  const head = (): ChainHead => checker.head!;
  const anchored = new Map(anchors.map((a) => [a.seq, a.hash.toLowerCase()]));
  for (const [i, line] of lines.entries()) {
    const lineNo = i + 1;
    const c = checker.check(line, lineNo !== invalidUtf8Line);
    if (!c.ok) {
      const cut = c.fault.code === 'json' && i === lines.length - 1 && !endsWithNewline ? 'truncated: the last record is incomplete' : c.fault.why;
      // a writer never ends a line with a carriage return: a log converted to CRLF line endings (a Windows copy,
      // an editor) fails at its second record, which reads as an edit — say what most likely happened
      const crlf = line.endsWith('\r') || (i > 0 && lines[i - 1]!.endsWith('\r'));
      const why = crlf ? `${cut} — the lines end with a carriage return, as after a conversion to CRLF line endings (which changes every hash); convert the file back (e.g. dos2unix) and verify again` : cut;
      return { ok: false, records: n, head: head(), bad: { line: lineNo, ...(c.fault.seq !== undefined ? { seq: c.fault.seq } : {}), why } };
    }
    const want = anchored.get(c.record.seq);
    if (want !== undefined && !head().hash.startsWith(want)) {
      return { ok: false, records: n, head: head(), bad: { line: lineNo, seq: c.record.seq, why: `record ${c.record.seq} is not the one the anchor names (its hash is ${head().hash.slice(0, 16)}…, the anchor's ${want.slice(0, 16)}…): the log was edited and its chain rebuilt, or replaced` } };
    }
    n++;
  }
  if (!endsWithNewline && lines.length > 0) {
    // a complete JSON line without its newline: the writer was cut off mid-write
    return { ok: false, records: n, head: head(), bad: { line: lines.length, why: 'truncated: the last record has no line ending' } };
  }
  const h = head();
  const beyond = Math.max(-1, ...anchors.map((a) => a.seq));
  if (beyond >= h.seq) {
    return { ok: false, records: n, head: h, bad: { line: lines.length + 1, seq: beyond, why: `truncated: an anchor names record ${beyond}, the log ends at ${h.seq - 1} (${beyond - h.seq + 1} record(s) at the end deleted)` } };
  }
  return { ok: true, records: n, head: h };
}

/**
 * What a copy kept elsewhere says of one record: record `seq` hashed to `hash` (its full SHA-256, or at least
 * 16 hex digits of it) — `audit export` sends both with every record (`mandate.seq`, `mandate.record_hash`).
 * The chain alone cannot show that records were cut off the end, or that the whole log was rewritten with a
 * fresh chain; a record known from outside can.
 */
export interface RecordAnchor {
  seq: number;
  hash: string;
}

/** A log's bytes as text; `invalidUtf8Line`: the first line that is not valid UTF-8 (decoded with U+FFFD for readers). */
export interface DecodedLog {
  text: string;
  invalidUtf8Line?: number;
}

/**
 * Decode a log's bytes as UTF-8, finding the first line that is not valid UTF-8. A byte-order mark is kept
 * as text (it is not part of any record). Line numbers agree with the bytes': a newline byte is never part
 * of a multi-byte sequence, and a replacement character is never a newline.
 */
export function decodeAuditLog(bytes: Uint8Array): DecodedLog {
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return { text: fatal.decode(bytes) };
  } catch {
    // find the line below
  }
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  let start = 0;
  for (let line = 1; ; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    if (!validUtf8(bytes.subarray(start, end), fatal)) return { text, invalidUtf8Line: line };
    if (nl < 0) return { text };
    start = nl + 1;
  }
}

/** Whether these bytes are valid UTF-8 (with a fatal decoder to reuse). */
export function validUtf8(bytes: Uint8Array, fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Parse a log's complete lines into records, skipping lines that are not records (verify reports those). */
export function parseAuditLines(text: string): AuditRecord[] {
  const out: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    try {
      const rec: unknown = JSON.parse(line);
      // INVARIANT: only objects are records — `null`, arrays, numbers and strings are skipped, never dereferenced
      if (isChainedRecord(rec) && recordShapeFault(rec) === undefined) out.push(rec);
    } catch {
      // not a record: `verifyChain` names it; readers skip it
    }
  }
  return out;
}

/**
 * Whether a record's time falls in [since, until). A time that does not parse is in no bounded period, but
 * with no bound given every record is kept (a record is never hidden for its time alone).
 */
export function inPeriod(time: string, since = -Infinity, until = Infinity): boolean {
  if (since === -Infinity && until === Infinity) return true;
  const t = Date.parse(time);
  return t >= since && t < until;
}

/** The effect a record speaks of: a decision's effect, or the approval state for approval records. */
export function recordDecision(rec: AuditEntry): string | undefined {
  if (rec.decision) return rec.decision.effect;
  if (rec.approval) return `approval_${rec.approval.state}`;
  return undefined;
}

/** A stretch of time in which a proxy could not write its log (told by the record it wrote once it could again). */
export interface AuditGap {
  /** the sequence number of the record that tells of the gap */
  seq: number;
  /** when records stopped being written */
  since: string;
  /** when they could be written again (that record's time) */
  until: string;
  /** why the writes failed */
  why: string;
  /** records not written, by kind */
  lost: Record<string, number>;
}

/** The gaps a log tells of: the proxy's `audit_resumed` records (`error`, `audit_write_failed`). */
export function auditGaps(records: readonly AuditRecord[]): AuditGap[] {
  const out: AuditGap[] = [];
  for (const r of records) {
    const d = r.detail as { event?: unknown; since?: unknown; lost?: unknown } | null | undefined;
    if (r.kind !== 'error' || r.error?.code !== 'audit_write_failed' || d === null || typeof d !== 'object' || d.event !== 'audit_resumed') continue;
    const lost: Record<string, number> = {};
    if (d.lost !== null && typeof d.lost === 'object') {
      for (const [k, n] of Object.entries(d.lost)) if (typeof n === 'number') lost[k] = n;
    }
    out.push({ seq: r.seq, since: typeof d.since === 'string' ? d.since : '?', until: r.time, why: r.error.message, lost });
  }
  return out;
}

/** A gap in words: `from S to U (why); 2 decision, 1 outcome records not written (…)`. */
export function gapInWords(g: AuditGap): string {
  const parts = Object.entries(g.lost).map(([k, n]) => `${n} ${k}`);
  const total = Object.values(g.lost).reduce((a, b) => a + b, 0);
  const why = g.why.replace(/^records could not be written from \S+: /, '');
  return `from ${g.since} to ${g.until} (${why}); ${parts.length === 0 ? 'no records' : `${parts.join(', ')} record${total === 1 ? '' : 's'}`} not written`
    + `${g.lost['decision'] ? ' (a call whose decision record was not written was denied)' : ''}`;
}
