// Reads an append-only audit log as a stream of complete lines: what is there now, then (when following)
// each line as it is appended. Event-driven (fs.watch), with a partial last line held back until complete.

import { closeSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

const CHUNK = 1 << 16;
/** a line longer than this is delivered as is (the chain check then names it) rather than buffered forever */
const MAX_LINE = 8 << 20;

/** Follows one file; `stop()` ends it. */
export interface Follower {
  /** resolves after the lines present at start have been delivered */
  ready: Promise<void>;
  stop(): void;
}

/** Deliver the file's complete lines to `onLine`; with `follow`, keep delivering appended lines until stopped. */
export function followLines(path: string, onLine: (line: string) => void, follow: boolean): Follower {
  const fd = openSync(path, 'r');
  let offset = 0;
  let partial = '';
  // INVARIANT: a character whose UTF-8 bytes straddle two reads is decoded whole (a changed character breaks the chain)
  const utf8 = new StringDecoder('utf8');
  let watcher: FSWatcher | undefined;
  let stopped = false;
  const drain = (): void => {
    const buf = Buffer.alloc(CHUNK);
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, offset);
      if (n <= 0) break;
      offset += n;
      partial += utf8.write(buf.subarray(0, n));
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        if (line.length > 0) onLine(line);
      }
      if (partial.length > MAX_LINE) {
        onLine(partial);
        partial = '';
      }
    }
  };
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    watcher?.close();
    closeSync(fd);
  };
  drain();
  if (follow) watcher = watch(path, () => { if (!stopped) drain(); });
  else stop();
  return { ready: Promise.resolve(), stop };
}
