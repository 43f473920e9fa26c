// `npm run bench`: runs every test/bench/*.bench.ts in name order; each prints its own figures
// next to a baseline measured in the same run. Benches never assert on time.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** A bench module exports `run(log)`; `log` prints one line of the report. */
export type BenchRun = (log: (line: string) => void) => Promise<void>;

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.bench.ts')).sort()
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)));
  for (const f of files) {
    process.stdout.write(`\n## ${f.replace('.bench.ts', '')}\n`);
    const mod = (await import(join(__dirname, f))) as { run: BenchRun };
    await mod.run((line) => process.stdout.write(`${line}\n`));
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${String(err)}\n`);
  process.exitCode = 1;
});
