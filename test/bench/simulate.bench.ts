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

/** Bench entry point: prints calls/s for a full simulation and for bare decide() on the same calls. */
export async function run(log: (line: string) => void): Promise<void> {
  for (const file of ['policies/examples/finance.mandate.yaml', 'test/fixtures/broken/approval-missing.broken.mandate.yaml']) {
    const parsed = load(file);
    await simulate(parsed, { runs: 20_000, seed: 1, at: AT }); // warm-up
    const N = 100_000;
    let t = performance.now();
    const report = await simulate(parsed, { runs: N, seed: 2, at: AT });
    const simMs = performance.now() - t;
    t = performance.now();
    await simulate(parsed, { runs: 10_000, seed: 3, at: AT });
    const defaultMs = performance.now() - t;

    const compiled = compile(parsed);
    const space = new CallSpace(buildUniverse(parsed.policy, undefined, AT, 2), buildTargets(buildUniverse(parsed.policy, undefined, AT, 2), compiled));
    t = performance.now();
    const calls: SimCall[] = [];
    for (let i = 0; i < N; i++) calls.push(space.decode(space.genome(2, i)));
    const genMs = performance.now() - t;
    t = performance.now();
    for (const c of calls) decide(compiled, { principal: 'bench', roles: c.roles, tool: c.tool, args: c.args, context: c.context, now: c.now });
    const decideMs = performance.now() - t;

    log(`${file}: ${report.properties.length} properties, ${report.counterexamples.length} counterexamples`);
    log(`  simulate, ${N.toLocaleString('en-US')} calls:     ${simMs.toFixed(0)} ms = ${rate(N, simMs)} generated calls checked`);
    log(`  simulate, default 10,000 calls: ${defaultMs.toFixed(0)} ms`);
    log(`  generation alone:               ${rate(N, genMs)}`);
    log(`  baseline bare decide():         ${rate(N, decideMs)} on the same calls`);
    log(`  ratio simulate / bare decide:   ${(decideMs / simMs).toFixed(2)} (each simulated call is decided twice: the determinism property)`);
  }
}
