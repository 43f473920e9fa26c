// npm run demo, step 5: a guarded MCP session. The SDK Client talks to the built proxy
// (dist/cli.js proxy) in front of test/fixtures/servers/finance-server.mjs under the finance policy:
// an allowed call, a denied call with its reason, an approval-required call approved with
// `mandate approve ID`, then `mandate audit verify` and `mandate audit show`.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'dist', 'cli.js');
const work = mkdtempSync(join(tmpdir(), 'mandate-demo-'));
const audit = join(work, 'audit.jsonl');
const runtime = join(work, 'run');
const say = (line = '') => process.stdout.write(`${line}\n`);
const text = (r) => r.content?.[0]?.text ?? JSON.stringify(r);
let failures = 0;
const expect = (ok, what) => { if (!ok) { failures++; say(`!! unexpected: ${what}`); } };

const proxyArgs = [cli, 'proxy', '--policy', 'policies/examples/finance.mandate.yaml', '--role', 'finance_executor', '--agent', 'payments-agent',
  '--context', 'environment=prod', '--context', 'region=eu-west-1', '--context', 'tenant=acme',
  '--audit', audit, '--pins-dir', join(work, 'pins'), '--runtime-dir', runtime, '--approval-timeout', '30000',
  '--', process.execPath, 'test/fixtures/servers/finance-server.mjs'];
say(`$ mandate ${proxyArgs.slice(1).map((a) => (a === process.execPath ? 'node' : a.replace(root + '/', ''))).join(' ')}`);
const transport = new StdioClientTransport({ command: process.execPath, args: proxyArgs, cwd: root, stderr: 'pipe' });
let stderr = '';
const approvalAsked = new Promise((resolve) => {
  transport.stderr?.on('data', (c) => {
    stderr += c.toString();
    const m = /approval (\S+) needed/.exec(stderr);
    if (m) resolve(m[1]);
  });
});
const client = new Client({ name: 'demo-agent', version: '1.0.0' });
await client.connect(transport);

const { tools } = await client.listTools();
say(`tools the agent sees: ${tools.map((t) => t.name).join(', ')}   (refund_payment is hidden: denied by rule)`);
expect(!tools.some((t) => t.name === 'refund_payment'), 'refund_payment listed');

say('\n→ get_balance {}');
const bal = await client.callTool({ name: 'get_balance', arguments: {} });
say(`  ALLOWED: ${text(bal)}`);
expect(!bal.isError, 'get_balance failed');

say('\n→ issue_payment {"vendor":"acme-bv","amount":1500,"currency":"EUR"}');
const big = await client.callTool({ name: 'issue_payment', arguments: { vendor: 'acme-bv', amount: 1500, currency: 'EUR' } });
say(`  DENIED: ${text(big)}`);
expect(big.isError === true, 'the 1500 EUR payment was not denied');

say('\n→ issue_payment {"vendor":"acme-bv","amount":250,"currency":"EUR"}   (needs a human)');
const pending = client.callTool({ name: 'issue_payment', arguments: { vendor: 'acme-bv', amount: 250, currency: 'EUR' } });
const id = await approvalAsked;
say(`  held for approval ${id}; a person answers from another terminal:`);
say(`  $ mandate approve ${id}`);
const ap = spawnSync(process.execPath, [cli, 'approve', id, '--runtime-dir', runtime, '--by', 'finance-officer'], { encoding: 'utf8' });
say(`  ${ap.stdout.trim() || ap.stderr.trim()}`);
const paid = await pending;
say(`  ALLOWED after approval: ${text(paid)}`);
expect(!paid.isError, 'approved payment failed');

await client.close();

say(`\n$ mandate audit verify ${audit}`);
const v = spawnSync(process.execPath, [cli, 'audit', 'verify', audit], { encoding: 'utf8' });
process.stdout.write(v.stdout + v.stderr);
expect(v.status === 0, 'audit verify failed');
say(`\n$ mandate audit show ${audit} --kind decision --kind approval`);
const s = spawnSync(process.execPath, [cli, 'audit', 'show', audit, '--kind', 'decision', '--kind', 'approval'], { encoding: 'utf8' });
process.stdout.write(s.stdout + s.stderr);
process.exit(failures === 0 ? 0 : 1);
