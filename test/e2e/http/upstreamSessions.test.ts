// The HTTP proxy's HTTP upstream sessions end on the server when the proxy is done with them: a client that ends
// its session (DELETE) has its upstream session ended too, and a link dropped for a new one is ended as well —
// else each client session (and each reconnect) leaves one behind on the server, for as long as the server lives.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { ROOT } from './cliProcess';
import { httpProxy, spawnUntil, stop, type Proc } from './support';
import { tempDir } from '../../support/tmp';

type TextResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };
interface Logged { http: string; session: string | null; msg?: { method?: string } }

describe('HTTP proxy e2e: upstream sessions ended on the server', function () {
  this.timeout(120_000);
  let server: Proc & { match: RegExpMatchArray };
  let proxy: Proc & { url: string };
  let base: string;
  let key: Awaited<ReturnType<typeof newSigningKey>>;
  let dir: string;

  const serverLog = async (): Promise<Logged[]> => await (await fetch(`${base}/log`)).json() as Logged[];
  const control = async (c: Record<string, unknown>): Promise<void> => void await fetch(`${base}/control`, { method: 'POST', body: JSON.stringify(c) });
  const deletedOnServer = async (session: string | null): Promise<boolean> => {
    for (let i = 0; i < 100; i++) {
      if ((await serverLog()).some((m) => m.http === 'DELETE' && m.session === session)) return true;
      await new Promise((r) => setTimeout(r, 100));
    }
    return false;
  };
  const connect = async (): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
    const t = await issueToken({ key, sub: 'bot', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
    const client = new Client({ name: 'sessions-e2e', version: '1' });
    const transport = new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } });
    await client.connect(transport);
    return { client, transport };
  };
  const ok = async (c: Client): Promise<string> => ((await c.callTool({ name: 'one', arguments: {} })) as TextResult).content[0]?.text ?? '';

  beforeEach(async () => {
    server = await spawnUntil(process.execPath, [join(ROOT, 'test/fixtures/servers/http-scripted.mjs')], {}, /listening on port (\d+)/);
    base = `http://127.0.0.1:${server.match[1]}`;
    dir = tempDir('mandate-http-sessions-');
    key = await newSigningKey('ES256', Date.now());
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [key]);
    emptyRevocations(kp.revocations);
    writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles: { reader: { description: Reads. } }\ngrants: [{ agent_role: reader, tools: [one] }]\nagents: { bot: { roles: [reader] } }\n');
    proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--audit', 'audit.jsonl', '--upstream', `${base}/mcp`], dir);
  });
  afterEach(async () => {
    await stop(proxy);
    await stop(server);
  });

  it('a client ending its session ends the upstream session', async () => {
    const { client, transport } = await connect();
    assert.equal(await ok(client), 'ok one');
    const upstream = (await serverLog()).find((m) => m.msg?.method === 'tools/call')!.session;
    await transport.terminateSession();
    await client.close();
    assert.ok(await deletedOnServer(upstream), 'the upstream session was ended on the server');
  });

  it('a link dropped for a new one (the server failed a request) is ended on the server', async () => {
    const { client } = await connect();
    assert.equal(await ok(client), 'ok one');
    const first = (await serverLog()).find((m) => m.msg?.method === 'tools/call')!.session;
    await control({ fail: 1, failBody: 200_000 }); // a long error page: what it says is kept short
    const err = await client.callTool({ name: 'one', arguments: {} }).then(() => 'answered', (e: Error) => e.message);
    assert.match(err, /failed closed|-32002/);
    assert.ok(err.length < 2000, `the client was told ${err.length} characters`);
    let text = '';
    for (let i = 0; i < 50 && text === ''; i++) {
      text = await ok(client).catch(() => '');
      if (text === '') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(text, 'ok one');
    assert.ok(await deletedOnServer(first), 'the dropped upstream session was ended on the server');
    await client.close();
    const long = readFileSync(join(dir, 'audit.jsonl'), 'utf8').split('\n').filter((l) => l.length > 4000).map((l) => `${l.slice(0, 120)}… (${l.length})`);
    assert.deepEqual(long, []);
    assert.ok(proxy.output().length < 10_000, `the proxy wrote ${proxy.output().length} characters`);
  });
});
