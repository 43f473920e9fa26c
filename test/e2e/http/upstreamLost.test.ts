// The HTTP proxy in front of an MCP server it reaches over Streamable HTTP, which stops with a call in flight: the
// lost link fails the call closed at once — also when the server had begun its answer as an event stream (the SDK
// transport only reports that stream's break) — and the session connects again once the server is back.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { ROOT } from './cliProcess';
import { httpProxy, spawnUntil, stop, type Proc } from './support';
import { tempDir } from '../../support/tmp';

type TextResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };
const RECORDER = join(ROOT, 'test/fixtures/servers/http-recorder.mjs');

/** A key set, a policy granting `tools` to the agent `bot`, and a token for it at the proxy's URL. */
async function setup(dir: string, tools: string[]): Promise<(aud: string) => Promise<string>> {
  const key = await newSigningKey('ES256', Date.now());
  const kp = keyPaths(join(dir, 'keys'));
  writeKeySets(kp, [key]);
  emptyRevocations(kp.revocations);
  writeFileSync(join(dir, 'p.mandate.yaml'), `version: 1\nroles: { reader: { description: Reads. } }\ngrants: [{ agent_role: reader, tools: [${tools.join(', ')}] }]\nagents: { bot: { roles: [reader] } }\n`);
  return async (aud) => (await issueToken({ key, sub: 'bot', aud, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() })).token;
}

const connect = async (url: string, token: string): Promise<Client> => {
  const client = new Client({ name: 'lost-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
};

/** `tool` called until it answers (each call that finds the link down fails closed and asks for it again). */
async function textOnceBack(client: Client, tool: string): Promise<string> {
  let text = '';
  for (let i = 0; i < 100 && text === ''; i++) {
    text = await client.callTool({ name: tool, arguments: {} }).then((r) => (r as TextResult).content[0]?.text ?? '', () => '');
    if (text === '') await new Promise((r) => setTimeout(r, 100));
  }
  return text;
}

describe('HTTP proxy e2e: an HTTP upstream that stops with a call in flight', function () {
  this.timeout(120_000);

  for (const sse of [false, true]) {
    it(`fails the call closed when the link is lost, not at --call-timeout, and connects again (answer ${sse ? 'begun as an event stream' : 'not begun'})`, async () => {
      const dir = tempDir('mandate-http-lost-');
      const calls = join(dir, 'calls.jsonl');
      let server: Proc & { match: RegExpMatchArray } = await spawnUntil(process.execPath, [RECORDER, '0', calls], {}, /listening on port (\d+)/);
      const port = server.match[1]!;
      const token = await setup(dir, ['read', 'slow']);
      const proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--call-timeout', '60000', '--upstream', `http://127.0.0.1:${port}/mcp`], dir);
      const client = await connect(proxy.url, await token(proxy.url));
      try {
        const answer = client.callTool({ name: 'slow', arguments: { sse } }, undefined, { timeout: 120_000 }).then(() => 'answered', (e: Error) => e.message);
        while (!existsSync(calls) || !readFileSync(calls, 'utf8').includes('"slow"')) await new Promise((r) => setTimeout(r, 20));
        await stop(server);
        const err = await answer;
        assert.match(err, /stopped: .*failed closed/);
        assert.doesNotMatch(err, /did not answer within/);
        server = await spawnUntil(process.execPath, [RECORDER, port, calls], {}, /listening on port (\d+)/);
        assert.equal(await textOnceBack(client, 'read'), 'ok read');
      } finally {
        await client.close().catch(() => undefined);
        await stop(proxy);
        await stop(server);
      }
    });
  }

  it('fails a call closed at once when its answer is longer than --max-body, as JSON or as an event stream, and connects again', async () => {
    const dir = tempDir('mandate-http-lost-');
    const server = await spawnUntil(process.execPath, [join(ROOT, 'test/fixtures/servers/http-big-answer.mjs'), String(3 << 20)], {}, /listening on port (\d+)/);
    const token = await setup(dir, ['small', 'big', 'bigsse']);
    const proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--call-timeout', '60000', '--max-body', String(1 << 20), '--upstream', `http://127.0.0.1:${server.match[1]}/mcp`], dir);
    const client = await connect(proxy.url, await token(proxy.url));
    try {
      for (const name of ['big', 'bigsse']) {
        const err = await client.callTool({ name, arguments: {} }, undefined, { timeout: 120_000 }).then(() => 'answered', (e: Error) => e.message);
        assert.match(err, /over 1048576 bytes.*failed closed/, name);
        assert.equal(await textOnceBack(client, 'small'), 'ok', name);
      }
    } finally {
      await client.close().catch(() => undefined);
      await stop(proxy);
      await stop(server);
    }
  });

  it('closes a session whose initialize the unreachable server never answered: it holds no place among the subject\'s sessions', async () => {
    const dir = tempDir('mandate-http-lost-');
    const dead = await spawnUntil(process.execPath, [RECORDER, '0', join(dir, 'calls.jsonl')], {}, /listening on port (\d+)/);
    const port = dead.match[1]!;
    await stop(dead); // nothing listens there now
    const token = await setup(dir, ['read']);
    const proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--audit', 'audit.jsonl', '--upstream', `http://127.0.0.1:${port}/mcp`], dir);
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${await token(proxy.url)}` };
      const init = await fetch(proxy.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }) });
      const sid = init.headers.get('mcp-session-id');
      assert.match(await init.text(), /"error"/, 'the initialize failed');
      assert.ok(sid, 'the transport named a session');
      let status = 0;
      for (let i = 0; i < 50 && status !== 404; i++) {
        status = (await fetch(proxy.url, { method: 'POST', headers: { ...headers, 'mcp-session-id': sid }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }) })).status;
        if (status !== 404) await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(status, 404, 'the session that never initialized is gone');
      const closes = readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string; session?: string; detail?: { event?: string; reason?: string } })
        .filter((r) => r.session === sid && r.detail?.event === 'close');
      assert.equal(closes.length, 1);
      assert.match(closes[0]!.detail!.reason!, /initialize/);
    } finally {
      await stop(proxy);
    }
  });
});
