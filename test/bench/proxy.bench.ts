// Proxy overhead: latency per tools/call and throughput at 16 in flight, direct to the server vs.
// through a plain byte-pipe process vs. through an "audited pipe" (the least an audit-before-forward
// proxy must do: test/fixtures/servers/audited-pipe.mjs) vs. through `mandate proxy` (built
// dist/proxy.js), in one run, in interleaved rounds.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { bootstrapRatio, median } from './stats';

const ROOT = resolve(__dirname, '../..');
const SERVER = [process.execPath, join(ROOT, 'test/fixtures/servers/echo-exact-args.mjs')];

interface Conn {
  proc: ChildProcess;
  call: (args: unknown) => Promise<void>;
  close: () => Promise<void>;
}

function connect(argv: string[]): Promise<Conn> {
  const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
  const waiting = new Map<number | string, () => void>();
  let next = 1;
  let buf = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (c: string) => {
    buf += c;
    let nl;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const msg = JSON.parse(buf.slice(0, nl)) as { id?: number | string };
      buf = buf.slice(nl + 1);
      const w = msg.id !== undefined ? waiting.get(msg.id) : undefined;
      if (w) {
        waiting.delete(msg.id!);
        w();
      }
    }
  });
  const send = (msg: unknown): void => void proc.stdin.write(`${JSON.stringify(msg)}\n`);
  const request = (method: string, params: unknown): Promise<void> => new Promise((res) => {
    const id = next++;
    waiting.set(id, res);
    send({ jsonrpc: '2.0', id, method, params });
  });
  return request('initialize', { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } }).then(async () => {
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    await request('tools/list', {});
    return {
      proc,
      call: (args) => request('tools/call', { name: 'echo', arguments: args }),
      close: () => new Promise<void>((res) => { proc.on('exit', () => res()); proc.stdin.end(); }),
    };
  });
}

const ARGS = { message: 'hello', amount: 42, tags: ['a', 'b'], nested: { ok: true } };

/** Median microseconds per call over `n` sequential calls (the median shrugs off the odd preempted call). */
async function latency(c: Conn, n: number, warm = true): Promise<number> {
  if (warm) for (let i = 0; i < 2000; i++) await c.call(ARGS); // warm-up: let V8 optimise every path first
  const each: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await c.call(ARGS);
    each.push(Number(process.hrtime.bigint() - t) / 1e3);
  }
  return median(each);
}

async function throughput(c: Conn, total: number, inFlight: number): Promise<number> {
  let sent = 0;
  const t = process.hrtime.bigint();
  const lane = async (): Promise<void> => {
    while (sent < total) {
      sent++;
      await c.call(ARGS);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return total / (Number(process.hrtime.bigint() - t) / 1e9);
}

/**
 * Bench entry: prints latency and throughput for the three paths and the ratios. The paths are measured
 * in interleaved rounds (each round visits all three, in a rotating order) and the medians reported, so a
 * burst of load on this shared machine moves one round of every path rather than one path's only figure.
 */
export async function run(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-bench-'));
  mkdirSync(join(dir, 'policy'));
  const policy = join(dir, 'policy', 'bench.mandate.yaml');
  writeFileSync(policy, 'version: 1\nroles: { bench: { description: Bench. } }\ngrants: [{ agent_role: bench, tool: echo }]\n');
  const paths: Record<string, string[]> = {
    direct: SERVER,
    'byte pipe': [process.execPath, join(ROOT, 'test/fixtures/servers/byte-pipe.mjs'), ...SERVER],
    'audited pipe': [process.execPath, join(ROOT, 'test/fixtures/servers/audited-pipe.mjs'), join(dir, 'floor.jsonl'), '--', ...SERVER],
    'mandate proxy': [process.execPath, ...(process.env['BENCH_PROXY_NODE_FLAGS']?.split(' ') ?? []), join(ROOT, 'dist/proxy.js'), '--policy', policy, '--role', 'bench', '--audit', join(dir, 'audit.jsonl'),
      '--pins-dir', join(dir, 'pins'), '--runtime-dir', join(dir, 'run'), '--', ...SERVER],
  };
  const names = Object.keys(paths);
  const N = Number(process.env['BENCH_CALLS'] ?? 600);
  const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 15);
  const conns: Record<string, Conn> = {};
  for (const name of names) {
    conns[name] = await connect(paths[name]!);
    await latency(conns[name], 1); // warm-up (2,000 calls) inside
  }
  const lat: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const tput: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  const addPipe: number[] = [];
  const addFloor: number[] = [];
  const addProxy: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]!);
    const round: Record<string, number> = {};
    for (const name of order) round[name] = await latency(conns[name]!, N, false);
    for (const name of names) lat[name]!.push(round[name]!);
    addPipe.push(round['byte pipe']! - round['direct']!);
    addFloor.push(round['audited pipe']! - round['direct']!);
    addProxy.push(round['mandate proxy']! - round['direct']!);
    if (r % 3 === 0) for (const name of order) tput[name]!.push(await throughput(conns[name]!, N * 3, 16));
  }
  for (const name of names) await conns[name]!.close();
  rmSync(dir, { recursive: true, force: true });
  for (const name of names) {
    log(`${name.padEnd(14)} latency ${median(lat[name]!).toFixed(1).padStart(6)} µs/call   throughput@16 ${median(tput[name]!).toFixed(0).padStart(6)} calls/s   (per-call median; medians of ${ROUNDS} / ${tput[name]!.length} interleaved rounds)`);
  }
  // each round's added latency is that round's path minus that round's direct figure: load common to a round cancels
  const pipe = median(addPipe);
  const floor = median(addFloor);
  const proxy = median(addProxy);
  const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
  log(`added latency (median of per-round differences): byte pipe ${pipe.toFixed(1)} µs (rounds ${spread(addPipe)}), audited pipe ${floor.toFixed(1)} µs (rounds ${spread(addFloor)}), mandate proxy ${proxy.toFixed(1)} µs (rounds ${spread(addProxy)})`);
  // how far the ratio can be trusted on this machine: a bootstrap over the rounds (deterministic)
  const ci = (num: number[]): string => bootstrapRatio(num, addPipe).map((x) => x.toFixed(2)).join('–');
  log(`→ mandate proxy ${(proxy / pipe).toFixed(2)}× the byte pipe's added latency (90% bootstrap interval over rounds ${ci(addProxy)}; target ≤ 1.3×); the audited pipe — parse, one synchronous record, forward, nothing else — ${(floor / pipe).toFixed(2)}× (${ci(addFloor)})`);
  const m = median(tput['mandate proxy']!);
  log(`throughput@16: mandate proxy ${m.toFixed(0)}/s = ${(m / median(tput['byte pipe']!)).toFixed(2)}× the byte pipe, ${(m / median(tput['direct']!)).toFixed(2)}× direct (target ≥ 12000/s)`);
}
