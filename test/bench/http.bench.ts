// HTTP added latency and throughput: the SDK client calling server-everything's `echo` over
// Streamable HTTP directly, then through `mandate proxy --listen` (token verified on every request,
// policy decided, audit written), then over stdio through `mandate proxy --upstream URL`, in the same
// run; plus the verifier alone, in-process.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { emptyRevocations, fileKeySource, issueToken, keyPaths, newSigningKey, TokenVerifier, writeKeySets } from '../../extension/proxy/auth';
import { CLI } from '../e2e/http/cliProcess';
import { everythingHttp, httpProxy, stop } from '../e2e/http/support';

const SEQUENTIAL = 300;
const CONCURRENT = 8;
const PER_WORKER = 100;

async function connect(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}));
  return client;
}

/** A client over stdio through `mandate proxy --upstream URL` (its own proxy process and audit log). */
function viaBridge(dir: string, url: string): () => Promise<Client> {
  let n = 0;
  return async () => {
    const client = new Client({ name: 'bench', version: '1' });
    const args = [CLI, 'proxy', '--policy', 'p.mandate.yaml', '--role', 'bench', '--audit', `bridge-${n++}.jsonl`, '--pins-dir', 'pins', '--runtime-dir', 'run', '--upstream', url];
    await client.connect(new StdioClientTransport({ command: process.execPath, args, cwd: dir, stderr: 'ignore' }));
    return client;
  };
}

const call = (c: Client) => c.callTool({ name: 'echo', arguments: { message: 'bench' } });

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
}

/** p50/p95 of sequential calls (ms) and calls/s with CONCURRENT sessions in parallel. */
async function measure(url: string, token?: string): Promise<{ p50: number; p95: number; rps: number }> {
  return measureWith(() => connect(url, token));
}

async function measureWith(open: () => Promise<Client>): Promise<{ p50: number; p95: number; rps: number }> {
  const c = await open();
  for (let i = 0; i < 30; i++) await call(c); // warm-up
  const times: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    const t0 = process.hrtime.bigint();
    await call(c);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  await c.close();
  times.sort((a, b) => a - b);
  const clients = await Promise.all(Array.from({ length: CONCURRENT }, open));
  const t0 = process.hrtime.bigint();
  await Promise.all(clients.map(async (k) => { for (let i = 0; i < PER_WORKER; i++) await call(k); }));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  await Promise.all(clients.map((k) => k.close()));
  return { p50: pct(times, 0.5), p95: pct(times, 0.95), rps: (CONCURRENT * PER_WORKER) / secs };
}

/**
 * Token verifications per second, in-process (ES256, both files stat'ed per call, revocation list): of tokens
 * seen for the first time (a signature checked each), and of one token sent again and again (remembered).
 */
async function verifierRates(dir: string, key: Awaited<ReturnType<typeof newSigningKey>>, token: string, aud: string): Promise<{ fresh: number; remembered: number }> {
  const kp = keyPaths(join(dir, 'keys'));
  const v = new TokenVerifier({ keys: fileKeySource(kp.publicJwks), issuer: 'urn:mandate:local', audience: aud, algorithms: ['ES256'], revocations: kp.revocations });
  const rate = async (tokens: string[]): Promise<number> => {
    const t0 = process.hrtime.bigint();
    for (const t of tokens) await v.verify(t);
    return tokens.length / (Number(process.hrtime.bigint() - t0) / 1e9);
  };
  const issue = async (n: number): Promise<string[]> => Promise.all(Array.from({ length: n }, async () => (await issueToken({ key, sub: 'bench-agent', aud, iss: 'urn:mandate:local', ttlSec: 3600, now: Date.now() })).token));
  await rate(await issue(200)); // warm-up
  const fresh = await rate(await issue(1000));
  await rate(Array.from({ length: 200 }, () => token));
  const remembered = await rate(Array.from({ length: 3000 }, () => token));
  return { fresh, remembered };
}

/** Run the HTTP benchmark. */
export async function run(log: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mandate-bench-http-'));
  const upstream = await everythingHttp();
  let proxy;
  try {
    const key = await newSigningKey('ES256', Date.now());
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [key]);
    emptyRevocations(kp.revocations);
    writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles:\n  bench: { description: Echoes. }\ngrants:\n  - { agent_role: bench, tool: echo }\nagents:\n  bench-agent: { roles: [bench] }\naudit: { path: audit.jsonl }\n');
    proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--upstream', upstream.url], dir);
    const token = (await issueToken({ key, sub: 'bench-agent', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 3600, now: Date.now() })).token;
    // alternate the two paths (direct, proxy, direct, proxy) and keep each one's better round: the
    // machine is shared, and the first round also warms the server's JIT
    const bridge = viaBridge(dir, upstream.url);
    const rounds: Array<readonly [Awaited<ReturnType<typeof measure>>, Awaited<ReturnType<typeof measure>>, Awaited<ReturnType<typeof measure>>]> = [];
    for (let i = 0; i < 2; i++) rounds.push([await measure(upstream.url), await measure(proxy.url, token), await measureWith(bridge)] as const);
    const best = (k: 0 | 1 | 2) => rounds.map((r) => r[k]).sort((a, b) => a.p50 - b.p50)[0]!;
    const direct = best(0);
    const guarded = best(1);
    const bridged = best(2);
    const f = (n: number): string => n.toFixed(2);
    log(`echo over Streamable HTTP, ${SEQUENTIAL} sequential calls; ${CONCURRENT} sessions × ${PER_WORKER} calls for throughput; better of 2 alternating rounds`);
    log(`| path | p50 ms | p95 ms | calls/s |`);
    log(`| --- | --- | --- | --- |`);
    log(`| direct to server-everything | ${f(direct.p50)} | ${f(direct.p95)} | ${direct.rps.toFixed(0)} |`);
    log(`| through mandate proxy (JWT + policy + audit) | ${f(guarded.p50)} | ${f(guarded.p95)} | ${guarded.rps.toFixed(0)} |`);
    log(`| stdio client through mandate proxy --upstream (policy + audit; a proxy process per session) | ${f(bridged.p50)} | ${f(bridged.p95)} | ${bridged.rps.toFixed(0)} |`);
    log(`added latency p50 ${f(guarded.p50 - direct.p50)} ms (×${f(guarded.p50 / direct.p50)}), p95 ${f(guarded.p95 - direct.p95)} ms; throughput ×${f(guarded.rps / direct.rps)} of direct`);
    log(`--upstream bridge: added latency p50 ${f(bridged.p50 - direct.p50)} ms (×${f(bridged.p50 / direct.p50)}), p95 ${f(bridged.p95 - direct.p95)} ms; throughput ×${f(bridged.rps / direct.rps)} of direct`);
    const rates = await verifierRates(dir, key, token, proxy.url);
    log(`token verification alone (ES256, in-process): ${rates.fresh.toFixed(0)}/s for tokens seen first, ${rates.remembered.toFixed(0)}/s for one remembered (×${(rates.remembered / rates.fresh).toFixed(1)})`);
  } finally {
    await stop(proxy);
    await stop(upstream);
    rmSync(dir, { recursive: true, force: true });
  }
}
