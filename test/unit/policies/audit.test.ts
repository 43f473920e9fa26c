// The audit hash chain: every kind of tampering is found and named at the first bad record.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { auditGaps, ChainChecker, chainEntry, decodeAuditLog, GENESIS, parseAuditLines, recordLine, redact, canonicalJson, verifyChain, type AuditEntry, type ChainHead } from '../../../policies';
import { fcParams } from '../../support/seed';

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

function log(n: number): string[] {
  let head: ChainHead = { seq: 0, hash: GENESIS };
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const entry: AuditEntry = { kind: 'decision', time: `2026-01-01T00:00:0${i}Z`, tool: `t${i}`, decision: { effect: 'deny', rules: [], reasons: [] } };
    const r = chainEntry(entry, head, sha256);
    lines.push(r.line);
    head = r.head;
  }
  return lines;
}
const text = (lines: string[]): string => lines.map((l) => `${l}\n`).join('');

describe('audit chain', () => {
  it('verifies an untouched log', () => {
    const r = verifyChain(text(log(5)), sha256);
    assert.equal(r.ok, true);
    assert.equal(r.records, 5);
  });

  it('verifies an empty log', () => assert.equal(verifyChain('', sha256).ok, true));

  it('says a log converted to CRLF line endings fails for that reason, and an untouched one never gets the hint', () => {
    const r = verifyChain(log(3).map((l) => `${l}\r\n`).join(''), sha256);
    assert.equal(r.ok, false);
    assert.equal(r.bad!.line, 2);
    assert.match(r.bad!.why, /record 0 was edited.*carriage return, as after a conversion to CRLF line endings.*dos2unix/);
    const edited = log(3);
    edited[1] = edited[1]!.replace('"t1"', '"t8"');
    assert.doesNotMatch(verifyChain(text(edited), sha256).bad!.why, /carriage return/);
  });

  it('finds an edited record at the record after it', () => {
    const lines = log(5);
    lines[2] = lines[2]!.replace('"t2"', '"t9"');
    const r = verifyChain(text(lines), sha256);
    assert.equal(r.ok, false);
    assert.equal(r.bad!.line, 4);
    assert.match(r.bad!.why, /record 2 was edited/);
  });

  it('finds a deleted record', () => {
    const lines = log(5);
    lines.splice(1, 1);
    const r = verifyChain(text(lines), sha256);
    assert.equal(r.bad!.line, 2);
    assert.match(r.bad!.why, /deleted/);
  });

  it('finds reordered records, and does not call a record moved down only "deleted"', () => {
    const lines = log(5);
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    const r = verifyChain(text(lines), sha256);
    assert.equal(r.bad!.line, 2);
    assert.match(r.bad!.why, /sequence jumps from 0 to 2: 1 record\(s\) deleted, or moved further down/);
  });

  it('finds an inserted record', () => {
    const lines = log(3);
    lines.splice(1, 0, lines[1]!);
    const r = verifyChain(text(lines), sha256);
    assert.equal(r.ok, false);
    assert.equal(r.bad!.line, 3);
    assert.match(r.bad!.why, /reordered or inserted/);
  });

  it('finds a record truncated mid-line', () => {
    const t = text(log(3));
    const r = verifyChain(t.slice(0, t.length - 10), sha256);
    assert.equal(r.ok, false);
    assert.match(r.bad!.why, /truncated/);
    assert.equal(r.bad!.line, 3);
  });

  it('finds whole records cut from the end, and a log rewritten with a fresh chain, against a record known from elsewhere', () => {
    const lines = log(4);
    const last = { seq: 3, hash: sha256(lines[3]!) };
    assert.equal(verifyChain(text(lines), sha256, [last]).ok, true);
    assert.equal(verifyChain(text(lines), sha256, [{ seq: 1, hash: sha256(lines[1]!).slice(0, 16).toUpperCase() }]).ok, true, 'a prefix of 16 digits, any case');
    const cut = verifyChain(text(lines.slice(0, 3)), sha256, [last]);
    assert.equal(cut.ok, false);
    assert.match(cut.bad!.why, /truncated: an anchor names record 3, the log ends at 2 \(1 record\(s\) at the end deleted\)/);
    // the chain alone cannot tell a log edited and re-chained from the one written; the anchor can
    const forged = JSON.parse(lines[1]!) as Record<string, unknown>;
    forged['tool'] = 'something else';
    const rechained: string[] = [];
    let prev = GENESIS;
    for (const [i, l] of [lines[0]!, JSON.stringify(forged), lines[2]!, lines[3]!].entries()) {
      const rec = { ...(JSON.parse(l) as Record<string, unknown>), seq: i, prev };
      const line = JSON.stringify(rec);
      rechained.push(line);
      prev = sha256(line);
    }
    assert.equal(verifyChain(text(rechained), sha256).ok, true, 'the chain alone is fooled');
    const r = verifyChain(text(rechained), sha256, [last]);
    assert.equal(r.ok, false);
    assert.equal(r.bad!.seq, 3);
    assert.match(r.bad!.why, /not the one the anchor names .*edited and its chain rebuilt, or replaced/);
  });

  for (const junk of ['null', '[]', '5', '"x"', 'true']) {
    it(`names a line of JSON that is not an object (\`${junk}\`) as not an audit record, at its line (it used to throw)`, () => {
      const lines = log(3);
      const r = verifyChain(text([lines[0]!, junk, ...lines.slice(1)]), sha256);
      assert.equal(r.ok, false);
      assert.equal(r.bad!.line, 2);
      assert.match(r.bad!.why, /^not an audit record/);
      assert.equal(r.records, 1);
      assert.deepEqual(parseAuditLines(text([lines[0]!, junk, lines[1]!])).map((x) => x.seq), [0, 1]);
    });
  }

  // a record whose chain holds but whose fields have other types than the proxy writes (anyone can rebuild a chain):
  // readers (audit show, report, the editor) dereferenced them and stopped with "internal error"
  const misshapen: Array<[string, Record<string, unknown>, RegExp]> = [
    ['decision as a string', { decision: 'allow' }, /`decision` is not an object/],
    ['decision without rules', { decision: { effect: 'allow' } }, /`decision.rules` is missing/],
    ['roles not a list', { caller: { principal: 'p', roles: 'admin' } }, /`caller.roles` is not a list of strings/],
    ['roles null', { caller: { roles: null } }, /`caller.roles` is not a list of strings/],
    ['tool as a list', { tool: ['x'] }, /`tool` is not a string/],
    ['time as a number', { time: 12345 }, /`time` is not a string/],
    ['kind left out', { kind: undefined }, /`kind` is missing/],
    ['an error without its message', { kind: 'error', error: { code: 'audit_write_failed' }, detail: { event: 'audit_resumed' } }, /`error.message` is missing/],
    ['approval as a string', { kind: 'approval', approval: 'asked' }, /`approval` is not an object/],
    ['latency as a string', { kind: 'outcome', result: { latency_ms: 'fast' } }, /`result.latency_ms` is not a number/],
  ];
  for (const [what, fields, why] of misshapen) {
    it(`names a chained record with ${what} as not an audit record, and readers skip it`, () => {
      const first = chainEntry({ kind: 'decision', time: '2026-01-01T00:00:00Z', tool: 't' }, { seq: 0, hash: GENESIS }, sha256);
      const line = JSON.stringify({ v: 1, seq: 1, prev: first.head.hash, kind: 'decision', time: '2026-01-01T00:00:01Z', ...fields });
      const r = verifyChain(text([first.line, line]), sha256);
      assert.equal(r.ok, false);
      assert.equal(r.bad!.line, 2);
      assert.equal(r.bad!.seq, 1);
      assert.match(r.bad!.why, /^not an audit record/);
      assert.match(r.bad!.why, why);
      const recs = parseAuditLines(text([first.line, line]));
      assert.deepEqual(recs.map((x) => x.seq), [0]);
      assert.deepEqual(auditGaps(recs), []);
      assert.equal(new ChainChecker(sha256, first.head).check(line).ok, false);
    });
  }

  for (const seq of [1.5, -1, 1e300]) {
    it(`names a record whose seq is ${seq} as not an audit record (it was read as a sequence number gone wrong)`, () => {
      const r = verifyChain(`${JSON.stringify({ v: 1, seq, prev: GENESIS, kind: 'decision', time: 't' })}\n`, sha256);
      assert.equal(r.ok, false);
      assert.match(r.bad!.why, /not an audit record \(`seq` is not a whole number from 0\)/);
    });
  }

  it('says a log whose first records were cut starts late, not that its sequence "jumps from -1"', () => {
    const r = verifyChain(text(log(4).slice(2)), sha256);
    assert.equal(r.bad!.line, 1);
    assert.equal(r.bad!.why, 'the first record is 2, not 0: 2 record(s) deleted from the start, or moved further down');
  });

  it('finds bytes that are not UTF-8 where the record held U+FFFD (both decode to the same text)', () => {
    // a genuine record holding U+FFFD: the record after it holds its hash
    let head: ChainHead = { seq: 0, hash: GENESIS };
    const genuine: string[] = [];
    for (const tool of ['t0', 't1\uFFFD', 't2']) {
      const r = chainEntry({ kind: 'decision', time: '2026-01-01T00:00:00Z', tool }, head, sha256);
      genuine.push(r.line);
      head = r.head;
    }
    const bytes = Buffer.from(text(genuine), 'utf8');
    assert.equal(verifyChain(decodeAuditLog(bytes), sha256).ok, true);
    const at = bytes.indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
    const forged = Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]);
    // decoded with replacement, the forged bytes give the genuine text: only the decoder can tell
    assert.equal(forged.toString('utf8'), bytes.toString('utf8'));
    const r = verifyChain(decodeAuditLog(forged), sha256);
    assert.equal(r.ok, false);
    assert.equal(r.bad!.line, 2);
    assert.match(r.bad!.why, /not valid UTF-8/);
    assert.equal(r.records, 1);
  });

  it('keeps a byte-order mark as text: a log starting with one does not verify', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text(log(2)), 'utf8')]);
    const r = verifyChain(decodeAuditLog(bytes), sha256);
    assert.equal(r.ok, false);
    assert.equal(r.bad!.line, 1);
  });

  it('ChainChecker continues from a head and refuses a forged record after it (seq, prev, not a record)', () => {
    const lines = log(4);
    const at = verifyChain(text(lines.slice(0, 2)), sha256).head;
    const c = new ChainChecker(sha256, at);
    assert.equal(c.check(lines[2]!).ok, true);
    const forged = JSON.stringify({ v: 1, seq: 99, prev: 'deadbeef', kind: 'decision', time: '2026-01-01T00:00:09Z', decision: { effect: 'allow', rules: [], reasons: [] } });
    const bad = c.check(forged);
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.fault.code, 'seq');
    const samePlace = JSON.stringify({ ...(JSON.parse(lines[3]!) as object), prev: 'deadbeef' });
    const moved = c.check(samePlace);
    assert.equal(!moved.ok && moved.fault.code, 'prev');
    assert.equal(c.check('null').ok, false);
    assert.equal(c.check(lines[3]!).ok, true, 'a refused line does not move the head');
    assert.equal(c.head!.seq, 4);
  });

  it('ChainChecker without a head takes the first record as is, but seq 0 must start from the genesis hash', () => {
    const lines = log(3);
    const mid = new ChainChecker(sha256, null);
    assert.equal(mid.check(lines[1]!).ok, true);
    assert.equal(mid.check(lines[2]!).ok, true);
    const first = new ChainChecker(sha256, null);
    const r = first.check(JSON.stringify({ ...(JSON.parse(lines[0]!) as object), prev: 'f'.repeat(64) }));
    assert.equal(!r.ok && r.fault.code, 'genesis');
  });

  it('records a `__proto__` argument as data, as the server receives it (it used to vanish from the record)', () => {
    const args = JSON.parse('{"__proto__":{"message":"inherited"},"a":1}') as unknown;
    assert.equal(JSON.stringify(redact(args, new Set())), '{"__proto__":{"message":"inherited"},"a":1}');
    assert.equal(JSON.stringify(redact(args, new Set(['__proto__']))), '{"__proto__":"[redacted]","a":1}');
  });

  it('redacts listed keys at any depth and keeps the rest', () => {
    assert.deepEqual(redact({ password: 'x', nested: [{ password: 1, ok: 2 }] }, new Set(['password'])),
      { password: '[redacted]', nested: [{ password: '[redacted]', ok: 2 }] });
  });

  it('canonical JSON is independent of key order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });

  it('writes a record line as the JSON of the record: v, seq, prev, then the entry in its own order', () => {
    const entry = fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 })
      .map((d) => ({ ...d, kind: 'decision', time: 'T' }) as unknown as AuditEntry);
    const spiced = fc.tuple(entry, fc.subarray(['v', 'seq', 'prev', 'kind'] as const)).map(([e, keys]) => {
      const out: Record<string, unknown> = { ...e };
      for (const k of keys) out[k] = k === 'kind' ? undefined : 7;
      return out as unknown as AuditEntry;
    });
    const head = fc.record({ seq: fc.nat(), hash: fc.constantFrom(GENESIS, sha256('x')) });
    fc.assert(fc.property(fc.oneof(entry, spiced), head, (e, h) => {
      const expected = JSON.stringify({ v: 1, seq: h.seq, prev: h.hash, ...e });
      assert.equal(recordLine(e, h), expected);
      assert.equal(chainEntry(e, h, sha256).line, expected);
    }), fcParams(2000));
    assert.equal(recordLine({} as AuditEntry, { seq: 3, hash: GENESIS }), `{"v":1,"seq":3,"prev":"${GENESIS}"}`);
  });
});
