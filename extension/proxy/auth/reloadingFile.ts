// A file whose parsed content is re-read when it changes on disk (inode, size or mtime), checked
// on every use: a rotated key set or a new revocation applies to the very next request.

import { statSync, type BigIntStats } from 'node:fs';
import { readFileBounded } from '../readBounded';

/** Identity of a file version: inode, size and nanosecond mtime (an atomic rename changes the inode). */
function stamp(s: { ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint }): string {
  return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}

/**
 * Holds the last good parse of `path`. `current()` stats the file and re-reads it when it changed.
 * INVARIANT: a file that cannot be read or parsed makes `current()` throw — callers fail closed; the
 * previous content is never served for a file that is now broken or gone.
 */
export class ReloadingFile<T> {
  private seen: string | undefined;
  private value: T | undefined;
  private loading: Promise<T> | undefined;
  /** times the file was (re)parsed: for tests and the audit trail */
  loads = 0;
  /** whether the file has ever been there (even unreadable): from then on, missing is an error */
  private existed = false;

  /**
   * `untilSeen`: the value while the file has never existed (a default location not created yet). INVARIANT:
   * once the file has been read, its disappearing is an error again (callers fail closed), never `untilSeen`.
   */
  constructor(readonly path: string, private readonly parse: (text: string, path: string) => T, private readonly maxBytes: number, private readonly untilSeen?: T) {}

  /**
   * The parsed content of the file as it is now. The file is looked at with a synchronous stat (~3 µs): the
   * promise form went through the thread pool, ~25 µs alone and about ten times that on a loaded proxy, for
   * each of the two files every request checks.
   */
  async current(): Promise<T> {
    let s: BigIntStats;
    try {
      s = statSync(this.path, { bigint: true });
    } catch (err) {
      if (this.untilSeen !== undefined && !this.existed && (err as NodeJS.ErrnoException).code === 'ENOENT') return this.untilSeen;
      throw err;
    }
    this.existed = true;
    const id = stamp(s);
    if (id === this.seen && this.value !== undefined) return this.value;
    if (s.size > BigInt(this.maxBytes)) {
      this.seen = undefined;
      throw new Error(`\`${this.path}\` is larger than ${this.maxBytes} bytes`);
    }
    // one read per change even when many requests arrive together
    this.loading ??= this.load(id).finally(() => { this.loading = undefined; });
    return this.loading;
  }

  private async load(id: string): Promise<T> {
    this.seen = undefined;
    this.value = undefined;
    // INVARIANT: a key set or revocation list replaced by a pipe is refused (callers fail closed), never waited on
    const text = readFileBounded(this.path, this.maxBytes, { regularOnly: true }).toString('utf8');
    const value = this.parse(text, this.path);
    this.value = value;
    this.seen = id;
    this.loads++;
    return value;
  }
}
