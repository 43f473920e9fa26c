// Worker of proxyMessage.bench.ts (bundled by it with esbuild, run as plain node): the stdio proxy's
// JavaScript for one tools/call with no processes or pipes — client line → FrameReader → Guard (decide,
// decision record written, forward serialised) → upstream reply line → FrameReader → Guard (answer,
// outcome record). Prints CPU µs per call: the median and spread of four rounds after a warm-up.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parsePolicy } from '../../policies';
import { ApprovalBroker, AuditLog, FrameReader, Guard, PinStore, PolicyState } from '../../extension/proxy';

const N = Number(process.env['N'] ?? 50000);
const BATCH = Number(process.env['BATCH'] ?? 1);
const ARGS = { message: 'hello', amount: 42, tags: ['a', 'b'], nested: { ok: true } };
/** what echo-exact-args answers: the arguments as text */
const ECHO = JSON.stringify({ content: [{ type: 'text', text: JSON.stringify(ARGS) }] });
const TOOLS = [{ name: 'echo', description: 'Echo the arguments received.', inputSchema: { type: 'object', properties: { message: { type: 'string' } } }, annotations: { readOnlyHint: true } }];

const dir = mkdtempSync(join(tmpdir(), 'mandate-proxymsg-'));
const parsed = parsePolicy('version: 1\nroles: { bench: { description: Bench. } }\ngrants: [{ agent_role: bench, tool: echo }]\n', 'bench.mandate.yaml');
if (!parsed.ok) throw new Error('bad bench policy');
const audit = AuditLog.open(join(dir, 'audit.jsonl'));
let replies: Buffer[] = [];
let out = 0;
const upstream = new FrameReader((m, line) => guard.fromUpstream(m, line), () => undefined, 4 << 20, false);
const guard: Guard = new Guard({
  session: 'bench', server: 'echo', identity: { principal: 'local:bench', roles: ['bench'] }, context: {},
  policy: new PolicyState(parsed.parsed, 'v1'), audit, pins: new PinStore(join(dir, 'pins.json'), 'echo', () => Date.now()),
  approvals: new ApprovalBroker('bench', 60_000, () => Date.now()), now: () => Date.now(), callTimeoutMs: 60_000,
  toClient: (m) => { out += JSON.stringify(m).length; }, toClientRaw: (line) => { out += line.length; },
  toUpstream: (m) => {
    out += JSON.stringify(m).length; // what the upstream LineWriter does with it
    const msg = m as { id?: string | number; method?: string };
    if (msg.id === undefined) return;
    const result = msg.method === 'tools/list' ? JSON.stringify({ tools: TOOLS }) : ECHO;
    replies.push(Buffer.from(`{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":${result}}\n`));
  },
  toUpstreamRaw: (line) => { // as the stdio transport: checked calls go as lines
    out += line.length;
    const id = /^\{"jsonrpc":"2\.0","id":(\d+),/.exec(line)?.[1];
    if (id !== undefined) replies.push(Buffer.from(`{"jsonrpc":"2.0","id":${id},"result":${ECHO}}\n`));
  },
  log: () => undefined,
});
const client = new FrameReader((m) => guard.fromClient(m), () => undefined, 4 << 20, true);
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const answer = (): void => {
  const r = replies;
  replies = [];
  for (const line of r) upstream.push(line);
};

async function round(lines: Buffer[]): Promise<number> {
  const t = process.cpuUsage();
  for (let i = 0; i < lines.length; i += BATCH) {
    for (let j = i; j < Math.min(lines.length, i + BATCH); j++) client.push(lines[j]!);
    await tick();
    answer();
    await tick();
  }
  const u = process.cpuUsage(t);
  return (u.user + u.system) / lines.length;
}

async function main(): Promise<void> {
  client.push(Buffer.from('{"jsonrpc":"2.0","method":"notifications/initialized"}\n'));
  await tick();
  answer();
  await tick();
  const lines = Array.from({ length: N }, (_, i) => Buffer.from(`${JSON.stringify({ jsonrpc: '2.0', id: i + 1, method: 'tools/call', params: { name: 'echo', arguments: ARGS } })}\n`));
  const size = N / 5;
  await round(lines.slice(0, size));
  const us: number[] = [];
  for (let k = 1; k < 5; k++) us.push(await round(lines.slice(k * size, (k + 1) * size)));
  us.sort((a, b) => a - b);
  audit.close();
  rmSync(dir, { recursive: true, force: true });
  if (out === 0) throw new Error('nothing went through the guard');
  process.stdout.write(`${((us[1]! + us[2]!) / 2).toFixed(1)} ${us[0]!.toFixed(1)} ${us[3]!.toFixed(1)}\n`);
}

void main();
