// Proxy overhead: latency per tools/call and throughput at 16 in flight, direct to the server vs.
// through a plain byte-pipe process vs. through `mandate proxy` (built dist/proxy.js), in one run.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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

async function latency(c: Conn, n: number): Promise<number> {
  for (let i = 0; i < 2000; i++) await c.call(ARGS); // warm-up: let V8 optimise every path first
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await c.call(ARGS);
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
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

/** Bench entry: prints latency and throughput for the three paths and the ratios. */
export async function run(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-bench-'));
  mkdirSync(join(dir, 'policy'));
  const policy = join(dir, 'policy', 'bench.mandate.yaml');
  writeFileSync(policy, 'version: 1\nroles: { bench: { description: Bench. } }\ngrants: [{ agent_role: bench, tool: echo }]\n');
  const paths: Record<string, string[]> = {
    direct: SERVER,
    'byte pipe': [process.execPath, join(ROOT, 'test/fixtures/servers/byte-pipe.mjs'), ...SERVER],
    'mandate proxy': [process.execPath, ...(process.env['BENCH_PROXY_NODE_FLAGS']?.split(' ') ?? []), join(ROOT, 'dist/proxy.js'), '--policy', policy, '--role', 'bench', '--audit', join(dir, 'audit.jsonl'),
      '--pins-dir', join(dir, 'pins'), '--runtime-dir', join(dir, 'run'), '--', ...SERVER],
  };
  const N = Number(process.env['BENCH_CALLS'] ?? 3000);
  const figures: Record<string, { lat: number; tput: number }> = {};
  for (const [name, argv] of Object.entries(paths)) {
    const c = await connect(argv);
    const lat = await latency(c, N);
    const tput = await throughput(c, N * 3, 16);
    await c.close();
    figures[name] = { lat, tput };
    log(`${name.padEnd(14)} latency ${lat.toFixed(1).padStart(6)} µs/call   throughput@16 ${tput.toFixed(0).padStart(6)} calls/s`);
  }
  const d = figures['direct']!;
  const p = figures['byte pipe']!;
  const m = figures['mandate proxy']!;
  const addPipe = p.lat - d.lat;
  const addProxy = m.lat - d.lat;
  log(`added latency: byte pipe ${addPipe.toFixed(1)} µs, mandate proxy ${addProxy.toFixed(1)} µs → ratio ${(addProxy / addPipe).toFixed(2)}× (target ≤ 1.3×)`);
  log(`throughput@16: mandate proxy ${m.tput.toFixed(0)}/s = ${(m.tput / p.tput).toFixed(2)}× the byte pipe, ${(m.tput / d.tput).toFixed(2)}× direct (target ≥ 12000/s)`);
}
