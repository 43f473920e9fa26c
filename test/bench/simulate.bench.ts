// Simulator throughput: generated calls checked per second (generation + decide + every property),
// against a baseline of bare decide() on the same calls, measured in the same run.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, decide, parsePolicy, type ParsedPolicy } from '../../policies';
import { simulate } from '../../harness';
import { buildTargets, buildUniverse, CallSpace, type SimCall } from '../../harness/simulate';

const AT = Date.parse('2026-06-01T00:00:00Z');

function load(path: string): ParsedPolicy {
  const r = parsePolicy(readFileSync(join(__dirname, '../..', path), 'utf8'), path);
  if (!r.ok) throw new Error(`cannot parse ${path}`);
  return r.parsed;
}

function rate(n: number, ms: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')}/s`;
}

/** Wall and CPU milliseconds of `f` (CPU time stays meaningful on a shared, loaded machine). */
async function timed(f: () => unknown): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await f();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
}

/** Bench entry point: prints calls/s for a full simulation and for bare decide() on the same calls. */
export async function run(log: (line: string) => void): Promise<void> {
  for (const file of ['policies/examples/finance.mandate.yaml', 'test/fixtures/broken/approval-missing.broken.mandate.yaml']) {
    const parsed = load(file);
    await simulate(parsed, { runs: 20_000, seed: 1, at: AT }); // warm-up
    const N = 100_000;
    let report: Awaited<ReturnType<typeof simulate>> | undefined;
    const sim = await timed(async () => { report = await simulate(parsed, { runs: N, seed: 2, at: AT }); });
    const dflt = await timed(() => simulate(parsed, { runs: 10_000, seed: 3, at: AT }));
    const compiled = compile(parsed);
    const universe = buildUniverse(parsed.policy, undefined, AT, 2);
    const space = new CallSpace(universe, buildTargets(universe, compiled));
    const calls: SimCall[] = [];
    const gen = await timed(() => { for (let i = 0; i < N; i++) calls.push(space.decode(space.genome(2, i))); });
    const bare = await timed(() => {
      for (const c of calls) decide(compiled, { principal: 'bench', roles: c.roles, tool: c.tool, args: c.args, context: c.context, now: c.now });
    });
    log(`${file}: ${report!.properties.length} properties, ${report!.counterexamples.length} counterexamples`);
    log(`  simulate, ${N.toLocaleString('en-US')} calls:       ${rate(N, sim.wall)} wall, ${rate(N, sim.cpu)} per CPU second (generated calls checked)`);
    log(`  simulate, default 10,000 calls: ${dflt.wall.toFixed(0)} ms wall, ${dflt.cpu.toFixed(0)} ms CPU`);
    log(`  generation alone:                 ${rate(N, gen.wall)} wall, ${rate(N, gen.cpu)} per CPU second`);
    log(`  baseline, bare decide():          ${rate(N, bare.wall)} wall, ${rate(N, bare.cpu)} per CPU second (same calls)`);
    log(`  ratio simulate / bare decide:     ${(bare.cpu / sim.cpu).toFixed(2)} by CPU time (each simulated call is decided twice: the determinism property)`);
  }
}
