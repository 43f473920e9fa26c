// The HTTP proxy's HTTP upstream answering over the bound (--max-body): the call fails closed at once, saying
// why, and the session's link is connected again — as the stdio proxy's --upstream does. A JSON answer's send
// fails by itself; an oversized event on a stream used to be only reported, the call waiting out --call-timeout.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { ROOT } from './cliProcess';
import { httpProxy, spawnUntil, stop, type Proc } from './support';
import { tempDir } from '../../support/tmp';
import { records, recordsWhen } from '../../support/audit';

type TextResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };

describe('HTTP proxy e2e: an HTTP upstream\'s oversized answer', function () {
  this.timeout(120_000);
  let server: Proc & { match: RegExpMatchArray };
  let proxy: Proc & { url: string };
  let dir: string;

  before(async () => {
    server = await spawnUntil(process.execPath, [join(ROOT, 'test/fixtures/servers/http-big-answer.mjs'), String(3 << 20)], {}, /listening on port (\d+)/);
    dir = tempDir('mandate-http-big-');
    const key = await newSigningKey('ES256', Date.now());
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [key]);
    emptyRevocations(kp.revocations);
    writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles: { reader: { description: Reads. } }\ngrants: [{ agent_role: reader, tools: [small, big, bigsse] }]\nagents: { bot: { roles: [reader] } }\n');
    proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--audit', 'audit.jsonl', '--max-body', String(1 << 20), '--call-timeout', '30000',
      '--upstream', `http://127.0.0.1:${server.match[1]}/mcp`], dir);
    const t = await issueToken({ key, sub: 'bot', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
    client = new Client({ name: 'big-e2e', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } }));
  });
  let client: Client;
  after(async () => {
    await client?.close();
    await stop(proxy);
    await stop(server);
  });

  it('fails the call closed at once, as JSON or as an event stream, recorded — and the session serves again', async () => {
    for (const name of ['big', 'bigsse']) {
      const err = await client.callTool({ name, arguments: {} }).then(() => 'answered', (e: Error) => e.message);
      assert.match(err, /over 1048576 bytes \(--max-body\).*failed closed/, name);
      let text = '';
      for (let i = 0; i < 50 && text === ''; i++) {
        text = await client.callTool({ name: 'small', arguments: {} }).then((r) => (r as TextResult).content[0]?.text ?? '', () => '');
        if (text === '') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(text, 'ok', name);
    }
    const audit = join(dir, 'audit.jsonl');
    const recs = await recordsWhen(audit, (rs) => rs.filter((r) => r.kind === 'outcome').length === rs.filter((r) => r.kind === 'decision' && r.decision?.effect === 'allow').length);
    assert.deepEqual(recs.filter((r) => r.kind === 'outcome' && r.tool !== 'small').map((r) => [r.tool, /over 1048576 bytes/.test(r.error?.message ?? '')]), [['big', true], ['bigsse', true]]);
    assert.ok(records(audit).length > 0);
  });
});
