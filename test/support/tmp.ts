// Temporary folders for tests: real folders under the OS temp dir, removed when the test process exits
// (a suite that leaves a folder per run behind fills /tmp on a developer's machine within weeks).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made: string[] = [];
let hooked = false;

/** A fresh folder `<tmp>/<prefix>XXXXXX`, removed with everything in it when this process exits. */
export function tempDir(prefix = 'mandate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const d of made) {
        try {
          rmSync(d, { recursive: true, force: true });
        } catch {
          // a folder a killed child still holds open: left for the OS to clean
        }
      }
    });
  }
  return dir;
}
