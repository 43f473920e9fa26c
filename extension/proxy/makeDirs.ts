// `mkdir -p` that ends. Node 20's `mkdirSync(dir, { recursive: true })` never returns on a file system that answers
// ENOENT for a folder whose parent exists (`--audit /proc/nope/a.jsonl` spun at 100 % CPU and the proxy never
// started): it creates the parent again and again.

import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** A path that must be a folder is something else (a file, a device): `code` ENOTDIR, the message names it. */
export class NotAFolder extends Error {
  readonly code = 'ENOTDIR';
  constructor(readonly path: string) {
    super(`\`${path}\` is not a folder`);
  }
}

/** Make `dir` and the folders above it that are missing; throws the first folder's error (NotAFolder, ENOENT, EACCES…). */
export function makeDirs(dir: string, mode?: number): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !isDir(d); d = dirname(d)) {
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d, mode !== undefined ? { mode } : {});
    } catch (err) {
      // made meanwhile by another process: as good
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && !isDir(d)) throw new NotAFolder(d);
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}

function isDir(d: string): boolean {
  try {
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
}
