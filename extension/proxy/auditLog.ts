// The audit log writer: appends hash-chained JSON Lines synchronously, so a decision record is on
// disk (written, optionally fsync'ed) before the call it records is forwarded.

import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { GENESIS, isChainedRecord, recordLine, validUtf8, type AuditEntry, type AuditRecord, type ChainHead, type Sha256 } from '../../policies';
import { alive } from './approvalProtocol';
import { sha256 as nodeSha256 } from './hash';
import { makeDirs } from './makeDirs';

/** The log could not be written: the call it was meant to record must be denied. */
export class AuditWriteError extends Error {
  readonly code = 'audit_write_failed';
}

export interface AuditLogOptions {
  sha256?: Sha256;
  /** fsync after every record (slower; default: written with write(2), not fsync'ed) */
  fsync?: boolean;
  /** injected for fault tests: write all of `text` at the end of the file */
  write?: (fd: number, text: string) => void;
  /** told of each record once it is on disk (alerting); it can neither delay nor fail the write */
  onRecord?: (record: AuditRecord) => void;
  /**
   * Take the log for this process alone (`FILE.lock`, holding pid and host, removed at close and at exit).
   * Two processes appending to one log each chain from their own last record, which breaks the chain;
   * a log another live process holds is refused with an AuditWriteError that says what to do.
   */
  exclusive?: boolean;
  /** with `exclusive`: how long to wait for a live holder to let go (default 5 s) */
  lockWaitMs?: number;
  /** told once when the log stops taking records (a failed write, a file changed under the writer): alerting */
  onFailure?: (message: string) => void;
  /** told when the log can be written again after a failed write (stderr) */
  log?: (line: string) => void;
  /** the clock of retries and of the record that tells of the gap (default Date.now) */
  now?: () => number;
}

/** After a failed write, how long the writer waits before it tries the file again (a disk freed, a quota raised). */
export const RETRY_MS = 1000;

/** A failed write the writer may recover from: the file was cut back to its last whole record. */
interface Outage {
  /** when the first record was lost */
  since: number;
  reason: string;
  /** no try before this time */
  retryAt: number;
  /** records not written, by kind */
  lost: Record<string, number>;
  /** the sequence number the file's next record has (the failed records' numbers are given again) */
  seq: number;
  /** the record telling of the gap, once chained (it is not itself counted as lost when its write fails) */
  gapLine?: string;
}

/** readHead reads the last line backwards in chunks of this size */
const TAIL_CHUNK = 1 << 16;

/** An open, append-only audit log. */
export class AuditLog {
  private seq: number;
  /** the hash of the last line chained, or undefined while it is still `lastLine` (hashed when first needed) */
  private lastHash: string | undefined;
  private lastLine = '';
  private broken: string | undefined;
  /** set while `broken` by a failed write the file was cut back from: it is tried again (`resume`) */
  private outage: Outage | undefined;
  private failedWrites = 0;
  private buffer: string[] = [];
  private written: AuditRecord[] = [];
  private deferred: Array<() => void> = [];

  private lock: WriterLock | undefined;
  /**
   * The size the file has after this writer's last record (undefined when it is no regular file: a device or
   * pipe has no chain to keep). INVARIANT: a record is written only onto the file as this writer left it —
   * a log another process removed (records written now would be lost with its inode), cut or appended to
   * (a record chained now would not follow the line before it) poisons the writer, so the calls fail closed.
   */
  private end: number | undefined;

  private constructor(readonly path: string, private fd: number, head: ChainHead, private readonly opts: Required<Pick<AuditLogOptions, 'sha256' | 'write' | 'now'>> & Pick<AuditLogOptions, 'onRecord' | 'onFailure' | 'log'> & { fsync: boolean }) {
    this.seq = head.seq;
    this.lastHash = head.hash;
  }

  /** Open (creating folders and file) and find the chain's head from the last record. */
  static open(path: string, options: AuditLogOptions = {}): AuditLog {
    const sha = options.sha256 ?? nodeSha256;
    let fd: number;
    try {
      makeDirs(dirname(path));
    } catch (err) {
      throw new AuditWriteError(`cannot open audit log \`${path}\`: ${(err as Error).message}`);
    }
    // the lock first: the head is read only once no other writer can move it (a device or pipe has no chain to keep)
    const lock = options.exclusive && isFileOrAbsent(path) ? WriterLock.take(path, options.lockWaitMs !== undefined ? { waitMs: options.lockWaitMs } : {}) : undefined;
    try {
      fd = openSync(path, 'a+', 0o600);
    } catch (err) {
      lock?.release();
      throw new AuditWriteError(`cannot open audit log \`${path}\`: ${(err as Error).message}`);
    }
    try {
      const head = readHead(fd, path, sha);
      const st = fstatSync(fd);
      const log = new AuditLog(path, fd, head, {
        sha256: sha, write: options.write ?? writeAll, now: options.now ?? Date.now, fsync: options.fsync === true,
        ...(options.onRecord ? { onRecord: options.onRecord } : {}), ...(options.onFailure ? { onFailure: options.onFailure } : {}), ...(options.log ? { log: options.log } : {}),
      });
      log.lock = lock;
      log.end = st.isFile() ? st.size : undefined;
      return log;
    } catch (err) {
      closeSync(fd);
      lock?.release();
      throw err;
    }
  }

  /**
   * How many writes have failed so far. A record enqueued before a failed write may have been lost with it, even if
   * a later flush succeeds (the log recovered meanwhile): a caller holding what such a record speaks for compares this.
   */
  get failures(): number {
    return this.failedWrites;
  }

  /** Who hears of the records written and of a failure (alerting), from now on: replaces the observers given at open. */
  observe(o: Pick<AuditLogOptions, 'onRecord' | 'onFailure'>): void {
    if (o.onRecord) this.opts.onRecord = o.onRecord;
    else delete this.opts.onRecord;
    if (o.onFailure) this.opts.onFailure = o.onFailure;
    else delete this.opts.onFailure;
  }

  /** The next sequence number and the hash of the last record written. */
  get chainHead(): ChainHead {
    return { seq: this.seq, hash: this.prevHash() };
  }

  /** Hash the last line now (call when nothing waits on the caller: the next record is then made without it). */
  hashLast(): void {
    this.prevHash();
  }

  /**
   * The hash of the last line chained. A line is hashed when the next one is made (or by `hashLast`), not
   * when it is enqueued: the record that lets a call through is written and the call forwarded before its
   * hash is taken (it is the next record's business).
   */
  private prevHash(): string {
    if (this.lastHash === undefined) {
      this.lastHash = this.opts.sha256(this.lastLine);
      this.lastLine = ''; // a slice of the last write's text: let that go
    }
    return this.lastHash;
  }

  /**
   * Append one record and write it now. Throws AuditWriteError when it cannot be written.
   */
  append(entry: AuditEntry): void {
    this.enqueue(entry);
    this.flush();
  }

  /**
   * Chain a record into the write buffer; `flush()` writes the buffer with one system call.
   * INVARIANT: callers forward nothing a buffered record speaks for until flush() has returned.
   */
  enqueue(entry: AuditEntry): void {
    this.buildDeferred();
    if (this.fd < 0 || this.broken !== undefined) this.check(() => entry.kind); // (no closure made on the way of a call)
    const prev = this.prevHash();
    this.chain(recordLine(entry, { seq: this.seq, hash: prev }), prev, () => entry);
  }

  /**
   * `enqueue` for an entry already serialised: `members` is exactly `JSON.stringify(entry()).slice(1, -1)`,
   * not empty, with no v, seq or prev member nor an integer-like first key (`spliceable`); `entry` is called
   * only for an observer. The line is made with one concatenation (no intermediate copies of the entry).
   */
  enqueueMembers(members: string, entry: () => AuditEntry): void {
    this.buildDeferred();
    if (this.fd < 0 || this.broken !== undefined) this.check(() => entry().kind);
    const prev = this.prevHash();
    this.chain(`{"v":1,"seq":${this.seq},"prev":"${prev}",${members}}`, prev, entry);
  }

  /**
   * Have a record built later (it answers nothing, so it need not delay what does): `build` enqueues
   * it. INVARIANT: deferred records keep their place — they are built before any record enqueued
   * after them (by any writer of this log), and at the latest at the next flush or close.
   */
  defer(build: () => void): void {
    this.deferred.push(build);
  }

  private buildDeferred(): void {
    if (this.deferred.length === 0) return;
    const pending = this.deferred;
    this.deferred = [];
    for (const build of pending) build();
  }

  /** Throws, counting the record (of kind `kind()`) as lost, unless the log can take a record now. */
  private check(kind: () => string): void {
    if (this.fd < 0) throw new AuditWriteError(`audit log \`${this.path}\` is closed`);
    if (this.broken === undefined || this.resume()) return;
    if (this.outage) {
      let k = 'unknown';
      try {
        k = kind();
      } catch {
        // counted all the same
      }
      this.outage.lost[k] = (this.outage.lost[k] ?? 0) + 1;
    }
    throw this.unusable();
  }

  private unusable(): AuditWriteError {
    const until = this.outage ? 'every call is denied until it can be written again (tried at most once a second)' : 'every call is denied until the proxy is restarted on a log it can keep';
    return new AuditWriteError(`audit log \`${this.path}\` is unusable: ${this.broken}; ${until}`);
  }

  /**
   * After a failed write, try the file again (at most once in RETRY_MS): if it is still exactly as this writer left it
   * (its last record the one the chain continues from), the chain continues, with a first record telling of the gap —
   * since when, why, and how many records of each kind were not written (the calls they were for were denied; the
   * outcomes of calls already answered are lost). A file changed meanwhile stays unusable until the proxy is restarted.
   */
  private resume(): boolean {
    const o = this.outage;
    if (o === undefined) return false;
    const now = this.opts.now();
    // (a clock stepped back past the last try does not put the next one off: tried now)
    if (now < o.retryAt && now >= o.retryAt - RETRY_MS) return false;
    o.retryAt = now + RETRY_MS;
    const since = new Date(o.since).toISOString();
    // INVARIANT: a failed write was cut back when it failed (else there is no outage): anything the file holds beyond
    // this writer's last record now was written by someone else, and is never cut
    let changed: string | undefined;
    let head: ChainHead | undefined;
    try {
      changed = this.changedUnder();
      if (changed === undefined) head = readHead(this.fd, this.path, this.opts.sha256);
    } catch {
      return false; // cannot be read now: tried again later
    }
    if (head === undefined || head.seq !== o.seq) {
      this.broken = `${changed ?? 'its last record is no longer the one this proxy wrote last'} (no record could be written since ${since}: ${o.reason})`;
      this.outage = undefined;
      return false;
    }
    this.seq = head.seq;
    this.lastHash = head.hash;
    this.lastLine = '';
    this.broken = undefined;
    const gap: AuditEntry = {
      kind: 'error', time: new Date(now).toISOString(),
      error: { code: 'audit_write_failed', message: `records could not be written from ${since}: ${o.reason.slice(0, 300)}` },
      detail: { event: 'audit_resumed', since, lost: { ...o.lost } },
    };
    o.gapLine = recordLine(gap, { seq: this.seq, hash: head.hash });
    this.chain(o.gapLine, head.hash, () => gap);
    const lost = Object.values(o.lost).reduce((a, b) => a + b, 0);
    this.opts.log?.(`mandate proxy: audit log \`${this.path}\` can be written again; ${lost} record${lost === 1 ? '' : 's'} could not be written since ${since} (the calls they were for were denied)`);
    return true;
  }

  private chain(line: string, prev: string, entry: () => AuditEntry): void {
    // the record object is built only for an observer (alerting); the log needs the line alone. Built
    // first: if building it throws, nothing of this record has entered the chain.
    const record = this.opts.onRecord ? { v: 1 as const, seq: this.seq, prev, ...entry() } : undefined;
    this.buffer.push(line, '\n');
    if (record) this.written.push(record);
    this.seq++;
    this.lastLine = line;
    this.lastHash = undefined;
  }

  /**
   * Write every buffered record. INVARIANT: after a failed write the log takes no record (every call fails) until
   * `resume` finds the file as this writer left it, cut back to its last whole record; a file changed under the
   * writer takes none again, since the chain head no longer matches it.
   */
  flush(): void {
    this.buildDeferred();
    if (this.broken !== undefined && !this.resume()) throw this.unusable();
    if (this.buffer.length === 0) return;
    const text = this.buffer.join('');
    this.buffer = [];
    // the unhashed last line, as a slice of the flat text (hashing the line as built would copy it again)
    if (this.lastHash === undefined) this.lastLine = text.slice(text.length - 1 - this.lastLine.length, -1);
    const changed = this.changedUnder();
    if (changed !== undefined) {
      this.failedWrites++;
      this.broken = changed;
      this.outage = undefined;
      this.written = [];
      this.failureSeen(changed);
      throw new AuditWriteError(`cannot write audit log \`${this.path}\`: ${changed}; every call is denied until the proxy is restarted on a log it can keep`);
    }
    try {
      this.opts.write(this.fd, text);
      if (this.opts.fsync) fsyncSync(this.fd);
    } catch (err) {
      this.failedWrites++;
      this.broken = (err as Error).message;
      const resumed = this.outage !== undefined;
      this.failed(text);
      if (!resumed) this.failureSeen(this.broken);
      throw new AuditWriteError(`cannot write audit log \`${this.path}\`: ${this.broken}${this.outage ? '; every call is denied until it can be written again' : ''}`);
    }
    if (this.end !== undefined) this.end += Buffer.byteLength(text, 'utf8');
    this.outage = undefined;
    this.notify();
  }

  /** Tell the observer (alerting) that the log stopped taking records; it cannot delay or fail anything. */
  private failureSeen(why: string): void {
    try {
      this.opts.onFailure?.(`audit log \`${this.path}\` cannot be written: ${why.slice(0, 300)}; calls are denied`);
    } catch {
      // INVARIANT: an observer never affects what the log records or the call it records
    }
  }

  /**
   * A write of `text` failed: cut back what of it reached the file and, when the file then ends where this writer left
   * it, note an outage to recover from (`resume`), counting the records lost. Observers hear of none of them.
   */
  private failed(text: string): void {
    this.written = [];
    const prior = this.outage;
    this.outage = undefined;
    if (!this.cutPartial()) return;
    const lines = text.slice(0, -1).split('\n');
    const now = this.opts.now();
    const o: Outage = prior ? { ...prior, lost: { ...prior.lost }, reason: this.broken!, retryAt: now + RETRY_MS } : { since: now, reason: this.broken!, retryAt: now + RETRY_MS, lost: {}, seq: this.seq - lines.length };
    delete o.gapLine;
    for (const line of lines) {
      if (line === prior?.gapLine) continue; // the gap is told at the next try, with these counted too
      let kind = 'unknown';
      try {
        kind = String((JSON.parse(line) as { kind?: unknown }).kind);
      } catch {
        // counted all the same
      }
      o.lost[kind] = (o.lost[kind] ?? 0) + 1;
    }
    this.outage = o;
  }

  /** Why the file is no longer as this writer left it, if it is not (see `end`). */
  private changedUnder(): string | undefined {
    if (this.end === undefined) return undefined;
    let st;
    try {
      st = fstatSync(this.fd);
    } catch (err) {
      return (err as Error).message;
    }
    if (st.nlink === 0) return 'it was removed (or replaced) by another process since this proxy opened it, and records written now would be lost with it';
    if (st.size !== this.end) return `it was changed by another process since this proxy's last record (${st.size} bytes, where this proxy left ${this.end}): a record chained now would not follow the line before it`;
    return undefined;
  }

  /**
   * After a failed write: cut what of it reached the file (a full disk takes part of a line), so the log ends with
   * its last whole record — `audit verify` would call a half record a truncation, and no proxy would continue it.
   */
  private cutPartial(): boolean {
    if (this.end === undefined) return false;
    try {
      const st = fstatSync(this.fd);
      if (st.nlink === 0 || st.size < this.end) return false;
      if (st.size > this.end) ftruncateSync(this.fd, this.end);
      return true;
    } catch {
      // the file cannot be cut either: `audit verify` names its last line as incomplete
      return false;
    }
  }

  private notify(): void {
    const { onRecord } = this.opts;
    if (!onRecord || this.written.length === 0) return;
    const records = this.written;
    this.written = [];
    for (const r of records) {
      try {
        onRecord(r);
      } catch {
        // INVARIANT: an observer (alerting) never affects what the log records or the call it records
      }
    }
  }

  /** Flush to disk and close. */
  close(): void {
    if (this.fd < 0) return;
    // one last try after a failed write, whenever the last was: the log then ends telling of what it lost
    if (this.outage) this.outage.retryAt = -Infinity;
    try {
      this.flush();
    } catch {
      // already reported to the caller whose record it was; closing anyway
    }
    try {
      fsyncSync(this.fd);
    } catch {
      // closing anyway: a device that cannot fsync (a pipe, /dev/full) has nothing more to flush
    }
    closeSync(this.fd);
    this.fd = -1;
    this.lock?.release();
    this.lock = undefined;
  }
}

/** What a lock file holds. */
interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

/** How long a log whose holder is alive is waited for: a proxy shutting down keeps it through its server's grace period. */
const HOLDER_WAIT_MS = 5000;
/** A takeover guard (`FILE.lock.break`) older than this was left by a process that died breaking a lock. */
const BREAK_STALE_MS = 10_000;

export interface WriterLockOptions {
  /** wait this long for a live holder to let go before refusing (default 5 s) */
  waitMs?: number;
  /** test hook: runs after a lock was judged stale, before it is broken */
  beforeBreak?: () => void;
}

/**
 * One writer per log, across processes: `FILE.lock`, created exclusively, naming its holder. A lock whose
 * holder is gone (same host, no such process) is stale and taken over; one held elsewhere, or by a live
 * process that does not let go within `waitMs`, is refused. Node has no flock(2); a lock per write would cost
 * ~25 µs a call here, so the lock is held for the process's life instead.
 */
export class WriterLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  private constructor(readonly file: string) {
    process.once('exit', this.onExit);
  }

  static take(log: string, opts: WriterLockOptions = {}): WriterLock {
    const file = `${log}.lock`;
    const mine: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
    const waitUntil = Date.now() + (opts.waitMs ?? HOLDER_WAIT_MS);
    const giveUp = waitUntil + 10_000;
    while (Date.now() < giveUp) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        try {
          writeSync(fd, `${JSON.stringify(mine)}\n`);
        } finally {
          closeSync(fd);
        }
        return new WriterLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new AuditWriteError(`cannot lock audit log \`${log}\` (\`${file}\`): ${(err as Error).message}`);
      }
      const holder = readLock(file);
      if (holder === 'gone') continue; // released meanwhile: try again
      if (holder === undefined && youngerThan(file, 2000)) {
        sleep(20); // its holder may be writing it right now
        continue;
      }
      if (holder !== undefined && (holder.host !== mine.host || alive(holder.pid))) {
        if (Date.now() < waitUntil) {
          sleep(100);
          continue;
        }
        throw new AuditWriteError(`audit log \`${log}\` is being written by another process (pid ${holder.pid} on ${holder.host}, since ${holder.since}): two writers would break its hash chain. Give this one its own log (--audit FILE, or another audit.path); if that process is gone, delete \`${file}\``);
      }
      opts.beforeBreak?.();
      breakStale(file, holder);
    }
    throw new AuditWriteError(`cannot lock audit log \`${log}\`: \`${file}\` keeps changing hands`);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    process.removeListener('exit', this.onExit);
    unlinkQuietly(this.file); // already gone: nothing holds the log
  }
}

/**
 * Remove the lock judged stale — only if it is still that one. INVARIANT: the lock is read again, and removed,
 * under `FILE.lock.break` (created exclusively): without it, a process that judged the old lock stale could
 * remove a fresh lock another process had taken meanwhile, and both would write the log. (A guard left by a
 * process that died breaking a lock is removed once old; that leaves a window only a second such death opens.)
 */
function breakStale(file: string, judged: LockInfo | undefined): void {
  const guard = `${file}.break`;
  try {
    closeSync(openSync(guard, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new AuditWriteError(`cannot lock audit log (\`${guard}\`): ${(err as Error).message}`);
    if (!youngerThan(guard, BREAK_STALE_MS)) unlinkQuietly(guard);
    sleep(20); // another process is breaking it: look again
    return;
  }
  try {
    const now = readLock(file);
    const same = now === undefined ? judged === undefined && !youngerThan(file, 2000)
      : now !== 'gone' && judged !== undefined && now.pid === judged.pid && now.host === judged.host && now.since === judged.since;
    if (same) unlinkQuietly(file);
  } finally {
    unlinkQuietly(guard);
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // gone already
  }
}

/**
 * The proxy writing `log` now, as its `FILE.lock` names it: a live process on this host, or any holder on another
 * (which cannot be asked); undefined when no lock names one.
 */
export function liveWriter(log: string): { pid: number; host: string } | undefined {
  const holder = readLock(`${log}.lock`);
  if (holder === undefined || holder === 'gone') return undefined;
  return holder.host !== hostname() || alive(holder.pid) ? { pid: holder.pid, host: holder.host } : undefined;
}

/** The holder a lock file names; undefined when unreadable, 'gone' when the file no longer exists. */
function readLock(file: string): LockInfo | undefined | 'gone' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'gone' : undefined;
  }
  try {
    const v = JSON.parse(text) as Partial<LockInfo>;
    return typeof v.pid === 'number' && typeof v.host === 'string' ? { pid: v.pid, host: v.host, since: String(v.since ?? '?') } : undefined;
  } catch {
    return undefined;
  }
}

function isFileOrAbsent(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return true;
  }
}

function youngerThan(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs < ms;
  } catch {
    return false;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
}

/**
 * Read the last complete line of the file to continue its chain. Runs once, at open: it reads backwards in
 * chunks until the newline before that line, however long the line is (a record holds a message's arguments,
 * and a message may be megabytes).
 */
function readHead(fd: number, path: string, sha: Sha256): ChainHead {
  const size = fstatSync(fd).size;
  if (size === 0) return { seq: 0, hash: GENESIS };
  const verify = `(run \`mandate audit verify ${path}\`)`;
  if (readAt(fd, size - 1, 1)[0] !== 0x0a) throw new AuditWriteError(`audit log \`${path}\` ends with an incomplete record ${verify}`);
  const chunks: Buffer[] = [];
  // the line is [start, end): end is the offset of its newline
  const end = size - 1;
  let start = end;
  while (start > 0) {
    const len = Math.min(TAIL_CHUNK, start);
    const buf = readAt(fd, start - len, len);
    const nl = buf.lastIndexOf(0x0a);
    chunks.push(nl < 0 ? buf : buf.subarray(nl + 1));
    start = nl < 0 ? start - len : start - len + nl + 1;
    if (nl >= 0) break;
  }
  const bytes = Buffer.concat(chunks.reverse());
  if (!validUtf8(bytes)) throw new AuditWriteError(`audit log \`${path}\` ends with a line that is not valid UTF-8 ${verify}`);
  const line = bytes.toString('utf8');
  let rec: unknown;
  try {
    rec = JSON.parse(line);
  } catch {
    throw new AuditWriteError(`audit log \`${path}\` ends with a line that is not a record ${verify}`);
  }
  // INVARIANT: a last line of `null`, `[]` or `5` is refused like any other non-record, never dereferenced
  if (!isChainedRecord(rec)) throw new AuditWriteError(`audit log \`${path}\` ends with a line that is not an audit record ${verify}`);
  return { seq: rec.seq + 1, hash: sha(line) };
}

/** `len` bytes of the file from `pos` (fewer only at its end). */
function readAt(fd: number, pos: number, len: number): Buffer {
  const buf = Buffer.alloc(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, pos + got);
    if (n <= 0) break;
    got += n;
  }
  return got < len ? buf.subarray(0, got) : buf;
}
