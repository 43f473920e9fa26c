// The audit writer: chained appends, resuming a log, failing closed after a failed write and recovering from it.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync, appendFileSync, utimesSync, truncateSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { verifyChain } from '../../../policies';
import { AuditLog, AuditWriteError, RETRY_MS, WriterLock } from '../../../extension/proxy/auditLog';
import { sha256 } from '../../../extension/proxy/hash';
import { tempDir } from '../../support/tmp';

const entry = (tool: string) => ({ kind: 'decision' as const, time: '2026-11-25T00:00:00.000Z', tool });

describe('proxy/auditLog', () => {
  const dir = tempDir('mandate-audit-');

  it('appends records that verify as a chain, and resumes the chain on reopen', () => {
    const file = join(dir, 'a', 'log.jsonl');
    const a = AuditLog.open(file);
    a.append(entry('x'));
    a.append(entry('y'));
    a.close();
    const b = AuditLog.open(file);
    assert.equal(b.chainHead.seq, 2);
    b.append(entry('z'));
    b.close();
    const r = verifyChain(readFileSync(file, 'utf8'), sha256);
    assert.equal(r.ok, true);
    assert.equal(r.records, 3);
  });

  it('chains each line to the hash of the one before, though a line is hashed only when the next is made', () => {
    const file = join(dir, 'lazy', 'log.jsonl');
    const a = AuditLog.open(file);
    // one record per write, several per write, and text whose UTF-16 and UTF-8 lengths differ
    const tools = ['é', 'x\u2028y', '😀 two', 'plain', 'ß'.repeat(300), 'last'];
    a.enqueueMembers(`"kind":"decision","time":"2026-11-25T00:00:00.000Z","tool":${JSON.stringify(tools[0])}`, () => entry(tools[0]!));
    a.flush();
    a.enqueue(entry(tools[1]!));
    a.enqueue(entry(tools[2]!));
    a.flush();
    a.enqueueMembers(`"kind":"decision","time":"2026-11-25T00:00:00.000Z","tool":${JSON.stringify(tools[3])}`, () => entry(tools[3]!));
    a.enqueue(entry(tools[4]!));
    a.flush();
    a.append(entry(tools[5]!));
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.deepEqual(a.chainHead, { seq: 6, hash: sha256(lines[5]!) });
    a.close();
    const r = verifyChain(readFileSync(file, 'utf8'), sha256);
    assert.equal(r.ok, true, r.bad?.why);
    assert.deepEqual(lines.map((l) => (JSON.parse(l) as { tool: string }).tool), tools);
    const b = AuditLog.open(file);
    b.append(entry('after reopen'));
    b.close();
    assert.equal(verifyChain(readFileSync(file, 'utf8'), sha256).records, 7);
    assert.equal(verifyChain(readFileSync(file, 'utf8'), sha256).ok, true);
  });

  it('leaves the chain as it was when building a record for the observer throws', () => {
    const file = join(dir, 'observer', 'log.jsonl');
    const seen: number[] = [];
    const a = AuditLog.open(file, { onRecord: (r) => seen.push(r.seq) });
    a.append(entry('first'));
    assert.throws(() => a.enqueueMembers('"kind":"decision","time":"2026-11-25T00:00:00.000Z","tool":"bad"', () => { throw new Error('no record'); }), /no record/);
    a.append(entry('second'));
    a.close();
    const r = verifyChain(readFileSync(file, 'utf8'), sha256);
    assert.equal(r.ok, true, r.bad?.why);
    assert.equal(r.records, 2);
    assert.deepEqual(seen, [0, 1]);
  });

  it('refuses to continue a log whose last record is incomplete', () => {
    const file = join(dir, 'trunc.jsonl');
    const a = AuditLog.open(file);
    a.append(entry('x'));
    a.close();
    appendFileSync(file, '{"v":1,"seq":1');
    assert.throws(() => AuditLog.open(file), (e: unknown) => e instanceof AuditWriteError && /incomplete record/.test(e.message));
  });

  for (const junk of ['null', '[]', '5', '"x"']) {
    it(`refuses to continue a log whose last line is \`${junk}\` as not an audit record (it used to die with a TypeError)`, () => {
      const file = join(dir, `junk-${junk.length}-${junk.charCodeAt(0)}.jsonl`);
      const a = AuditLog.open(file);
      a.append(entry('x'));
      a.close();
      appendFileSync(file, `${junk}\n`);
      assert.throws(() => AuditLog.open(file), (e: unknown) => e instanceof AuditWriteError && /not an audit record/.test(e.message));
    });
  }

  it('continues a log whose last record is larger than any fixed tail (a 1.5 MB denial record)', () => {
    const file = join(dir, 'big.jsonl');
    const a = AuditLog.open(file);
    a.append(entry('x'));
    a.append({ ...entry('big'), args: { blob: 'é'.repeat(800_000) } });
    a.close();
    const b = AuditLog.open(file);
    assert.equal(b.chainHead.seq, 2);
    b.append(entry('after'));
    b.close();
    const r = verifyChain(readFileSync(file, 'utf8'), sha256);
    assert.equal(r.ok, true, r.bad?.why);
    assert.equal(r.records, 3);
  });

  it('continues a log of one large record (no newline before it)', () => {
    const file = join(dir, 'one-big.jsonl');
    const a = AuditLog.open(file);
    a.append({ ...entry('big'), args: { blob: 'x'.repeat(200_000) } });
    a.close();
    const b = AuditLog.open(file);
    b.append(entry('after'));
    b.close();
    assert.equal(verifyChain(readFileSync(file, 'utf8'), sha256).ok, true);
  });

  it('refuses to continue a log whose last line is not valid UTF-8', () => {
    const file = join(dir, 'bad-utf8.jsonl');
    const a = AuditLog.open(file);
    a.append(entry('x'));
    a.close();
    appendFileSync(file, Buffer.concat([Buffer.from('{"v":1,"seq":1,"prev":"00","kind":"session","time":"'), Buffer.from([0xff]), Buffer.from('"}\n')]));
    assert.throws(() => AuditLog.open(file), (e: unknown) => e instanceof AuditWriteError && /not valid UTF-8/.test(e.message));
  });

  it('throws on a failed write and stays failed (fail closed) until it may try again; what was written still verifies', () => {
    const file = join(dir, 'fail.jsonl');
    writeFileSync(file, '');
    let fail = false;
    let now = 1_000_000;
    const a = AuditLog.open(file, { now: () => now, write: (fd, text) => { if (fail) throw new Error('disk full'); writeFileSync(fd, text); } });
    a.append(entry('x'));
    fail = true;
    assert.throws(() => a.append(entry('y')), /disk full/);
    fail = false;
    now += RETRY_MS - 1;
    assert.throws(() => a.append(entry('z')), (e: unknown) => e instanceof AuditWriteError && /unusable: disk full; every call is denied until it can be written again/.test(e.message));
    assert.throws(() => a.flush(), /unusable/);
    assert.equal(verifyChain(readFileSync(file, 'utf8'), sha256).records, 1, 'nothing written meanwhile');
    fail = true; // (closing tries once more: it fails too)
    a.close();
    const r = verifyChain(readFileSync(file, 'utf8'), sha256);
    assert.equal(r.ok, true);
    assert.equal(r.records, 1);
  });

  it('continues the chain once the file can be written again, first with a record of the gap: since when, why, and what was lost', () => {
    const file = join(dir, 'resume.jsonl');
    let full = false;
    let now = Date.parse('2026-11-26T10:00:00.000Z');
    const said: string[] = [];
    const seen: string[] = [];
    const a = AuditLog.open(file, {
      now: () => now, log: (l) => said.push(l), onRecord: (r) => seen.push(`${r.seq}:${r.kind}`),
      write: (fd, text) => { if (full) { writeSync(fd, text.slice(0, 30)); throw new Error('ENOSPC: no space left on device'); } writeFileSync(fd, text); },
    });
    a.append(entry('kept'));
    full = true;
    a.enqueue(entry('lost decision'));
    a.enqueue({ kind: 'outcome', time: '2026-11-26T10:00:00.000Z', tool: 'lost outcome' });
    assert.throws(() => a.flush(), /no space left/);
    full = false;
    now += 500; // not yet tried again: refused, and counted
    assert.throws(() => a.append(entry('refused')), /unusable/);
    assert.equal(said.length, 0);
    now += RETRY_MS;
    a.append(entry('after'));
    a.close();
    const text = readFileSync(file, 'utf8');
    const r = verifyChain(text, sha256);
    assert.equal(r.ok, true, JSON.stringify(r));
    const recs = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { seq: number; kind: string; tool?: string; error?: { code: string; message: string }; detail?: Record<string, unknown> });
    assert.deepEqual(recs.map((x) => `${x.seq}:${x.tool ?? x.kind}`), ['0:kept', '1:error', '2:after']);
    assert.equal(recs[1]!.error!.code, 'audit_write_failed');
    assert.match(recs[1]!.error!.message, /^records could not be written from 2026-11-26T10:00:00\.000Z: ENOSPC: no space left on device$/);
    assert.deepEqual(recs[1]!.detail, { event: 'audit_resumed', since: '2026-11-26T10:00:00.000Z', lost: { decision: 2, outcome: 1 } });
    assert.equal(said.length, 1);
    assert.match(said[0]!, /can be written again; 3 records could not be written since 2026-11-26T10:00:00\.000Z/);
    // observers hear only of records on disk
    assert.deepEqual(seen, ['0:decision', '1:error', '2:decision']);
  });

  it('keeps counting when the first try after a failed write fails too, and tells of the whole gap once', () => {
    const file = join(dir, 'resume-twice.jsonl');
    let full = false;
    let now = 0;
    const failures: string[] = [];
    const a = AuditLog.open(file, { now: () => now, onFailure: (m) => failures.push(m), write: (fd, text) => { if (full) throw new Error('EIO: i/o error'); writeFileSync(fd, text); } });
    a.append(entry('kept'));
    full = true;
    assert.throws(() => a.append(entry('one')), /EIO/);
    assert.deepEqual(failures, [`audit log \`${file}\` cannot be written: EIO: i/o error; calls are denied`]);
    now += RETRY_MS;
    assert.throws(() => a.append(entry('two')), /EIO/); // tried: the gap record and this one fail again
    assert.equal(failures.length, 1, 'one outage, told once');
    now += RETRY_MS;
    full = false;
    a.append(entry('after'));
    a.close();
    const text = readFileSync(file, 'utf8');
    assert.equal(verifyChain(text, sha256).ok, true);
    const recs = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { kind: string; tool?: string; detail?: { lost?: unknown } });
    assert.deepEqual(recs.map((x) => x.tool ?? x.kind), ['kept', 'error', 'after']);
    assert.deepEqual(recs[1]!.detail!.lost, { decision: 2 });
  });

  it('tries again at once when the clock steps back past the last try (it would otherwise wait for the clock to catch up)', () => {
    const file = join(dir, 'clock-back.jsonl');
    let full = false;
    let now = Date.parse('2026-11-26T10:00:00.000Z');
    const a = AuditLog.open(file, { now: () => now, write: (fd, text) => { if (full) throw new Error('ENOSPC'); writeFileSync(fd, text); } });
    a.append(entry('kept'));
    full = true;
    assert.throws(() => a.append(entry('lost')), /ENOSPC/);
    full = false;
    now -= 3_600_000; // an NTP step back of an hour
    a.append(entry('after'));
    a.close();
    assert.deepEqual(readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { tool?: string; kind: string }).tool ?? (JSON.parse(l) as { kind: string }).kind), ['kept', 'error', 'after']);
  });

  it('tries the file once more when it is closed after a failed write, so the log ends telling of what it lost', () => {
    const file = join(dir, 'resume-at-close.jsonl');
    let full = false;
    const a = AuditLog.open(file, { now: () => 0, write: (fd, text) => { if (full) throw new Error('ENOSPC'); writeFileSync(fd, text); } });
    a.append(entry('kept'));
    full = true;
    assert.throws(() => a.append(entry('lost')), /ENOSPC/);
    assert.throws(() => a.append({ kind: 'session', time: 't', detail: { event: 'stop' } }), /unusable/);
    full = false;
    a.close(); // no time has passed: only closing tries again
    const text = readFileSync(file, 'utf8');
    assert.equal(verifyChain(text, sha256).ok, true);
    const recs = text.trimEnd().split('\n').map((l) => JSON.parse(l) as { kind: string; tool?: string; detail?: { lost?: unknown } });
    assert.deepEqual(recs.map((x) => x.tool ?? x.kind), ['kept', 'error']);
    assert.deepEqual(recs[1]!.detail!.lost, { decision: 1, session: 1 });
  });

  it('does not take the log back when another process wrote to it while no record could be written (never cuts what it did not write)', () => {
    const file = join(dir, 'resume-changed.jsonl');
    let full = false;
    let now = 0;
    const a = AuditLog.open(file, { now: () => now, write: (fd, text) => { if (full) throw new Error('ENOSPC'); writeFileSync(fd, text); } });
    a.append(entry('kept'));
    full = true;
    assert.throws(() => a.append(entry('lost')), /ENOSPC/);
    full = false;
    appendFileSync(file, '{"v":1,"seq":1,"prev":"x","kind":"session","time":"t"}\n');
    const size = readFileSync(file).length;
    now += RETRY_MS;
    assert.throws(() => a.append(entry('refused')), (e: unknown) => e instanceof AuditWriteError && /changed by another process .*no record could be written since .*ENOSPC.*until the proxy is restarted/.test(e.message));
    now += 10 * RETRY_MS;
    assert.throws(() => a.append(entry('still refused')), /until the proxy is restarted/);
    a.close();
    assert.equal(readFileSync(file).length, size);
  });

  it('cuts a record a failed write left half written (a full disk): the log still verifies, and a proxy can continue it', () => {
    const file = join(dir, 'partial.jsonl');
    let full = false;
    const a = AuditLog.open(file, { write: (fd, text) => { if (full) { writeSync(fd, text.slice(0, 40)); throw new Error('ENOSPC: no space left on device'); } writeFileSync(fd, text); } });
    a.append(entry('x'));
    full = true;
    assert.throws(() => a.append(entry('y')), /no space left/);
    a.close();
    const r = verifyChain(readFileSync(file, 'utf8'), sha256);
    assert.equal(r.ok, true, JSON.stringify(r));
    assert.equal(r.records, 1);
    const b = AuditLog.open(file);
    b.append(entry('z'));
    b.close();
    assert.equal(verifyChain(readFileSync(file, 'utf8'), sha256).records, 2);
  });

  for (const [what, change, why] of [
    ['removed', (f: string) => unlinkSync(f), /was removed/],
    ['truncated', (f: string) => truncateSync(f, 0), /changed by another process/],
    ['appended to', (f: string) => appendFileSync(f, '{"v":1}\n'), /changed by another process/],
  ] as const) {
    it(`stops, failing closed, when the log is ${what} by another process (its records would be lost, or chained to nothing)`, () => {
      const file = join(dir, `changed-${what.replace(/ /g, '-')}.jsonl`);
      let now = 0;
      const failures: string[] = [];
      const a = AuditLog.open(file, { now: () => now, onFailure: (m) => failures.push(m) });
      a.append(entry('x'));
      change(file);
      assert.throws(() => a.append(entry('y')), (e: unknown) => e instanceof AuditWriteError && why.test(e.message));
      assert.throws(() => a.append(entry('z')), /unusable/);
      assert.equal(failures.length, 1);
      assert.match(failures[0]!, why);
      // not a write that failed: never tried again
      now += 10 * RETRY_MS;
      assert.throws(() => a.append(entry('z')), /unusable.*until the proxy is restarted/);
      a.close();
    });
  }

  it('writes buffered records with one write at flush, in order', () => {
    const file = join(dir, 'batch.jsonl');
    const writes: string[] = [];
    const a = AuditLog.open(file, { write: (fd, text) => { writes.push(text); writeFileSync(fd, text); } });
    a.enqueue(entry('x'));
    a.enqueue(entry('y'));
    assert.equal(writes.length, 0);
    a.flush();
    assert.equal(writes.length, 1);
    a.close();
    const r = verifyChain(readFileSync(file, 'utf8'), sha256);
    assert.equal(r.records, 2);
  });

  it('builds a deferred record before any later record, and at the latest at flush or close', () => {
    const file = join(dir, 'deferred.jsonl');
    const a = AuditLog.open(file);
    a.defer(() => a.enqueue(entry('first')));
    a.defer(() => a.enqueue(entry('second')));
    a.enqueue(entry('third'));
    a.defer(() => a.enqueue(entry('at flush')));
    a.flush();
    a.defer(() => a.enqueue(entry('at close')));
    a.close();
    const text = readFileSync(file, 'utf8');
    assert.deepEqual(text.trimEnd().split('\n').map((l) => (JSON.parse(l) as { tool: string }).tool), ['first', 'second', 'third', 'at flush', 'at close']);
    assert.equal(verifyChain(text, sha256).ok, true);
  });

  it('takes a log for one writer at a time (exclusive): a second writer is refused, saying who holds it and what to do', () => {
    const file = join(dir, 'locked', 'log.jsonl');
    const a = AuditLog.open(file, { exclusive: true });
    a.append(entry('x'));
    assert.throws(() => AuditLog.open(file, { exclusive: true, lockWaitMs: 0 }), (e: Error) => e instanceof AuditWriteError
      && e.message.includes(`pid ${process.pid} on ${hostname()}`) && /two writers would break its hash chain/.test(e.message) && e.message.includes(`${file}.lock`));
    a.append(entry('y'));
    a.close();
    assert.equal(existsSync(`${file}.lock`), false, 'released at close');
    const b = AuditLog.open(file, { exclusive: true });
    b.append(entry('z'));
    b.close();
    assert.equal(verifyChain(readFileSync(file, 'utf8'), sha256).records, 3);
  });

  it('takes over a lock whose holder is gone, and refuses one held on another host', () => {
    const file = join(dir, 'stale', 'log.jsonl');
    AuditLog.open(file).close(); // the folder and file
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: '2026-11-25T00:00:00Z' }));
    const a = AuditLog.open(file, { exclusive: true });
    assert.equal(JSON.parse(readFileSync(`${file}.lock`, 'utf8')).pid, process.pid);
    a.close();
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: 1, host: 'elsewhere.example', since: '2026-11-25T00:00:00Z' }));
    assert.throws(() => AuditLog.open(file, { exclusive: true, lockWaitMs: 0 }), /pid 1 on elsewhere\.example/);
    // a lock file its holder never finished writing: waited on while fresh, taken over once old
    writeFileSync(`${file}.lock`, '');
    utimesSync(`${file}.lock`, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    AuditLog.open(file, { exclusive: true }).close();
  });

  it('waits a bounded time for a live holder to let go (a proxy shutting down), then takes the log', () => {
    const file = join(dir, 'handover', 'log.jsonl');
    AuditLog.open(file).close();
    // another process holds the lock for 400 ms, as a proxy does through its server's shutdown grace
    const holder = spawn(process.execPath, ['-e', `const fs = require('fs'); fs.writeFileSync(${JSON.stringify(`${file}.lock`)}, JSON.stringify({ pid: process.pid, host: require('os').hostname(), since: 'now' }));
      setTimeout(() => fs.unlinkSync(${JSON.stringify(`${file}.lock`)}), 400);`], { stdio: 'ignore' });
    while (!existsSync(`${file}.lock`)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    const t = Date.now();
    const a = AuditLog.open(file, { exclusive: true, lockWaitMs: 5000 });
    assert.ok(Date.now() - t >= 200, 'it waited for the holder');
    a.close();
    holder.kill();
  });

  it('breaks a stale lock only if it is still the one judged stale: a fresh lock taken meanwhile stays (no two writers)', () => {
    const file = join(dir, 'race', 'log.jsonl');
    AuditLog.open(file).close();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: Number(dead.stdout), host: hostname(), since: '2026-11-25T00:00:00Z' }));
    const fresh = JSON.stringify({ pid: process.pid, host: hostname(), since: 'fresh' });
    // between judging the dead holder's lock stale and breaking it, another process takes a fresh lock
    assert.throws(() => WriterLock.take(file, { waitMs: 0, beforeBreak: () => writeFileSync(`${file}.lock`, fresh) }), /being written by another process/);
    assert.equal(readFileSync(`${file}.lock`, 'utf8'), fresh, 'the fresh lock was not broken');
    assert.equal(existsSync(`${file}.lock.break`), false, 'the takeover guard is released');
  });

  it('reports /dev/full as a write failure', () => {
    const a = AuditLog.open('/dev/full');
    assert.throws(() => a.append(entry('x')), AuditWriteError);
    a.close();
  });
});
