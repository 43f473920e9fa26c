// Reads an append-only audit log as a stream of complete lines: what is there now, then (when following)
// each line as it is appended. Event-driven (fs.watch), with a partial last line held back until complete.

import { closeSync, fstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { ReadRefused } from '../readBounded';

const CHUNK = 1 << 16;

/** Follows one file; `stop()` ends it. */
export interface Follower {
  /** resolves after the lines present at start have been delivered */
  ready: Promise<void>;
  stop(): void;
}

/** What `onLine` is told besides the line's text. */
export interface LineInfo {
  /**
   * false when the line's bytes are not valid UTF-8: its text then holds U+FFFD for them, which would hash
   * like a line that held U+FFFD itself (the chain check must refuse it, not hash it)
   */
  validUtf8: boolean;
  /** the byte offset just past the line's newline */
  end: number;
}

export interface FollowOptions {
  /** the byte offset to start at (default 0): the start of a line, e.g. just past what was already read */
  start?: number;
}

/**
 * Deliver the file's complete lines (without their newline; empty lines too) to `onLine`; with `follow`,
 * keep delivering appended lines until stopped. Lines are split on the newline byte and each is decoded
 * whole, so a character whose bytes straddle two reads is never changed. A line is delivered whole however
 * long it is: a record holds a message's arguments, and no fixed cap is above every message size the proxy
 * can be given (its memory is that line's, which the writer held too).
 */
export function followLines(path: string, onLine: (line: string, info: LineInfo) => void, follow: boolean, options: FollowOptions = {}): Follower {
  const fd = openSync(path, 'r');
  // INVARIANT: only a regular file is followed — /dev/zero never ends (it grew this reader to gigabytes), and a
  // pipe or socket cannot be read at an offset
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
    throw new ReadRefused(st.isFIFO() ? 'it is a pipe: an audit log is followed as a file' : 'it is a device, not a file');
  }
  let offset = options.start ?? 0;
  // the bytes of the incomplete line so far
  let partial: Buffer[] = [];
  const fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let watcher: FSWatcher | undefined;
  let stopped = false;
  const deliver = (bytes: Buffer, end: number): void => {
    let line: string;
    let validUtf8 = true;
    try {
      line = fatal.decode(bytes);
    } catch {
      line = bytes.toString('utf8');
      validUtf8 = false;
    }
    onLine(line, { validUtf8, end });
  };
  const drain = (): void => {
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = readSync(fd, buf, 0, CHUNK, offset);
      if (n <= 0) break;
      const read = buf.subarray(0, n);
      const base = offset;
      offset += n;
      let from = 0;
      let nl: number;
      while (!stopped && (nl = read.indexOf(0x0a, from)) >= 0) {
        const piece = read.subarray(from, nl);
        const bytes = partial.length === 0 ? piece : Buffer.concat([...partial, piece]);
        partial = [];
        from = nl + 1;
        deliver(bytes, base + from);
      }
      if (stopped) return;
      if (from < n) partial.push(read.subarray(from));
    }
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    watcher?.close();
    closeSync(fd);
  };
  drain();
  if (follow && !stopped) {
    watcher = watch(path, () => { if (!stopped) drain(); });
    drain(); // what was appended before the watch began
  } else stop();
  return { ready: Promise.resolve(), stop };
}
