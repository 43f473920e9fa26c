// Key sets on disk and the proxy's upstream credentials: strict JWKS parsing, public halves only in
// the public set, per-server/environment tokens reused until a quarter of their life is left.

import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { newSigningKey, parseJwks, publicJwk, signingKey, UpstreamCredentials } from '../../../../extension/proxy/auth';

describe('key sets', () => {
  it('refuses JWKS without keys, kid or alg, or with a duplicate kid', () => {
    assert.throws(() => parseJwks('{"keys": {}}', 'k.json'), /must be a JWKS/);
    assert.throws(() => parseJwks('{"keys": [{"kty":"EC","alg":"ES256"}]}', 'k.json'), /has no `kid`/);
    assert.throws(() => parseJwks('{"keys": [{"kty":"EC","kid":"a"}]}', 'k.json'), /key `a` of `k.json` has no `alg`/);
    assert.throws(() => parseJwks('{"keys": [{"kty":"EC","kid":"a","alg":"ES256"},{"kty":"EC","kid":"a","alg":"ES256"}]}', 'k.json'), /appears twice/);
    assert.throws(() => parseJwks('{', 'k.json'), /not valid JSON/);
  });

  it('keeps only public members in the public half, and refuses to sign with a public key', async () => {
    for (const alg of ['ES256', 'RS256', 'EdDSA'] as const) {
      const k = await newSigningKey(alg, Date.now());
      const pub = publicJwk(k);
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal((pub as Record<string, unknown>)[secret], undefined, `${alg} public half has no ${secret}`);
      assert.equal(pub.kid, k.kid);
      assert.throws(() => signingKey([pub], 'jwks.json'), /is a public key/);
    }
  });
});

describe('upstream credentials', () => {
  it('mints one token per server and environment, reused until a quarter of its lifetime is left', async () => {
    let now = Date.parse('2026-11-25T12:00:00Z');
    const key = await newSigningKey('ES256', now);
    const creds = new UpstreamCredentials({ key, issuer: 'urn:mandate:proxy', subject: 'mandate-proxy:prod', ttlSec: 400, now: () => now });
    const pay = { server: 'payments', url: 'http://127.0.0.1:9001/mcp', environment: 'prod' };
    const first = await creds.tokenFor(pay);
    assert.equal(await creds.tokenFor(pay), first, 'reused while fresh');
    const other = await creds.tokenFor({ ...pay, environment: 'staging' });
    assert.notEqual(other, first, 'another environment gets its own token');
    assert.equal(decodeJwt(other)['environment'], 'staging');
    now += 299_000;
    assert.equal(await creds.tokenFor(pay), first, 'still more than a quarter left');
    now += 2_000;
    const renewed = await creds.tokenFor(pay);
    assert.notEqual(renewed, first, 'renewed when less than a quarter is left');
    const p = decodeJwt(renewed);
    assert.equal(p.aud, pay.url);
    assert.equal(p.exp! - p.iat!, 400);
  });
});
