// End to end over HTTP with a stdio server upstream (server-filesystem, one process per session),
// driven by the SDK client and by the MCP Inspector CLI with an Authorization header.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { ROOT } from './cliProcess';
import { httpProxy, stop, type Proc } from './support';
import { tempDir } from '../../support/tmp';

type TextResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };
const BIN = join(ROOT, 'node_modules', '.bin');

/** Run the Inspector CLI; resolves with its exit code and output. */
function inspector(args: string[], home: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(BIN, 'mcp-inspector'), ['--cli', ...args], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

/** Command lines of running processes that mention `needle`. */
function processesWith(needle: string): string[] {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(needle) && !l.includes('ps -eo') && !l.includes('proxyDriver') && !l.includes('dist/cli.js'));
}

describe('HTTP proxy e2e: stdio server upstream, SDK client and Inspector CLI', function () {
  this.timeout(90_000);
  let dir: string;
  let docs: string;
  let proxy: Proc & { url: string };
  let key: Awaited<ReturnType<typeof newSigningKey>>;

  before(async () => {
    dir = tempDir('mandate-http-stdio-');
    docs = join(dir, 'docs');
    mkdirSync(docs);
    writeFileSync(join(docs, 'guide.md'), 'the guide says hello\n');
    key = await newSigningKey('ES256', Date.now());
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [key]);
    emptyRevocations(kp.revocations);
    writeFileSync(join(dir, 'p.mandate.yaml'), `version: 1
roles:
  reader: { description: Reads the docs. }
grants:
  - { agent_role: reader, tools: [read_text_file, list_directory] }
agents:
  copilot-research: { roles: [reader] }
audit: { path: audit.jsonl }
`);
    proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--server', 'docs', '--', join(BIN, 'mcp-server-filesystem'), docs], dir);
  });
  after(async () => {
    await stop(proxy);
    rmSync(dir, { recursive: true, force: true });
  });
  const token = async () => (await issueToken({ key, sub: 'copilot-research', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() })).token;

  it('runs a stdio server per session behind the token check (SDK client)', async () => {
    const t = await token();
    const transport = new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${t}` } } });
    const client = new Client({ name: 'e2e-sdk', version: '1' });
    await client.connect(transport);
    assert.deepEqual((await client.listTools()).tools.map((x) => x.name).sort(), ['list_directory', 'read_text_file']);
    const r = (await client.callTool({ name: 'read_text_file', arguments: { path: join(docs, 'guide.md') } })) as TextResult;
    assert.match(r.content[0]?.text ?? '', /the guide says hello/);
    const w = (await client.callTool({ name: 'write_file', arguments: { path: join(docs, 'x.md'), content: 'no' } })) as TextResult;
    assert.equal(w.isError, true, 'a hidden, ungranted tool is denied when called anyway');
    assert.equal(processesWith(docs).filter((l) => l.includes('mcp-server-filesystem')).length, 1, 'one server process for the session');
    await transport.terminateSession();
    await client.close();
  });

  it('serves the MCP Inspector CLI with an Authorization header, and refuses it without one', async () => {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    const t = await token();
    const ok = await inspector([proxy.url, '--transport', 'http', '--header', `Authorization: Bearer ${t}`, '--method', 'tools/call', '--tool-name', 'read_text_file', '--tool-arg', `path=${join(docs, 'guide.md')}`], home);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /the guide says hello/);
    const hidden = await inspector([proxy.url, '--transport', 'http', '--header', `Authorization: Bearer ${t}`, '--method', 'tools/call', '--tool-name', 'write_file', '--tool-arg', `path=${join(docs, 'y.md')}`, '--tool-arg', 'content=no'], home);
    assert.equal(hidden.code, 5, hidden.out);
    const anon = await inspector([proxy.url, '--transport', 'http', '--method', 'tools/list'], home);
    assert.equal(anon.code, 3, anon.out); // the Inspector's "auth required"
  });

  it('keeps a burst of simultaneous initializes within the per-subject limit: no more than 8 sessions or server processes', async () => {
    const t = await token();
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'burst', version: '1' } } });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t}` };
    // they used to pass the limit checks together, before any of them had started (54 of 100 stayed open)
    const statuses = await Promise.all(Array.from({ length: 30 }, () => fetch(proxy.url, { method: 'POST', headers, body: init }).then(async (r) => { await r.text(); return r.status; })));
    assert.ok(statuses.includes(200), `statuses ${statuses.join(',')}`);
    await new Promise((r) => setTimeout(r, 500)); // evicted sessions' servers take a moment to exit
    const servers = processesWith(docs).filter((l) => l.includes('mcp-server-filesystem')).length;
    assert.ok(servers <= 8, `${servers} server processes after the burst (limit 8 sessions a subject)`);
  });

  it('takes an agent removed from the policy out on its next request (live reload)', async () => {
    const transport = new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${await token()}` } } });
    const client = new Client({ name: 'e2e-reload', version: '1' });
    await client.connect(transport);
    await client.listTools();
    const reloaded = new Promise<void>((resolve) => {
      const seen = (proxy.output().match(/policy reloaded/g) ?? []).length;
      const check = (): void => {
        if ((proxy.output().match(/policy reloaded/g) ?? []).length > seen) resolve();
        else proxy.child.stderr!.once('data', check);
      };
      proxy.child.stderr!.once('data', check);
    });
    writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles:\n  reader: { description: Reads the docs. }\ngrants:\n  - { agent_role: reader, tools: [read_text_file, list_directory] }\naudit: { path: audit.jsonl }\n');
    await reloaded;
    await assert.rejects(client.listTools(), /403|not an agent/i);
  });

  it('terminates every stdio server when the proxy stops', async () => {
    assert.equal(await stop(proxy), 0);
    assert.deepEqual(processesWith(docs).filter((l) => l.includes('mcp-server-filesystem')), []);
  });
});
