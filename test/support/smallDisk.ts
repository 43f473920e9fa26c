// A small real disk for tests of a full audit log: a 64 KiB tmpfs, mounted for one test (root only; skipped elsewhere).

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp';

/**
 * Runs `body` with a 64 KiB tmpfs at `mnt` (inside a fresh temp folder `dir`); skips the test where one cannot be
 * mounted. `before` runs before the unmount, whatever happened (stop the processes that write there).
 */
export async function onSmallDisk(test: Mocha.Context, body: (mnt: string, dir: string) => Promise<void>, before?: () => unknown): Promise<void> {
  const dir = tempDir('mandate-smalldisk-');
  const mnt = join(dir, 'small');
  mkdirSync(mnt);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    console.log(`      (skipped: a small tmpfs cannot be mounted here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim().split('\n')[0]})`);
    return test.skip();
  }
  try {
    await body(mnt, dir);
  } finally {
    await before?.();
    execFileSync('umount', ['-l', mnt]);
  }
}

/** Fills the disk mounted at `mnt`; returns the file to remove to free it. */
export function fill(mnt: string): string {
  const filler = join(mnt, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(128 * 1024));
  } catch {
    // full, as wanted
  }
  return filler;
}
