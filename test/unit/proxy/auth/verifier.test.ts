// The attack suite: real tokens, each rejected by the verifier with a stable code AND audited as a
// hash-chained `auth` record that never contains the token; plus reloads of keys and revocations.

import assert from 'node:assert/strict';
import { createHash, createHmac, createPublicKey } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { importJWK, SignJWT, type JWK, type JWTVerifyGetKey } from 'jose';
import { chainEntry, GENESIS, verifyChain, type AuditEntry, type ChainHead } from '../../../../policies';
import {
  authEntry, emptyRevocations, fileKeySource, issueToken, keyPaths, newSigningKey, publicJwk, readJwksFile, revokeJti, rotateKeys,
  TokenVerifier, writeKeySets, type AuthFailureCode, type AuthResult, type KeyPaths, type KeySource,
} from '../../../../extension/proxy/auth';
import { fcParams } from '../../../support/seed';
import { tempDir } from '../../../support/tmp';

const AUD = 'http://127.0.0.1:8931/mcp';
const ISS = 'urn:mandate:test';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const sha256 = (t: string): string => createHash('sha256').update(t, 'utf8').digest('hex');
const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('token verifier: attack suite', () => {
  let dir: string;
  let paths: KeyPaths;
  let key: JWK;
  let verifier: TokenVerifier;
  const lines: string[] = [];
  let head: ChainHead = { seq: 0, hash: GENESIS };
  const audit = (e: AuditEntry): void => { const c = chainEntry(e, head, sha256); lines.push(c.line); head = c.head; };

  const issue = (o: Partial<Parameters<typeof issueToken>[0]> = {}) => issueToken({ key, sub: 'copilot-research', aud: AUD, iss: ISS, ttlSec: 600, now: NOW, roles: ['research_reader'], ...o });
  async function check(token: string): Promise<AuthResult> {
    const r = await verifier.verify(token);
    audit(authEntry(r, { remote: '127.0.0.1:5000', method: 'POST', path: '/mcp' }, NOW));
    return r;
  }
  async function rejects(token: string, code: AuthFailureCode): Promise<void> {
    const before = lines.length;
    const r = await check(token);
    assert.equal(r.ok, false, `expected rejection ${code}`);
    assert.equal(r.ok ? '' : r.code, code, r.ok ? '' : r.message);
    const rec = JSON.parse(lines[before]!) as AuditEntry;
    assert.equal(rec.kind, 'auth');
    assert.equal(rec.error?.code, code);
    // INVARIANT under test: the audit never holds the token, nor its signature
    if (token !== '') assert.ok(!lines[before]!.includes(token), 'the token must not be written to the audit log');
    const sig = token.split('.')[2];
    if (sig && sig.length > 8) assert.ok(!lines[before]!.includes(sig), 'the signature must not be written to the audit log');
  }

  before(async () => {
    dir = tempDir('mandate-auth-');
    paths = keyPaths(dir);
    key = await newSigningKey('ES256', NOW);
    writeKeySets(paths, [key]);
    emptyRevocations(paths.revocations);
    verifier = new TokenVerifier({ keys: fileKeySource(paths.publicJwks), issuer: ISS, audience: AUD, algorithms: ['ES256'], revocations: paths.revocations, now: () => NOW });
  });
  after(() => {
    const v = verifyChain(lines.map((l) => `${l}\n`).join(''), sha256);
    assert.ok(v.ok, 'the auth records form a valid hash chain');
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a valid token and reports its subject, jti and roles claim', async () => {
    const t = await issue();
    const r = await check(t.token);
    assert.ok(r.ok);
    assert.equal(r.identity.sub, 'copilot-research');
    assert.equal(r.identity.jti, t.jti);
    assert.deepEqual(r.identity.claimedRoles, ['research_reader']);
  });

  it('says when a token accepted earlier no longer holds: expired (past the skew), revoked since, or the list unreadable', async () => {
    const exp = Math.floor(NOW / 1000) + 600;
    const at = (ms: number) => new TokenVerifier({ keys: fileKeySource(paths.publicJwks), issuer: ISS, audience: AUD, algorithms: ['ES256'], revocations: paths.revocations, now: () => ms });
    assert.equal(await at(NOW).stillValid('fresh-jti', exp), undefined);
    assert.equal(await at((exp + 29) * 1000).stillValid('fresh-jti', exp), undefined, 'within the 30 s clock skew');
    assert.match(await at((exp + 30) * 1000).stillValid('fresh-jti', exp) ?? '', /^the token that made the call expired at 2026-11-25T12:10:00\.000Z$/);
    revokeJti(paths.revocations, { jti: 'later-revoked', at: new Date(NOW).toISOString(), exp }, NOW / 1000);
    assert.match(await at(NOW).stillValid('later-revoked', exp) ?? '', /\(`later-revoked`\) has been revoked/);
    const broken = new TokenVerifier({ keys: fileKeySource(paths.publicJwks), issuer: ISS, audience: AUD, algorithms: ['ES256'], revocations: `${dir}/no-such-list.json`, now: () => NOW });
    assert.match(await broken.stillValid('fresh-jti', exp) ?? '', /revocation list is unavailable .* cannot be checked/);
  });

  it('rejects `alg: none`', async () => {
    const t = await issue();
    const [, payload] = t.token.split('.');
    await rejects(`${b64({ alg: 'none', typ: 'at+jwt', kid: key.kid })}.${payload}.`, 'alg_not_allowed');
  });

  it('rejects HS256 signed with the EC public key as the HMAC secret', async () => {
    const t = await issue();
    const [, payload] = t.token.split('.');
    const pub = createPublicKey({ key: publicJwk(key) as never, format: 'jwk' });
    for (const secret of [pub.export({ type: 'spki', format: 'pem' }), JSON.stringify(publicJwk(key))]) {
      const h = b64({ alg: 'HS256', typ: 'at+jwt', kid: key.kid });
      const sig = createHmac('sha256', secret).update(`${h}.${payload}`).digest('base64url');
      await rejects(`${h}.${payload}.${sig}`, 'alg_not_allowed');
    }
  });

  it('rejects HS256 signed with the RSA public key as secret, against an RS256 verifier', async () => {
    const rsa = await newSigningKey('RS256', NOW);
    const rdir = tempDir('mandate-auth-rsa-');
    try {
      const rp = keyPaths(rdir);
      writeKeySets(rp, [rsa]);
      const rv = new TokenVerifier({ keys: fileKeySource(rp.publicJwks), issuer: ISS, audience: AUD, algorithms: ['RS256'], now: () => NOW });
      const good = await issueToken({ key: rsa, sub: 'a', aud: AUD, iss: ISS, ttlSec: 60, now: NOW });
      assert.ok((await rv.verify(good.token)).ok, 'the RS256 setup accepts its own token');
      const pem = createPublicKey({ key: publicJwk(rsa) as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const h = b64({ alg: 'HS256', typ: 'at+jwt', kid: rsa.kid });
      const p = good.token.split('.')[1]!;
      const forged = `${h}.${p}.${createHmac('sha256', pem).update(`${h}.${p}`).digest('base64url')}`;
      const r = await rv.verify(forged);
      audit(authEntry(r, {}, NOW));
      assert.equal(r.ok ? 'accepted' : r.code, 'alg_not_allowed');
    } finally {
      rmSync(rdir, { recursive: true, force: true });
    }
  });

  it('rejects an expired token (beyond the clock skew)', async () => {
    await rejects((await issue({ now: NOW - 700_000 })).token, 'expired');
  });

  it('accepts a token expired by less than the clock skew, and no more', async () => {
    assert.ok((await check((await issue({ now: NOW - 610_000 })).token)).ok);
    await rejects((await issue({ now: NOW - 631_000 })).token, 'expired');
  });

  it('rejects a token whose nbf is in the future', async () => {
    await rejects((await issue({ nbfSec: NOW / 1000 + 300 })).token, 'not_yet_valid');
  });

  it('rejects a wrong audience', async () => {
    await rejects((await issue({ aud: 'http://127.0.0.1:8931/other' })).token, 'wrong_audience');
  });

  it('names the audience and issuer it expects (`localhost` for `127.0.0.1` read only "token audience is not this resource")', async () => {
    const aud = await check((await issue({ aud: 'http://localhost:8931/mcp' })).token);
    assert.equal(aud.ok ? '' : aud.message, `token audience is not this resource (${AUD}): issue it with --aud ${AUD}`);
    const iss = await check((await issue({ iss: 'https://evil.example' })).token);
    assert.equal(iss.ok ? '' : iss.message, `token issuer is not trusted (this proxy trusts \`${ISS}\`, --issuer)`);
  });

  it('rejects a token minted for another resource, alone or alongside this one', async () => {
    await rejects((await issue({ aud: 'https://payments.example/mcp' })).token, 'wrong_audience');
    const k = await importJWK(key, 'ES256');
    const both = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: key.kid!, typ: 'at+jwt' }).setSubject('copilot-research')
      .setAudience([AUD, 'https://payments.example/mcp']).setIssuer(ISS).setJti('multi-aud').setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 60).sign(k);
    await rejects(both, 'wrong_audience');
  });

  it('rejects a wrong issuer', async () => {
    await rejects((await issue({ iss: 'https://evil.example' })).token, 'wrong_issuer');
  });

  it('rejects an unknown kid', async () => {
    const stranger = await newSigningKey('ES256', NOW);
    await rejects((await issue({ key: stranger })).token, 'unknown_kid');
  });

  it('rejects a known kid signed by another key', async () => {
    const stranger = { ...(await newSigningKey('ES256', NOW)), kid: key.kid! };
    await rejects((await issue({ key: stranger })).token, 'bad_signature');
  });

  it('rejects a tampered payload', async () => {
    const t = await issue();
    const [h, p, s] = t.token.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    claims['roles'] = ['finance_executor'];
    await rejects(`${h}.${b64(claims)}.${s}`, 'bad_signature');
  });

  it('rejects a token without exp', async () => {
    const k = await importJWK(key, 'ES256');
    const t = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: key.kid!, typ: 'at+jwt' }).setSubject('copilot-research')
      .setAudience(AUD).setIssuer(ISS).setJti('no-exp').setIssuedAt(NOW / 1000).sign(k);
    await rejects(t, 'missing_claim');
  });

  it('rejects a numeric jti or sub (a numeric jti never matched the revocation list, so it could not be revoked)', async () => {
    const k = await importJWK(key, 'ES256');
    const sign = (claims: Record<string, unknown>): Promise<string> => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: key.kid!, typ: 'at+jwt' })
      .setAudience(AUD).setIssuer(ISS).setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 600).sign(k);
    await rejects(await sign({ sub: 'copilot-research', jti: 5 }), 'invalid_claim');
    await rejects(await sign({ sub: 7, jti: 'j-7' }), 'invalid_claim');
  });

  it('rejects a lifetime over the maximum', async () => {
    await rejects((await issue({ ttlSec: 7200 })).token, 'lifetime_too_long');
  });

  it('rejects an oversized token before decoding it', async () => {
    await rejects((await issue({ claims: { pad: 'x'.repeat(5000) } })).token, 'too_large');
  });

  it('rejects a revoked jti', async () => {
    const t = await issue();
    revokeJti(paths.revocations, { jti: t.jti, at: new Date(NOW).toISOString(), exp: t.exp }, NOW / 1000);
    await rejects(t.token, 'revoked');
  });

  it('rejects a valid token replayed after its revocation', async () => {
    const t = await issue();
    assert.ok((await check(t.token)).ok, 'accepted before revocation');
    assert.ok((await check(t.token)).ok, 'and on replay while not revoked');
    revokeJti(paths.revocations, { jti: t.jti, at: new Date(NOW).toISOString() }, NOW / 1000);
    await rejects(t.token, 'revoked');
  });

  it('rejects a token without a kid, and a token that is not a JWT', async () => {
    const k = await importJWK(key, 'ES256');
    const t = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).setSubject('s').setAudience(AUD).setIssuer(ISS)
      .setJti('nokid').setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 60).sign(k);
    await rejects(t, 'missing_kid');
    await rejects('not.a.token', 'malformed');
    await rejects('', 'no_token');
  });

  it('rejects a token whose typ is not an access token', async () => {
    const k = await importJWK(key, 'ES256');
    const t = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: key.kid!, typ: 'JWT' }).setSubject('s').setAudience(AUD).setIssuer(ISS)
      .setJti('idtoken').setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 60).sign(k);
    await rejects(t, 'wrong_type');
  });

  it('audits a rejection with what the token claimed (sub, iss, jti), never the token', async () => {
    const t = await issue({ aud: 'https://elsewhere.example/mcp', sub: 'mallory' });
    await rejects(t.token, 'wrong_audience');
    const rec = JSON.parse(lines[lines.length - 1]!) as AuditEntry;
    assert.deepEqual((rec.detail as { claimed: { sub: string; jti: string } }).claimed.sub, 'mallory');
    assert.equal((rec.detail as { claimed: { jti: string } }).claimed.jti, t.jti);
    assert.equal(rec.caller?.principal, null, 'an unverified subject is never the caller');
  });
});

describe('token verifier: reloads and failing closed', () => {
  let dir: string;
  let paths: KeyPaths;
  let verifier: TokenVerifier;

  beforeEach(async () => {
    dir = tempDir('mandate-auth-reload-');
    paths = keyPaths(dir);
    writeKeySets(paths, [await newSigningKey('ES256', NOW)]);
    emptyRevocations(paths.revocations);
    verifier = new TokenVerifier({ keys: fileKeySource(paths.publicJwks), issuer: ISS, audience: AUD, algorithms: ['ES256'], revocations: paths.revocations, now: () => NOW });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const signWithCurrent = async () => issueToken({ key: readJwksFile(paths.privateJwks)[0]!, sub: 's', aud: AUD, iss: ISS, ttlSec: 60, now: NOW });

  it('sees a rotated key on the next verification, keeps the previous one, and drops retired keys', async () => {
    const old = await signWithCurrent();
    assert.ok((await verifier.verify(old.token)).ok);
    await rotateKeys(paths, 'ES256', 2, NOW);
    const fresh = await signWithCurrent();
    assert.notEqual(fresh.kid, old.kid);
    assert.ok((await verifier.verify(fresh.token)).ok, 'the new kid verifies without a restart');
    assert.ok((await verifier.verify(old.token)).ok, 'the previous kid still verifies');
    await rotateKeys(paths, 'ES256', 1, NOW);
    const r = await verifier.verify(old.token);
    assert.equal(r.ok ? 'accepted' : r.code, 'unknown_kid', 'a retired kid no longer verifies');
  });

  it('applies a default revocation list created after start (it used to be ignored for the whole run), and fails closed once it vanishes', async () => {
    rmSync(paths.revocations);
    const v = new TokenVerifier({ keys: fileKeySource(paths.publicJwks), issuer: ISS, audience: AUD, algorithms: ['ES256'], revocations: paths.revocations, revocationsOptional: true, now: () => NOW });
    const t = await signWithCurrent();
    assert.ok((await v.verify(t.token)).ok, 'no list yet: nothing revoked');
    revokeJti(paths.revocations, { jti: t.jti, at: new Date(NOW).toISOString(), exp: t.exp }, NOW / 1000);
    const r = await v.verify(t.token);
    assert.equal(r.ok ? 'accepted' : r.code, 'revoked');
    rmSync(paths.revocations);
    const r2 = await v.verify((await signWithCurrent()).token);
    assert.equal(r2.ok ? 'accepted' : r2.code, 'revocations_unavailable', 'once seen, a missing list rejects every token');
  });

  it('rejects every token while the revocation list is unreadable or malformed', async () => {
    const t = await signWithCurrent();
    writeFileSync(paths.revocations, '{"version":1,"revoked":[{"nojti":1}]}');
    const r = await verifier.verify(t.token);
    assert.equal(r.ok ? 'accepted' : r.code, 'revocations_unavailable');
    rmSync(paths.revocations);
    const r2 = await verifier.verify(t.token);
    assert.equal(r2.ok ? 'accepted' : r2.code, 'revocations_unavailable');
    emptyRevocations(paths.revocations);
    assert.ok((await verifier.verify(t.token)).ok, 'and accepts again once it is repaired');
  });

  it('rejects every token while the key set is missing or broken', async () => {
    const t = await signWithCurrent();
    writeFileSync(paths.publicJwks, '{"keys": 3}');
    const r = await verifier.verify(t.token);
    assert.equal(r.ok ? 'accepted' : r.code, 'keys_unavailable');
    rmSync(paths.publicJwks);
    const r2 = await verifier.verify(t.token);
    assert.equal(r2.ok ? 'accepted' : r2.code, 'keys_unavailable');
  });

  it('refuses symmetric or `none` algorithms and an unbounded skew at construction', () => {
    const keys = fileKeySource(paths.publicJwks);
    assert.throws(() => new TokenVerifier({ keys, issuer: ISS, audience: AUD, algorithms: ['HS256'] }), TypeError);
    assert.throws(() => new TokenVerifier({ keys, issuer: ISS, audience: AUD, algorithms: ['none'] }), TypeError);
    assert.throws(() => new TokenVerifier({ keys, issuer: ISS, audience: AUD, algorithms: [] }), TypeError);
    assert.throws(() => new TokenVerifier({ keys, issuer: ISS, audience: AUD, algorithms: ['ES256'], clockSkewSec: 3600 }), TypeError);
  });
});

describe('token verifier: remembered verifications', () => {
  let paths: KeyPaths;
  let key: JWK;
  let now = NOW;
  /** the key set's lookups (jose asks once per signature it verifies) */
  let lookups = 0;

  before(async () => {
    paths = keyPaths(tempDir('mandate-auth-memo-'));
    key = await newSigningKey('ES256', NOW);
    writeKeySets(paths, [key]);
    emptyRevocations(paths.revocations);
  });
  beforeEach(() => { now = NOW; lookups = 0; });

  /** A file key source whose resolvers count their lookups (one wrapper per resolver the file gives). */
  function counting(): KeySource {
    const file = fileKeySource(paths.publicJwks);
    const wrapped = new WeakMap<object, JWTVerifyGetKey>();
    return {
      describe: file.describe, replacedOnChange: true,
      resolver: async () => {
        const r = await file.resolver();
        if (!wrapped.has(r)) wrapped.set(r, (h, t) => { lookups++; return r(h, t); });
        return wrapped.get(r)!;
      },
    };
  }
  const make = (keys: KeySource = counting(), skew?: number): TokenVerifier =>
    new TokenVerifier({ keys, issuer: ISS, audience: AUD, algorithms: ['ES256'], revocations: paths.revocations, now: () => now, ...(skew !== undefined ? { clockSkewSec: skew } : {}) });
  const code = (r: AuthResult): string => (r.ok ? 'ok' : r.code);

  it('verifies a token\'s signature once, then only what time and the revocation list change', async () => {
    const v = make();
    const t = await issueToken({ key, sub: 'copilot-research', aud: AUD, iss: ISS, ttlSec: 600, now: NOW });
    for (let i = 0; i < 5; i++) assert.equal(code(await v.verify(t.token)), 'ok');
    assert.equal(lookups, 1, 'one signature verified for five requests');
    revokeJti(paths.revocations, { jti: t.jti, at: new Date(NOW).toISOString(), exp: t.exp }, NOW / 1000);
    assert.equal(code(await v.verify(t.token)), 'revoked', 'a remembered token is still checked against the list');
    emptyRevocations(paths.revocations);
    now = NOW + 631_000; // past exp + 30 s skew
    assert.equal(code(await v.verify(t.token)), 'expired');
  });

  it('forgets a verification when the key set changes: a key rotated out rejects its tokens at once', async () => {
    const v = make();
    const t = await issueToken({ key, sub: 'copilot-research', aud: AUD, iss: ISS, ttlSec: 600, now: NOW });
    assert.equal(code(await v.verify(t.token)), 'ok');
    const other = await newSigningKey('ES256', NOW + 1);
    writeKeySets(paths, [other]);
    try {
      assert.equal(code(await v.verify(t.token)), 'unknown_kid');
    } finally {
      writeKeySets(paths, [key]);
    }
    assert.equal(code(await v.verify(t.token)), 'ok');
  });

  it('remembers nothing for a key source that keeps one resolver while its keys change (a JWKS URL)', async () => {
    const file = counting();
    const v = make({ describe: file.describe, resolver: () => file.resolver() });
    const t = await issueToken({ key, sub: 'copilot-research', aud: AUD, iss: ISS, ttlSec: 600, now: NOW });
    for (let i = 0; i < 3; i++) assert.equal(code(await v.verify(t.token)), 'ok');
    assert.equal(lookups, 3);
  });

  it('decides as a verifier that remembers nothing, whatever the token\'s times and the clock do (property)', async () => {
    const priv = await importJWK(key, 'ES256');
    const sec = NOW / 1000;
    await fc.assert(fc.asyncProperty(
      fc.record({
        iat: fc.integer({ min: -400, max: 400 }), ttl: fc.integer({ min: 1, max: 3700 }), nbf: fc.option(fc.integer({ min: -400, max: 400 }), { nil: undefined }),
        skew: fc.integer({ min: 0, max: 60 }),
        // a time anywhere, or one within two seconds of an edge: exp or nbf or iat, each give or take the skew
        times: fc.array(fc.oneof(fc.integer({ min: -500, max: 4000 }), fc.tuple(fc.constantFrom('exp', 'nbf', 'iat'), fc.constantFrom(-1, 1), fc.integer({ min: -2, max: 2 }))), { minLength: 1, maxLength: 6 }),
      }),
      async ({ iat, ttl, nbf, skew, times: marks }) => {
        const edge = { exp: iat + ttl, nbf: nbf ?? iat, iat };
        const times = marks.map((m) => (typeof m === 'number' ? m : edge[m[0]] + m[1] * skew + m[2]));
        const jwt = new SignJWT({ sub: 'copilot-research', jti: `j-${iat}-${ttl}-${nbf ?? 'x'}` }).setProtectedHeader({ alg: 'ES256', kid: key.kid!, typ: 'at+jwt' })
          .setAudience(AUD).setIssuer(ISS).setIssuedAt(sec + iat).setExpirationTime(sec + iat + ttl);
        if (nbf !== undefined) jwt.setNotBefore(sec + nbf);
        const token = await jwt.sign(priv);
        const remembering = make(undefined, skew);
        for (const at of times) {
          now = NOW + at * 1000;
          const fresh = make(fileKeySource(paths.publicJwks), skew);
          assert.equal(code(await remembering.verify(token)), code(await fresh.verify(token)), `at ${at} s`);
        }
      },
    ), fcParams(120));
  });
});
