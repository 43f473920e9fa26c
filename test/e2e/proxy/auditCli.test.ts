// `mandate audit verify|show` on a log written by the proxy's writer: tampering is found and named.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../../extension/proxy/auditLog';
import { writeAuditLog } from '../../support/audit';
import { CLI, ROOT, tempDir } from './support';

const mandate = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });

const writeLog = (): string => writeAuditLog();

describe('e2e: mandate audit verify and show', function () {
  this.timeout(30_000);

  it('verifies an intact log (exit 0)', () => {
    const r = mandate('audit', 'verify', writeLog());
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /ok: .*4 records, chain intact/);
  });

  const tamper: Array<[string, (lines: string[]) => string[], RegExp]> = [
    ['an edited record', (l) => l.map((x, i) => (i === 1 ? x.replace('amount too high', 'fine') : x)), /:3 \(seq 2\): hash chain broken: record 1 was edited/],
    ['a deleted record', (l) => l.filter((_, i) => i !== 1), /:2 \(seq 2\): sequence jumps/],
    ['reordered records', (l) => [l[0]!, l[2]!, l[1]!, l[3]!], /:2 \(seq 2\): sequence jumps/],
    ['an inserted record', (l) => [l[0]!, l[1]!, l[1]!, l[2]!, l[3]!], /:3 \(seq 1\): sequence goes back/],
    ['a truncated record', (l) => [...l.slice(0, 3), l[3]!.slice(0, 40)], /:4: truncated/],
  ];
  for (const [what, change, expected] of tamper) {
    it(`names the first bad record after ${what} (exit 1)`, () => {
      const file = writeLog();
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      const changed = change(lines);
      writeFileSync(file, what === 'a truncated record' ? changed.join('\n') : `${changed.join('\n')}\n`);
      const r = mandate('audit', 'verify', file);
      assert.equal(r.status, 1);
      assert.match(r.stdout, expected);
    });
  }

  it('says, of a log ending in a half line, when a live proxy is writing it (the line may be a record being written)', () => {
    const file = writeLog();
    appendFileSync(file, '{"v":1,"seq":4,');
    const quiet = mandate('audit', 'verify', file);
    assert.equal(quiet.status, 1);
    assert.doesNotMatch(quiet.stdout, /writing this log now/);
    writeFileSync(`${file}.lock`, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`);
    const live = mandate('audit', 'verify', file);
    assert.equal(live.status, 1, 'still not a whole log at this instant');
    assert.match(live.stdout, new RegExp(`:5: truncated: the last record is incomplete[^\\n]*\\nnote: a proxy is writing this log now \\(pid ${process.pid} on `));
    assert.deepEqual((JSON.parse(mandate('audit', 'verify', file, '--format', 'json').stdout) as { writer?: unknown }).writer, { pid: process.pid, host: hostname() });
    writeFileSync(`${file}.lock`, `${JSON.stringify({ pid: 2 ** 22 + 12345, host: hostname(), since: new Date().toISOString() })}\n`);
    assert.doesNotMatch(mandate('audit', 'verify', file).stdout, /writing this log now/, 'a lock left by a process that is gone names no writer');
  });

  it('verify --format json gives the last record as an --anchor (its `head` is the next seq with the last hash: 4:… read as record 4 and failed "truncated")', () => {
    const file = writeLog();
    const r = mandate('audit', 'verify', file, '--format', 'json');
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { anchor?: string; records: number };
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    assert.equal(out.anchor, `3:${createHash('sha256').update(lines[3]!, 'utf8').digest('hex')}`);
    assert.equal(mandate('audit', 'verify', file, '--anchor', out.anchor).status, 0);
    const text = mandate('audit', 'verify', file);
    // the text names the anchor too, in a form --anchor takes (it printed 12 digits, which --anchor refuses: 16 to 64)
    const printed = /chain intact \(last record 3, hash [0-9a-f]{16}: keep `--anchor (3:[0-9a-f]{16})`\)/.exec(text.stdout)?.[1];
    assert.ok(printed !== undefined && out.anchor.startsWith(printed), text.stdout);
    assert.equal(mandate('audit', 'verify', file, '--anchor', printed).status, 0);
  });

  it('finds records cut off the end with --anchor SEQ:HASH (a record known from elsewhere, as audit export sends it)', () => {
    const file = writeLog();
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    const anchor = `3:${createHash('sha256').update(lines[3]!, 'utf8').digest('hex')}`;
    assert.equal(mandate('audit', 'verify', file, '--anchor', anchor).status, 0);
    writeFileSync(file, `${lines.slice(0, 3).join('\n')}\n`);
    assert.equal(mandate('audit', 'verify', file).status, 0, 'the chain alone cannot see the cut');
    const r = mandate('audit', 'verify', file, '--anchor', anchor);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /BROKEN: .*:4 \(seq 3\): truncated: an anchor names record 3, the log ends at 2/);
    const bad = mandate('audit', 'verify', file, '--anchor', '3:xyz');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--anchor expects SEQ:HASH/);
  });

  it('notes, without failing, a log that ends without a proxy\'s stop record and that no proxy is writing (killed, or cut)', () => {
    const dir = tempDir();
    const file = join(dir, 'a.jsonl');
    const log = AuditLog.open(file);
    log.append({ kind: 'session', time: '2026-11-26T10:00:00.000Z', detail: { event: 'start' } });
    log.append({ kind: 'decision', time: '2026-11-26T10:00:01.000Z', tool: 'pay', decision: { effect: 'deny', rules: [], reasons: [] } });
    log.append({ kind: 'session', time: '2026-11-26T10:00:02.000Z', detail: { event: 'stop', why: 'client closed' } });
    log.close();
    const whole = mandate('audit', 'verify', file);
    assert.equal(whole.status, 0);
    assert.doesNotMatch(whole.stdout, /note:/);
    assert.equal(JSON.parse(mandate('audit', 'verify', file, '--format', 'json').stdout).ends_with_stop, true);
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, `${lines.slice(0, 2).join('\n')}\n`);
    const cut = mandate('audit', 'verify', file);
    assert.equal(cut.status, 0, 'the chain is intact: a note, not a failure');
    assert.match(cut.stdout, /note: the log does not end with a proxy's stop record and no proxy is writing it: its proxy was killed, or records were cut off the end/);
    assert.equal(JSON.parse(mandate('audit', 'verify', file, '--format', 'json').stdout).ends_with_stop, false);
    // a proxy writing it: said so instead
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, host: hostname(), since: '2026-11-26T10:00:00Z' }));
    assert.match(mandate('audit', 'verify', file).stdout, new RegExp(`note: a proxy is writing this log now \\(pid ${process.pid} on `));
  });

  it('notes, without failing, the records a proxy could not write (its disk was full), from the record that tells of the gap', () => {
    const file = join(tempDir(), 'gap.jsonl');
    let full = false;
    let now = Date.parse('2026-11-26T10:00:00.000Z');
    const log = AuditLog.open(file, { now: () => now, write: (fd, text) => { if (full) throw new Error('ENOSPC: no space left on device'); writeFileSync(fd, text); } });
    log.append({ kind: 'session', time: '2026-11-26T10:00:00.000Z', detail: { event: 'start' } });
    full = true;
    assert.throws(() => log.append({ kind: 'decision', time: '2026-11-26T10:00:00.000Z', tool: 'pay', decision: { effect: 'allow', rules: [], reasons: [] } }));
    full = false;
    now += 5000;
    log.append({ kind: 'session', time: '2026-11-26T10:00:05.000Z', detail: { event: 'stop', why: 'client closed' } });
    log.close();
    const text = mandate('audit', 'verify', file);
    assert.equal(text.status, 0, 'the chain is intact');
    assert.match(text.stdout, /^note: record 1: the proxy could not write this log from 2026-11-26T10:00:00\.000Z to 2026-11-26T10:00:05\.000Z \(ENOSPC: no space left on device\); 1 decision record not written \(a call whose decision record was not written was denied\)$/m);
    assert.deepEqual(JSON.parse(mandate('audit', 'verify', file, '--format', 'json').stdout).gaps,
      [{ seq: 1, since: '2026-11-26T10:00:00.000Z', until: '2026-11-26T10:00:05.000Z', why: 'records could not be written from 2026-11-26T10:00:00.000Z: ENOSPC: no space left on device', lost: { decision: 1 } }]);
    assert.match(mandate('audit', 'show', file).stdout, /#1 2026-11-26T10:00:05\.000Z error audit_resumed — records could not be written from/);
  });

  it('shows what a session, auth or policy record says happened (each session record read only `session`)', () => {
    const file = join(tempDir(), 'audit.jsonl');
    const log = AuditLog.open(file);
    const caller = { principal: 'agent', roles: ['r'] };
    log.append({ kind: 'session', time: '2026-11-25T10:00:00.000Z', caller, detail: { event: 'start', command: ['srv'] } });
    log.append({ kind: 'auth', time: '2026-11-25T10:00:01.000Z', caller, detail: { outcome: 'accepted', jti: 'j1' } });
    log.append({ kind: 'policy', time: '2026-11-25T10:00:02.000Z', caller, detail: { event: 'reload_refused', errors: ['p.yaml:3:1: bad'] } });
    log.append({ kind: 'session', time: '2026-11-25T10:00:03.000Z', caller, detail: { event: 'upstream_stopped', why: 'exited with code 1' } });
    log.append({ kind: 'session', time: '2026-11-25T10:00:04.000Z', caller, detail: { event: 'stop', why: 'client closed stdin' } });
    log.close();
    const r = mandate('audit', 'show', file);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '#0 2026-11-25T10:00:00.000Z session start agent(r)',
      '#1 2026-11-25T10:00:01.000Z auth accepted agent(r)',
      '#2 2026-11-25T10:00:02.000Z policy reload_refused agent(r)',
      '#3 2026-11-25T10:00:03.000Z session upstream_stopped agent(r) — exited with code 1',
      '#4 2026-11-25T10:00:04.000Z session stop agent(r) — client closed stdin',
    ]);
  });

  it('shows records filtered by decision, tool and time, as text and JSON', () => {
    const file = writeLog();
    const denied = mandate('audit', 'show', file, '--decision', 'deny');
    assert.equal(denied.status, 0, denied.stderr);
    assert.deepEqual(denied.stdout.trim().split('\n').length, 1);
    assert.match(denied.stdout, /#1 .* decision DENY pay agent\(r\) — amount too high/);
    const json = mandate('audit', 'show', file, '--tool', 'read', '--since', '2026-11-25T11:30:00Z', '--format', 'json');
    const recs = json.stdout.trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    assert.deepEqual(recs.map((r) => r.seq), [3]);
  });

  for (const junk of ['null', '[]', '5', '"x"']) {
    it(`names a \`${junk}\` line as not an audit record, file:line (it used to be an internal error)`, () => {
      const file = writeLog();
      appendFileSync(file, `${junk}\n`);
      const r = mandate('audit', 'verify', file);
      assert.equal(r.status, 1, r.stderr);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, /^BROKEN: .*audit\.jsonl:5: not an audit record \(not a JSON object\); 4 records before it verify\n$/);
      const shown = mandate('audit', 'show', file);
      assert.equal(shown.status, 0, shown.stderr);
      assert.equal(shown.stdout.trim().split('\n').length, 4);
    });
  }

  it('finds a U+FFFD whose bytes were replaced by one invalid byte (the decoded text, and so the hash, is the same)', () => {
    const file = join(tempDir(), 'audit.jsonl');
    const log = AuditLog.open(file);
    log.append({ kind: 'decision', time: '2026-11-25T10:00:00.000Z', tool: 'read', decision: { effect: 'allow', rules: ['g'], reasons: ['allowed by g'] } });
    log.append({ kind: 'decision', time: '2026-11-25T10:00:01.000Z', tool: 'pay', args: { memo: 'caf\uFFFD' }, decision: { effect: 'deny', rules: ['d'], reasons: ['no'] } });
    log.append({ kind: 'decision', time: '2026-11-25T10:00:02.000Z', tool: 'read', decision: { effect: 'allow', rules: ['g'], reasons: ['allowed by g'] } });
    log.close();
    assert.equal(mandate('audit', 'verify', file).status, 0);
    const bytes = readFileSync(file);
    const at = bytes.indexOf(Buffer.from([0xef, 0xbf, 0xbd]));
    writeFileSync(file, Buffer.concat([bytes.subarray(0, at), Buffer.from([0xff]), bytes.subarray(at + 3)]));
    const r = mandate('audit', 'verify', file);
    assert.equal(r.status, 1);
    assert.match(r.stdout, /^BROKEN: .*audit\.jsonl:2: not valid UTF-8/);
    const json = JSON.parse(mandate('audit', 'verify', file, '--format', 'json').stdout) as { ok: boolean; bad: { line: number } };
    assert.deepEqual([json.ok, json.bad.line], [false, 2]);
  });

  it('show warns on stderr, naming the first bad line, when the log fails verification (exit 0: show is not a gate)', () => {
    const file = writeLog();
    const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    writeFileSync(file, `${lines.map((x, i) => (i === 1 ? x.replace('amount too high', 'fine') : x)).join('\n')}\n`);
    const r = mandate('audit', 'show', file);
    assert.equal(r.status, 0);
    assert.match(r.stderr, /^warning: audit log `.*audit\.jsonl` fails verification at line 3: hash chain broken/);
    assert.equal(r.stdout.trim().split('\n').length, 4);
    const intact = mandate('audit', 'show', writeLog());
    assert.equal(intact.stderr, '');
  });

  it('show keeps a record whose time does not parse (it used to vanish without any --since)', () => {
    const file = join(tempDir(), 'audit.jsonl');
    const log = AuditLog.open(file);
    log.append({ kind: 'decision', time: '2026-11-25T10:00:00.000Z', tool: 'read', decision: { effect: 'allow', rules: ['g'], reasons: ['ok'] } });
    log.append({ kind: 'decision', time: 'not a time', tool: 'pay', decision: { effect: 'deny', rules: ['d'], reasons: ['no'] } });
    log.close();
    const all = mandate('audit', 'show', file, '--format', 'json');
    assert.deepEqual(all.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq), [0, 1]);
    const since = mandate('audit', 'show', file, '--since', '2026-11-01T00:00:00Z', '--format', 'json');
    assert.deepEqual(since.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq), [0]);
  });

  it('show reads --since and --until as review and report do: a plain date is its start in UTC', () => {
    const file = writeLog();
    const r = mandate('audit', 'show', file, '--since', '2026-11-25', '--until', '2026-11-26', '--format', 'json');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 4);
    const none = mandate('audit', 'show', file, '--since', '2026-11-26');
    assert.equal(none.status, 0, none.stderr);
    assert.equal(none.stdout, '');
    const zoneless = mandate('audit', 'show', file, '--since', '2026-11-25T11:30:00');
    assert.equal(zoneless.status, 1);
    assert.match(zoneless.stderr, /add `Z` or an offset/);
  });

  // a chain anyone can rebuild around a record whose fields have other types than a proxy writes: every reader
  // stopped with "internal error" (audit show on `decision: "allow"`, verify and report on a gap record without its message)
  const misshapen: Array<[string, Record<string, unknown>, RegExp]> = [
    ['a decision that is a string', { kind: 'decision', tool: 'pay', decision: 'allow' }, /`decision` is not an object/],
    ['roles that are not a list', { kind: 'drift', caller: { principal: 'p', roles: 'admin' } }, /`caller.roles` is not a list of strings/],
    ['a tool that is a list', { kind: 'decision', tool: ['pay'], decision: { effect: 'allow', rules: ['g'], reasons: ['x'] } }, /`tool` is not a string/],
    ['a gap record without its message', { kind: 'error', error: { code: 'audit_write_failed' }, detail: { event: 'audit_resumed' } }, /`error.message` is missing/],
  ];
  for (const [what, entry, why] of misshapen) {
    it(`verify, show and report name a record with ${what} as not a record (it was an internal error)`, () => {
      const file = join(tempDir(), 'audit.jsonl');
      const log = AuditLog.open(file);
      log.append({ kind: 'decision', time: '2026-11-25T10:00:00.000Z', tool: 'read', decision: { effect: 'allow', rules: ['g'], reasons: ['ok'] } });
      log.append({ time: '2026-11-25T10:00:01.000Z', ...entry } as never);
      log.close();
      const v = mandate('audit', 'verify', file);
      assert.equal(v.status, 1, v.stderr);
      assert.equal(v.stderr, '');
      assert.match(v.stdout, /^BROKEN: .*audit\.jsonl:2 \(seq 1\): not an audit record \(/);
      assert.match(v.stdout, why);
      for (const args of [['audit', 'show', file], ['audit', 'show', file, '--format', 'json'], ['audit', 'show', file, '--since', '3000d']]) {
        const r = mandate(...args);
        assert.equal(r.status, 0, r.stderr);
        assert.match(r.stderr, /^warning: audit log `.*` fails verification at line 2: not an audit record/);
        assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);
      }
      const policy = join(ROOT, 'policies/examples/finance.mandate.yaml');
      for (const format of ['html', 'md', 'json']) {
        const r = mandate('report', '--policy', policy, '--audit', file, '--format', format);
        assert.doesNotMatch(r.stderr, /internal error/);
        assert.equal(r.status, 1);
        assert.match(r.stderr, /fails verification at line 2: not an audit record/);
      }
    });
  }

  it('report --out never writes over what it reads: the audit log (named, or by a link) or the policy (--out audit.jsonl --format json replaced the log)', () => {
    const file = writeLog();
    const before = readFileSync(file, 'utf8');
    const dir = join(file, '..');
    const policy = join(dir, 'p.mandate.yaml');
    writeFileSync(policy, readFileSync(join(ROOT, 'policies/examples/finance.mandate.yaml')));
    symlinkSync(file, join(dir, 'link.json'));
    const cases: Array<[string[], RegExp]> = [
      [['--out', file, '--format', 'json'], /^mandate report: --out `.*audit\.jsonl` is the audit log the report reads: not overwriting it/],
      [['--out', join(dir, 'link.json')], /^mandate report: --out `.*link\.json` is the audit log the report reads/],
      [['--out', policy, '--format', 'md'], /^mandate report: --out `.*p\.mandate\.yaml` is the policy the report reads/],
      [['--out', join(dir, 'nowhere', 'r.html')], /^mandate report: cannot write `.*r\.html`: its folder does not exist\n$/],
    ];
    for (const [extra, re] of cases) {
      const r = mandate('report', '--policy', policy, '--audit', file, ...extra);
      assert.equal(r.status, 1, r.stderr);
      assert.match(r.stderr, re);
    }
    assert.equal(readFileSync(file, 'utf8'), before);
    assert.equal(mandate('audit', 'verify', file).status, 0);
    assert.equal(readFileSync(policy, 'utf8'), readFileSync(join(ROOT, 'policies/examples/finance.mandate.yaml'), 'utf8'));
  });

  it('refuses a missing file with one clear line', () => {
    const r = mandate('audit', 'verify', '/nonexistent/audit.jsonl');
    assert.equal(r.status, 1);
    assert.match(r.stderr, /^mandate audit: cannot read audit log `\/nonexistent\/audit.jsonl`: no such file\n$/);
  });
});
