// `mandate keys` and `mandate token` as a user runs them: the built CLI, real files, real tokens
// checked by the proxy's verifier.

import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileKeySource, TokenVerifier } from '../../../extension/proxy/auth';
import { runCli } from './cliProcess';
import { tempDir } from '../../support/tmp';

const AUD = 'http://127.0.0.1:8931/mcp';

describe('mandate keys / mandate token (built CLI)', () => {
  let dir: string;
  before(() => { dir = tempDir('mandate-token-cli-'); });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const verifier = () => new TokenVerifier({ keys: fileKeySource(join(dir, '.mandate/keys/jwks.json')), issuer: 'urn:mandate:local', audience: AUD, algorithms: ['ES256'], revocations: join(dir, '.mandate/keys/revoked.json') });

  it('generates a key set with a kid, private keys readable by the owner only', async () => {
    const r = await runCli(['keys', 'generate', '--format', 'json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { kid: string; jwks: string; signing: string };
    const pub = JSON.parse(readFileSync(out.jwks, 'utf8')) as { keys: Array<Record<string, unknown>> };
    assert.equal(pub.keys[0]!['kid'], out.kid);
    assert.equal(pub.keys[0]!['d'], undefined, 'the public set holds no private material');
    assert.equal(statSync(out.signing).mode & 0o077, 0, 'the signing keys are not group/world readable');
    const again = await runCli(['keys', 'generate'], { cwd: dir });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /exists; use `mandate keys rotate`/);
  });

  it('issues a token the verifier accepts, then revokes it by jti', async () => {
    const r = await runCli(['token', 'issue', '--sub', 'copilot-research', '--roles', 'research_reader', '--ttl', '10m', '--aud', AUD, '--format', 'json'], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const t = JSON.parse(r.stdout) as { token: string; jti: string };
    const ok = await verifier().verify(t.token);
    assert.ok(ok.ok);
    assert.deepEqual(ok.identity.claimedRoles, ['research_reader']);
    const rev = await runCli(['token', 'revoke', t.jti], { cwd: dir });
    assert.equal(rev.code, 0, rev.stderr);
    const no = await verifier().verify(t.token);
    assert.equal(no.ok ? 'accepted' : no.code, 'revoked');
  });

  it('warns when it issues a token the HTTP proxy would refuse as too long-lived (lifetime from iat, as the proxy reads it)', async () => {
    const long = await runCli(['token', 'issue', '--sub', 's', '--aud', AUD, '--ttl', '2h'], { cwd: dir });
    assert.equal(long.code, 0, long.stderr);
    assert.match(long.stderr, /warning: this token's lifetime \(7200s from iat to exp\) exceeds 3600s.*--max-token-lifetime 7200s/);
    const r = await verifier().verify(long.stdout.trim());
    assert.equal(r.ok ? 'accepted' : r.code, 'lifetime_too_long', 'the warning says what the proxy does');
    const short = await runCli(['token', 'issue', '--sub', 's', '--aud', AUD, '--ttl', '1h'], { cwd: dir });
    assert.equal(short.code, 0, short.stderr);
    assert.equal(short.stderr, '');
  });

  it('says which key file is damaged when its key material cannot sign', async () => {
    const broken = tempDir();
    const keys = join(broken, 'keys');
    mkdirSync(keys);
    writeFileSync(join(keys, 'signing.jwks.json'), JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'abc', y: 'def', d: 'xx', kid: 'k1', alg: 'ES256' }] }));
    const r = await runCli(['token', 'issue', '--sub', 's', '--aud', AUD, '--keys', keys], { cwd: broken });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /key `k1` of `.*signing\.jwks\.json` cannot sign: .*\(replace it with `mandate keys rotate`/);
    assert.doesNotMatch(r.stderr, /internal error/);
  });

  it('rotates: new tokens carry the new kid and the old kid is retired with --keep 1', async () => {
    const old = (await runCli(['token', 'issue', '--sub', 's', '--aud', AUD], { cwd: dir })).stdout.trim();
    const rot = await runCli(['keys', 'rotate', '--keep', '1', '--format', 'json'], { cwd: dir });
    assert.equal(rot.code, 0, rot.stderr);
    const { retired } = JSON.parse(rot.stdout) as { retired: string[] };
    assert.equal(retired.length, 1);
    const fresh = (await runCli(['token', 'issue', '--sub', 's', '--aud', AUD], { cwd: dir })).stdout.trim();
    assert.ok((await verifier().verify(fresh)).ok);
    const r = await verifier().verify(old);
    assert.equal(r.ok ? 'accepted' : r.code, 'unknown_kid');
  });

  it('refuses a device as a key set or revocation list at once (/dev/zero, /dev/full were read until memory ran out)', async () => {
    const keys = join(dir, 'device-keys');
    mkdirSync(keys, { recursive: true });
    symlinkSync('/dev/zero', join(keys, 'signing.jwks.json'));
    const cases: Array<[string[], RegExp]> = [
      [['token', 'issue', '--sub', 's', '--aud', AUD, '--keys', keys], /^mandate token: cannot read key set `.*signing\.jwks\.json`: it is a device, not a file/],
      [['keys', 'rotate', '--dir', keys], /^mandate keys: cannot read key set `.*signing\.jwks\.json`: it is a device, not a file\n$/],
      [['token', 'revoke', 'some-jti', '--list', '/dev/full'], /^mandate token: cannot update revocation list `\/dev\/full`: it is a device, not a file\n$/],
      [['token', 'revoke', 'some-jti', '--list', keys], /^mandate token: cannot update revocation list `.*device-keys`: is a folder\n$/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, { cwd: dir, timeout: 10_000 });
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, re);
    }
  });

  it('refuses bad input with one clear line', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['token', 'issue', '--sub', 's', '--aud', AUD, '--ttl', '3d'], /--ttl must be between 1s and 24h/],
      [['token', 'issue', '--sub', 's', '--aud', 'not a uri'], /--aud must be the proxy's resource URI/],
      [['token', 'issue', '--sub', 's', '--aud', AUD, '--keys', 'nowhere'], /cannot read key set .*no such file \(run `mandate keys generate` first\)/],
      [['token', 'frobnicate'], /expected `issue` or `revoke`/],
      [['keys', 'generate', '--alg', 'HS256'], /unknown algorithm `HS256`/],
      [['keys', 'generate', '--dir', '/dev/null'], /cannot write the keys into `\/dev\/null`: `\/dev\/null` is not a folder\n$/],
      [['token', 'issue', '--sub', 's', '--aud', AUD, '--roles', ' , '], /--roles names no role/],
      [['token', 'issue', '--sub', 's', '--aud', AUD, '--iss', ''], /--iss is empty/],
    ];
    for (const [args, re] of cases) {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });
});
