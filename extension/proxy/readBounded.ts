// Reading a file the user named (a policy, a manifest, an audit log) without trusting what it is: a device such as
// /dev/zero never ends and is refused; a pipe (`<(…)`) is read, but never past a limit — except by a process
// that is serving (`regularOnly`), which a pipe with no writer would block for good.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { NotAFolder } from './makeDirs';

/** Why a path was not read although it opened: it is a device, or it holds more than the limit. */
export class ReadRefused extends Error {}

/** Node's own limit for a file read at once. */
export const READ_LIMIT = 2 ** 31 - 1;

export interface ReadOptions {
  /**
   * Read a regular file only, and never wait to open one: for a file read again while the process serves (a
   * policy reload, the pins). INVARIANT: a path someone replaced by a pipe is refused, never opened blocking —
   * open(2) of a FIFO with no writer waits for one, and a synchronous read stops every call and signal with it.
   */
  regularOnly?: boolean;
}

/** The file's bytes, at most `limit` of them; throws ReadRefused, or the fs error (ENOENT, EISDIR, EACCES…). */
export function readFileBounded(path: string, limit = READ_LIMIT, o: ReadOptions = {}): Buffer {
  const fd = openSync(path, o.regularOnly ? constants.O_RDONLY | constants.O_NONBLOCK : 'r');
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${path}'`), { code: 'EISDIR' });
    if (o.regularOnly && !st.isFile()) throw new ReadRefused('not a regular file (a pipe or a device is read only when the proxy starts)');
    if (st.isCharacterDevice() || st.isBlockDevice() || st.isSocket()) throw new ReadRefused('it is a device, not a file');
    if (st.isFile() && st.size > limit) throw new ReadRefused(`larger than ${size(limit)}`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit - total + 1));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw new ReadRefused(`larger than ${size(limit)}`);
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** Why a read failed, in words: the refusal, or the fs error's meaning. */
export function readFailure(err: unknown): string {
  if (err instanceof ReadRefused || err instanceof NotAFolder) return err.message;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOTDIR') return 'a part of the path is not a folder';
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : (err as Error).message;
}

function size(limit: number): string {
  return limit >= 1024 * 1024 ? `${Math.floor(limit / (1024 * 1024))} MiB` : `${limit} bytes`;
}
