// The editor's SDK-free Streamable HTTP listing (New Policy from MCP Server on a server by URL), against real
// servers: server-everything (answers as event streams, stateful sessions) and a fixture answering plain JSON.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { listToolsHttp } from '../../../../extension/editor/toolsList';
import { everythingHttp, freePort, spawnUntil, stop, type Proc } from '../../../e2e/http/support';
import { FIXTURES } from '../../../e2e/proxy/support';

describe('editor/toolsList over Streamable HTTP', function () {
  this.timeout(60_000);
  let everything: Proc & { url: string };
  let plain: Proc & { match: RegExpMatchArray };

  before(async () => {
    everything = await everythingHttp();
    plain = await spawnUntil(process.execPath, [join(FIXTURES, 'http-big-answer.mjs'), '10'], {}, /listening on port (\d+)/);
  });
  after(async () => {
    await stop(everything);
    await stop(plain);
  });

  it('lists server-everything\'s tools from its event-stream answers, and ends the session it opened', async () => {
    const tools = await listToolsHttp(new URL(everything.url));
    const names = tools.map((t) => t.name);
    assert.ok(names.includes('echo') && names.includes('get-env'), names.join(', '));
    assert.ok(tools.find((t) => t.name === 'get-env')?.annotations?.readOnlyHint === true);
  });

  it('lists a server that answers with plain JSON', async () => {
    const tools = await listToolsHttp(new URL(`http://127.0.0.1:${plain.match[1]}/mcp`));
    const names = tools.map((t) => t.name);
    assert.deepEqual(names.slice(0, 3), ['small', 'big', 'bigsse'], names.join(', '));
  });

  it('refuses a list whose pages go round (it asked for pages for as long as the server answered)', async () => {
    let asked = 0;
    const looping = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString('utf8'); });
      req.on('end', () => {
        if (req.method !== 'POST') return void res.writeHead(200).end();
        const m = JSON.parse(body) as { id?: number; method: string };
        if (m.id === undefined) return void res.writeHead(202).end();
        if (m.method === 'tools/list') asked++;
        const result = m.method === 'initialize' ? { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'loop', version: '1' } } : { tools: [], nextCursor: 'again' };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: m.id, result }));
      });
    });
    await new Promise<void>((r) => looping.listen(0, '127.0.0.1', () => r()));
    try {
      await assert.rejects(listToolsHttp(new URL(`http://127.0.0.1:${(looping.address() as AddressInfo).port}/mcp`), { timeoutMs: 10_000 }), /^Error: the server's tools\/list pages go round/);
      assert.equal(asked, 2);
    } finally {
      looping.closeAllConnections();
      looping.close();
    }
  });

  it('says why in one line: an HTTP error, nothing listening, a server that never answers', async () => {
    await assert.rejects(listToolsHttp(new URL(`${everything.url}-nowhere`)), /^Error: initialize: HTTP 404/);
    const silent = createServer(() => undefined); // takes the request, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (silent.address() as AddressInfo).port;
      await assert.rejects(listToolsHttp(new URL(`http://127.0.0.1:${port}/mcp`), { timeoutMs: 500 }), /did not answer tools\/list within 500 ms/);
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
    await assert.rejects(listToolsHttp(new URL(`http://127.0.0.1:${await freePort()}/mcp`)), /fetch failed: .*ECONNREFUSED/);
  });
});
