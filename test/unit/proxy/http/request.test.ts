// Request hygiene of the HTTP face: Host/Origin checks, bearer parsing, bounded bodies, challenges.

import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { bearerToken, isInitialize, loopbackHosts, originProblem, readJsonBody, type Body } from '../../../../extension/proxy/http/request';
import { challenge, metadataUrl } from '../../../../extension/proxy/http/answers';
import { parseListen } from '../../../../extension/proxy/http/config';

const fake = (headers: Record<string, string>): IncomingMessage => ({ headers } as unknown as IncomingMessage);

/** Send `chunks` (no Content-Length: chunked) to a server that reads the body with `max`. */
async function readVia(chunks: string[], max: number, headers: Record<string, string> = { 'content-type': 'application/json' }): Promise<Body> {
  let result!: Promise<Body>;
  const server = createServer((req, res) => {
    result = readJsonBody(req, max);
    void result.then(() => res.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', headers }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', () => resolve());
    for (const c of chunks) req.write(c);
    req.end();
  });
  server.close();
  return result;
}

describe('HTTP request hygiene', () => {
  const hosts = new Set(loopbackHosts('127.0.0.1', 8931));

  it('accepts only our Host values and allowed Origins', () => {
    assert.deepEqual([...hosts], ['127.0.0.1:8931', 'localhost:8931']);
    assert.equal(originProblem(fake({ host: '127.0.0.1:8931' }), hosts, new Set()), undefined);
    assert.match(originProblem(fake({ host: 'attacker.example:8931' }), hosts, new Set()) ?? '', /DNS rebinding/);
    assert.match(originProblem(fake({ host: '127.0.0.1:8932' }), hosts, new Set()) ?? '', /is not this proxy/);
    assert.match(originProblem(fake({ host: 'localhost:8931', origin: 'http://attacker.example' }), hosts, new Set()) ?? '', /origin/);
    assert.equal(originProblem(fake({ host: 'localhost:8931', origin: 'HTTP://ok.example' }), hosts, new Set(['http://ok.example'])), undefined);
    assert.match(originProblem(fake({}), hosts, new Set()) ?? '', /host/);
  });

  it('takes a token from `Authorization: Bearer` only', () => {
    assert.deepEqual(bearerToken(fake({ authorization: 'Bearer a.b.c' })), { token: 'a.b.c' });
    assert.deepEqual(bearerToken(fake({ authorization: 'bearer a.b-c_d' })), { token: 'a.b-c_d' });
    assert.deepEqual(bearerToken(fake({})), {});
    for (const bad of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearer a.b.c, Bearer d.e.f', 'Token a.b.c']) {
      assert.ok(bearerToken(fake({ authorization: bad })).invalid, bad);
    }
  });

  it('stops reading a chunked body as soon as it is over the limit', async () => {
    const r = await readVia(['{"a":"', 'x'.repeat(600), 'x'.repeat(600), '"}'], 1000);
    assert.deepEqual(r, { ok: false, status: 413, message: 'request body is larger than 1000 bytes' });
  });

  it('parses a body within the limit, and refuses non-JSON and other content types', async () => {
    assert.deepEqual(await readVia(['{"jsonrpc":', '"2.0"}'], 1000), { ok: true, value: { jsonrpc: '2.0' } });
    const bad = await readVia(['{nope'], 1000);
    assert.equal(bad.ok ? 0 : bad.status, 400);
    const type = await readVia(['{}'], 1000, { 'content-type': 'text/plain' });
    assert.equal(type.ok ? 0 : type.status, 415);
  });

  it('recognises initialize alone or first in a batch', () => {
    assert.equal(isInitialize({ jsonrpc: '2.0', id: 1, method: 'initialize' }), true);
    assert.equal(isInitialize([{ method: 'initialize' }]), true);
    assert.equal(isInitialize({ method: 'tools/call' }), false);
    assert.equal(isInitialize(null), false);
  });

  it('writes RFC 6750 challenges pointing at RFC 9728 metadata', () => {
    const r = new URL('http://127.0.0.1:8931/mcp');
    assert.equal(metadataUrl(r), 'http://127.0.0.1:8931/.well-known/oauth-protected-resource/mcp');
    assert.equal(challenge(r), 'Bearer realm="mandate", resource_metadata="http://127.0.0.1:8931/.well-known/oauth-protected-resource/mcp"');
    assert.match(challenge(r, { code: 'invalid_token', description: 'a "quoted"\nthing' }), /error="invalid_token", error_description="a {2}quoted {2}thing"$/);
    // a header holds printable ASCII only: Node's writeHead threw on `→` and the 403 became a 500
    assert.match(challenge(r, { code: 'insufficient_scope', description: '`mal→lory` is not an agent' }), /error_description="`mal\?lory` is not an agent"$/);
  });

  it('parses --listen forms and refuses others', () => {
    assert.deepEqual(parseListen('127.0.0.1:8931'), { host: '127.0.0.1', port: 8931 });
    assert.deepEqual(parseListen('[::1]:80'), { host: '::1', port: 80 });
    assert.deepEqual(parseListen('8931'), { host: '127.0.0.1', port: 8931 });
    for (const bad of ['host:port', '127.0.0.1:99999', '']) assert.throws(() => parseListen(bad), /--listen expects/);
  });
});
