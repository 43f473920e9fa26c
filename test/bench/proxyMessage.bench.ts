// The stdio proxy's JavaScript per tools/call, in-process (no pipes, no scheduler): CPU µs per call for
// one call at a time and for bursts of 16. The worker is bundled like dist/proxy.js (tsx's module
// getters would add cost) and run under --cpu-prof by hand to see where the microseconds go.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

/** Bench entry: CPU µs per call (median of four rounds, with their range) at one and 16 in flight. */
export async function run(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-proxymsg-bundle-'));
  const bundle = join(dir, 'worker.js');
  await build({ entryPoints: [resolve(__dirname, 'proxyMessage.worker.ts')], outfile: bundle, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'warning' });
  for (const batch of [1, 16]) {
    const r = spawnSync(process.execPath, [bundle], { env: { ...process.env, BATCH: String(batch), N: process.env['BENCH_MESSAGES'] ?? '50000' }, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`proxyMessage worker failed: ${r.stderr}`);
    const [median, low, high] = r.stdout.trim().split(' ');
    log(`proxy JS per tools/call, ${String(batch).padStart(2)} in flight: ${median} µs CPU (rounds ${low}–${high})`);
  }
  rmSync(dir, { recursive: true, force: true });
}
