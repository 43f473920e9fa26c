// Key sources: a JWKS URL is refetched when a token names a kid it has not seen (rotation without a
// restart); plain http is accepted on loopback only.

import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JWK } from 'jose';
import { issueToken, newSigningKey, publicJwk, TokenVerifier, urlKeySource } from '../../../../extension/proxy/auth';

const AUD = 'http://127.0.0.1:8931/mcp';
const ISS = 'urn:mandate:test';

describe('JWKS URL key source', () => {
  let server: Server;
  let served: JWK[] = [];
  let fetches = 0;
  let url: string;

  before(async () => {
    server = createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: served.map(publicJwk) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  after(() => server.close());

  it('verifies with served keys and picks up a rotated kid on the next token', async () => {
    const a = await newSigningKey('ES256', Date.now());
    const b = await newSigningKey('ES256', Date.now());
    served = [a];
    const v = new TokenVerifier({ keys: urlKeySource(url, { cooldownMs: 0 }), issuer: ISS, audience: AUD, algorithms: ['ES256'] });
    const ta = await issueToken({ key: a, sub: 's', aud: AUD, iss: ISS, ttlSec: 60, now: Date.now() });
    assert.ok((await v.verify(ta.token)).ok);
    const before = fetches;
    served = [b, a];
    const tb = await issueToken({ key: b, sub: 's', aud: AUD, iss: ISS, ttlSec: 60, now: Date.now() });
    const r = await v.verify(tb.token);
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.ok(fetches > before, 'the unknown kid made it refetch');
    const stranger = await newSigningKey('ES256', Date.now());
    const ts = await issueToken({ key: stranger, sub: 's', aud: AUD, iss: ISS, ttlSec: 60, now: Date.now() });
    const rs = await v.verify(ts.token);
    assert.equal(rs.ok ? 'accepted' : rs.code, 'unknown_kid');
  });

  it('refuses plain http to a non-loopback host, and non-URLs', () => {
    assert.throws(() => urlKeySource('http://keys.example/jwks.json'), /must be https, or http on a loopback address/);
    assert.throws(() => urlKeySource('not a url'), /is not a URL/);
    assert.doesNotThrow(() => urlKeySource('https://keys.example/jwks.json'));
  });

  it('rejects every token while the JWKS URL is unreachable', async () => {
    const a = await newSigningKey('ES256', Date.now());
    const v = new TokenVerifier({ keys: urlKeySource('http://127.0.0.1:1/jwks.json', { cooldownMs: 0 }), issuer: ISS, audience: AUD, algorithms: ['ES256'] });
    const t = await issueToken({ key: a, sub: 's', aud: AUD, iss: ISS, ttlSec: 60, now: Date.now() });
    const r = await v.verify(t.token);
    assert.equal(r.ok ? 'accepted' : r.code, 'keys_unavailable');
  });
});
