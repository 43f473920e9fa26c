// End to end over HTTP: SDK client → mandate HTTP proxy (real process) → server-everything in
// streamableHttp mode. Tokens are real JWTs; the audit log is read back and verified.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { verifyChain, type AuditRecord } from '../../../policies';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, readJwksFile, revokeJti, rotateKeys, writeKeySets, publicJwk } from '../../../extension/proxy/auth';
import { everythingHttp, httpProxy, rawRequest, recordingForwarder, stop, type Proc } from './support';
import { tempDir } from '../../support/tmp';

const sha256 = (t: string): string => createHash('sha256').update(t, 'utf8').digest('hex');
type TextResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };

function policy(upstreamUrl: string): string {
  return `version: 1
roles:
  reader: { description: Echoes and adds. }
  viewer: { description: Sees the tiny image. }
grants:
  - { agent_role: reader, tools: [echo, get-sum] }
  - { agent_role: viewer, tool: get-tiny-image }
deny:
  - { tools: [get-env], reason: The environment holds secrets. }
agents:
  copilot-research: { roles: [reader] }
  other-agent: { roles: [reader] }
  two-roles: { roles: [reader, viewer] }
  burst-agent: { roles: [reader] }
servers:
  everything: { url: "${upstreamUrl}", environment: dev }
audit: { path: audit.jsonl }
`;
}

describe('HTTP proxy e2e: server-everything (streamableHttp) upstream, SDK client', function () {
  this.timeout(60_000);
  let dir: string;
  let upstream: Proc & { url: string };
  let forwarder: Awaited<ReturnType<typeof recordingForwarder>>;
  let proxy: Proc & { url: string };
  let signing: JWK;
  let upstreamKey: JWK;

  before(async () => {
    dir = tempDir('mandate-http-e2e-');
    upstream = await everythingHttp();
    forwarder = await recordingForwarder(upstream.url);
    const keys = keyPaths(join(dir, 'keys'));
    signing = await newSigningKey('ES256', Date.now());
    writeKeySets(keys, [signing]);
    emptyRevocations(keys.revocations);
    const up = keyPaths(join(dir, 'proxy-keys'));
    upstreamKey = await newSigningKey('ES256', Date.now());
    writeKeySets(up, [upstreamKey]);
    writeFileSync(join(dir, 'p.mandate.yaml'), policy(forwarder.url));
    proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--upstream', forwarder.url, '--upstream-key', 'proxy-keys/signing.jwks.json'], dir);
  });
  after(async () => {
    await stop(proxy);
    await stop(upstream);
    forwarder?.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const token = async (o: { sub?: string; key?: JWK; roles?: string[] } = {}) => issueToken({ key: o.key ?? readJwksFile(keyPaths(join(dir, 'keys')).privateJwks)[0]!, sub: o.sub ?? 'copilot-research', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now(), ...(o.roles ? { roles: o.roles } : {}) });
  /** A client whose bearer token can be swapped mid-session. */
  async function connect(first: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport; use: (t: string) => void }> {
    let current = first;
    const transport = new StreamableHTTPClientTransport(new URL(proxy.url), {
      fetch: (url, init) => { const h = new Headers(init?.headers); h.set('authorization', `Bearer ${current}`); return fetch(url, { ...init, headers: h }); },
    });
    const client = new Client({ name: 'e2e-agent', version: '1.0.0' });
    await client.connect(transport);
    return { client, transport, use: (t) => { current = t; } };
  }
  const auditRecords = (): AuditRecord[] => readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);

  it('shows only granted tools, forwards an allowed call, denies a forbidden one', async () => {
    const { client } = await connect((await token()).token);
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['echo', 'get-sum']);
    const ok = (await client.callTool({ name: 'echo', arguments: { message: 'hello through mandate' } })) as TextResult;
    assert.equal(ok.isError ?? false, false);
    assert.match(ok.content[0]?.text ?? '', /hello through mandate/);
    const denied = (await client.callTool({ name: 'get-env', arguments: {} })) as TextResult;
    assert.equal(denied.isError, true);
    assert.match(denied.content[0]?.text ?? '', /environment holds secrets/);
    await client.close();
  });

  it('presents the proxy\'s own short-lived credential upstream, never the client\'s token', async () => {
    const t = await token();
    const { client } = await connect(t.token);
    await client.callTool({ name: 'echo', arguments: { message: 'x' } });
    await client.close();
    assert.ok(forwarder.seen.length > 0);
    const jwks = createLocalJWKSet({ keys: [publicJwk(upstreamKey)] });
    for (const h of forwarder.seen) {
      assert.ok(h !== undefined && h.startsWith('Bearer '), 'every upstream request carries a credential');
      assert.ok(!h.includes(t.token), 'the client token is never passed through');
      const { payload } = await jwtVerify(h.slice(7), jwks, { audience: forwarder.url, issuer: 'urn:mandate:proxy' });
      assert.equal(payload['environment'], 'dev');
      assert.equal(payload['server'], 'everything');
      assert.ok(payload.exp! - payload.iat! <= 300, 'short-lived');
    }
  });

  it('answers 401 with WWW-Authenticate and serves RFC 9728 metadata', async () => {
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const none = await rawRequest(proxy.url, { method: 'POST', headers, body: init });
    assert.equal(none.status, 401);
    const meta = `${new URL(proxy.url).origin}/.well-known/oauth-protected-resource/mcp`;
    assert.equal(none.headers['www-authenticate'], `Bearer realm="mandate", resource_metadata="${meta}"`);
    const bad = await rawRequest(proxy.url, { method: 'POST', headers: { ...headers, authorization: 'Bearer abc.def.ghi' }, body: init });
    assert.equal(bad.status, 401);
    assert.match(String(bad.headers['www-authenticate']), /error="invalid_token", error_description="token is/);
    const doc = JSON.parse((await rawRequest(meta, {})).body) as { resource: string; bearer_methods_supported: string[] };
    assert.equal(doc.resource, proxy.url);
    assert.deepEqual(doc.bearer_methods_supported, ['header']);
  });

  it('refuses foreign Host and Origin headers (DNS rebinding) and oversized bodies', async () => {
    const t = (await token()).token;
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t}` };
    const host = await rawRequest(proxy.url, { method: 'POST', headers: { ...base, host: 'evil.example:80' }, body: '{}' });
    assert.equal(host.status, 403);
    assert.match(host.body, /DNS rebinding/);
    const origin = await rawRequest(proxy.url, { method: 'POST', headers: { ...base, origin: 'http://evil.example' }, body: '{}' });
    assert.equal(origin.status, 403);
    const big = await rawRequest(proxy.url, { method: 'POST', headers: base, body: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }) }).catch((e: Error) => ({ status: -1, body: e.message, headers: {} }));
    assert.equal(big.status, 413, `oversized body refused (got ${big.status}: ${big.body.slice(0, 100)})`);
  });

  it('keeps a session across a key rotation, and takes a revocation on the next call', async () => {
    const first = await token();
    const s = await connect(first.token);
    const sid = s.transport.sessionId;
    const keys = keyPaths(join(dir, 'keys'));
    await rotateKeys(keys, 'ES256', 2, Date.now());
    const second = await token();
    assert.notEqual(second.kid, first.kid, 'the rotation changed the signing key');
    s.use(second.token);
    const r = (await s.client.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } })) as TextResult;
    assert.match(r.content[0]?.text ?? '', /5/);
    assert.equal(s.transport.sessionId, sid, 'same session after the rotation');
    revokeJti(keys.revocations, { jti: second.jti, at: new Date().toISOString() }, Date.now() / 1000);
    await assert.rejects(s.client.callTool({ name: 'echo', arguments: { message: 'after revocation' } }), /401|unauthori[sz]ed|revoked/i);
  });

  it('refuses another subject\'s valid token on an existing session', async () => {
    const s = await connect((await token()).token);
    s.use((await token({ sub: 'other-agent' })).token);
    await assert.rejects(s.client.callTool({ name: 'echo', arguments: { message: 'hijack' } }), /403|another subject/i);
  });

  it('bounds the sessions one subject holds (8 by default): a ninth evicts the least recently used', async () => {
    const t = (await token({ sub: 'other-agent' })).token;
    const open = [];
    for (let i = 0; i < 8; i++) open.push(await connect(t));
    await open[0]!.client.listTools(); // the first is now more recent than the second
    open.push(await connect(t));
    await assert.rejects(open[1]!.client.listTools(), /404|session not found/i);
    for (const i of [0, 2, 8]) assert.ok((await open[i]!.client.listTools()).tools.length > 0, `session ${i} still open`);
    const closed = auditRecords().filter((r) => r.kind === 'session' && (r.detail as { event?: string }).event === 'close' && JSON.stringify(r.detail).includes('evicted'));
    assert.equal(closed.length, 1);
  });

  it('never lets a request widen a session\'s roles: a session opened with a narrowed token stays narrowed', async () => {
    const narrow = (await token({ sub: 'two-roles', roles: ['reader'] })).token;
    const full = (await token({ sub: 'two-roles' })).token;
    const s = await connect(narrow);
    assert.deepEqual((await s.client.listTools()).tools.map((t) => t.name).sort(), ['echo', 'get-sum']);
    s.use(full);
    await assert.rejects(s.client.listTools(), /403|roles the session was not opened with/i);
    s.use(narrow);
    assert.equal((await s.client.listTools()).tools.length, 2, 'the narrowed token still drives its session');
    const wide = await connect(full);
    assert.ok((await wide.client.listTools()).tools.some((t) => t.name === 'get-tiny-image'), 'a session opened with the full token has both roles');
    assert.ok(auditRecords().some((r) => r.kind === 'auth' && r.error?.code === 'session_roles'));
    // …but it may always end that session: a DELETE widens nothing — and the token that ended it is on record
    const sid = s.transport.sessionId!;
    const ender = await token({ sub: 'two-roles' });
    s.use(ender.token);
    await s.transport.terminateSession();
    assert.ok(auditRecords().some((r) => r.kind === 'auth' && r.session === sid && r.error === undefined && JSON.stringify(r).includes(ender.jti)), 'the DELETE\'s token has an auth record');
    const after = await rawRequest(proxy.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${narrow}`, 'mcp-session-id': sid }, body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' }) });
    assert.equal(after.status, 404, 'the session is gone');
  });

  it('counts sessions still starting against the limits: initializes sent together cannot exceed them', async () => {
    const t = (await token({ sub: 'burst-agent' })).token;
    const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'burst', version: '1' } } });
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t}` };
    const answers = await Promise.all(Array.from({ length: 24 }, () => rawRequest(proxy.url, { method: 'POST', headers, body: init })));
    const ids = answers.map((a) => a.headers['mcp-session-id']).filter((x): x is string => typeof x === 'string');
    assert.ok(ids.length >= 1, `statuses ${answers.map((a) => a.status).join(',')}`);
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });
    const alive = (await Promise.all(ids.map((id) => rawRequest(proxy.url, { method: 'POST', headers: { ...headers, 'mcp-session-id': id, 'mcp-protocol-version': '2025-06-18' }, body: ping }))))
      .filter((a) => a.status === 200).length;
    assert.ok(alive >= 1 && alive <= 8, `${alive} of ${ids.length} sessions alive after the burst (limit 8 a subject)`);
    // an initialize the transport refuses (no Accept for event streams) leaves no session behind
    const refused = await rawRequest(proxy.url, { method: 'POST', headers: { ...headers, accept: 'application/json' }, body: init });
    assert.equal(refused.status, 406);
    const closedRefused = (): boolean => auditRecords().some((r) => r.kind === 'session' && JSON.stringify(r.detail).includes('initialize refused by the transport'));
    for (let i = 0; i < 100 && !closedRefused(); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(closedRefused(), 'the refused session was closed');
  });

  it('records a flood of unauthenticated requests by the second: the first 20 whole, the rest counted', async () => {
    const before = auditRecords().length;
    await Promise.all(Array.from({ length: 60 }, () => rawRequest(proxy.url, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' })));
    await new Promise((r) => setTimeout(r, 1300)); // the count is written when its second is over
    const added = auditRecords().slice(before).filter((r) => r.kind === 'auth');
    const whole = added.filter((r) => r.error?.code === 'no_token').length;
    const counted = added.filter((r) => r.error?.code === 'rejections_suppressed').reduce((n, r) => n + Number((r.detail as { count?: number }).count ?? 0), 0);
    assert.equal(whole + counted, 60, `every rejection accounted for (${whole} recorded, ${counted} counted)`);
    assert.ok(whole <= 40, `${whole} recorded one by one`);
    assert.ok(verifyChain(readFileSync(join(dir, 'audit.jsonl'), 'utf8'), sha256).ok);
  });

  it('audits every rejection in a valid hash chain, never writing a token', async () => {
    const text = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    assert.ok(verifyChain(text, sha256).ok);
    const recs = auditRecords();
    const rejected = recs.filter((r) => r.kind === 'auth' && r.error).map((r) => r.error!.code);
    for (const code of ['no_token', 'malformed', 'revoked', 'session_hijack', 'forbidden_origin']) assert.ok(rejected.includes(code), `audited ${code}: ${rejected.join(',')}`);
    assert.ok(!/eyJ[A-Za-z0-9_-]{10,}\.eyJ/.test(text), 'no JWT appears in the audit log');
    assert.ok(recs.some((r) => r.kind === 'decision' && r.tool === 'get-env' && r.decision?.effect === 'deny'));
  });

  it('fails a call closed when the upstream server is gone, keeps running, and connects the session again when it is back', async () => {
    const s = await connect((await token()).token);
    const port = Number(new URL(upstream.url).port);
    await stop(upstream);
    assert.ok(upstream.child.exitCode !== null || upstream.child.signalCode !== null, 'server-everything stopped');
    forwarder.server.closeAllConnections();
    await assert.rejects(s.client.callTool({ name: 'echo', arguments: { message: 'nobody home' } }), /upstream|everything|failed closed/i);
    const meta = await rawRequest(`${new URL(proxy.url).origin}/.well-known/oauth-protected-resource`, {});
    assert.equal(meta.status, 200, 'the proxy still answers');
    assert.equal(proxy.child.exitCode, null);
    // the session tries again on its own a few times, then waits for a call to ask; the server comes back
    while (!proxy.output().includes('unreachable after 6 tries; the next call tries again')) await new Promise((r) => setTimeout(r, 100));
    upstream = await everythingHttp(port);
    let text = '';
    for (let i = 0; i < 50 && text === ''; i++) {
      text = await s.client.callTool({ name: 'echo', arguments: { message: `back ${i}` } }).then((r) => (r as TextResult).content[0]?.text ?? '', () => '');
      if (text === '') await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(text, /^Echo: back \d+$/, proxy.output().slice(-3000));
  });
});
