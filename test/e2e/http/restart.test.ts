// A crashed stdio server behind the HTTP proxy is restarted inside the session (given the client's
// initialize again), as the stdio proxy does; calls in flight fail closed; restarts are bounded.

import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { AuditRecord } from '../../../policies';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { ROOT } from './cliProcess';
import { httpProxy, stop, type Proc } from './support';
import { tempDir } from '../../support/tmp';

type TextResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };

describe('HTTP proxy e2e: a crashed stdio server is restarted inside the session', function () {
  this.timeout(60_000);
  let dir: string;
  let proxy: Proc & { url: string };
  let key: Awaited<ReturnType<typeof newSigningKey>>;

  const start = async (restarts: string): Promise<void> => {
    proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--server', 'crashy', '--audit', `audit-${restarts}.jsonl`, '--max-restarts', restarts,
      '--', process.execPath, join(ROOT, 'test/fixtures/servers/crash-mid-call.mjs')], dir);
  };
  const connect = async (): Promise<Client> => {
    const t = await issueToken({ key, sub: 'bot', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
    const client = new Client({ name: 'restart-e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } }));
    return client;
  };
  /** call `ok` until it answers (the restart takes a back-off and an initialize) */
  const okOnceBack = async (c: Client): Promise<TextResult> => {
    for (let i = 0; i < 50; i++) {
      try {
        const r = (await c.callTool({ name: 'ok', arguments: {} })) as TextResult;
        if (!r.isError) return r;
      } catch { /* failed closed while the server is down */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the server never came back');
  };

  before(async () => {
    dir = tempDir('mandate-http-restart-');
    key = await newSigningKey('ES256', Date.now());
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [key]);
    emptyRevocations(kp.revocations);
    writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles: { tester: { description: Tests. } }\ngrants: [{ agent_role: tester, tools: [ok, crash] }]\nagents: { bot: { roles: [tester] } }\n');
  });
  afterEach(async () => { await stop(proxy); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('fails the call in flight closed, restarts the server, initializes it again, and serves the same session', async () => {
    await start('3');
    const c = await connect();
    assert.equal(((await c.callTool({ name: 'ok', arguments: {} })) as TextResult).content[0]?.text, 'ok');
    await assert.rejects(c.callTool({ name: 'crash', arguments: {} }), /stopped|closed|-32002/);
    const back = await okOnceBack(c);
    assert.equal(back.content[0]?.text, 'ok', 'the strict fixture answers only after initialize: the proxy replayed it');
    await c.close();
    const recs = readFileSync(join(dir, 'audit-3.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
    assert.ok(recs.some((r) => r.error?.code === 'upstream_exit'));
    assert.ok(recs.some((r) => (r.detail as { event?: string } | undefined)?.event === 'upstream_restarted'));
    assert.match(proxy.output(), /upstream `crashy` restarted \(restart 1 of 3 a minute\)/);
  });

  it('with --max-restarts 0, leaves the server down: calls fail closed and the session says so', async () => {
    await start('0');
    const c = await connect();
    await assert.rejects(c.callTool({ name: 'crash', arguments: {} }), /stopped|closed|-32002/);
    await assert.rejects(c.callTool({ name: 'ok', arguments: {} }), /not running|-32002/);
    await c.close();
    assert.match(proxy.output(), /is not restarted \(restarts are off \(--max-restarts 0\)\)/);
  });
});
