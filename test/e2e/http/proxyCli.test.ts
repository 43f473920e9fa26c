// `mandate proxy --listen` refuses to start unsafely, with one clear line and exit 1.

import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyRevocations, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { runCli } from './cliProcess';
import { tempDir } from '../../support/tmp';

describe('mandate proxy --listen: refusals at start', function () {
  this.timeout(60_000);
  let dir: string;
  before(async () => {
    dir = tempDir('mandate-http-cli-');
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [await newSigningKey('ES256', Date.now())]);
    emptyRevocations(kp.revocations);
    writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles:\n  r: { description: x }\nservers:\n  pay: { url: "http://127.0.0.1:9/mcp", environment: prod, credential: env:PAY_TOKEN_PROD }\n');
    writeFileSync(join(dir, 'bad.mandate.yaml'), 'version: 1\nroles: 3\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const cases: Array<[string, string[], RegExp]> = [
    ['no --jwks', ['--policy', 'p.mandate.yaml', '--', 'true'], /missing --jwks: the HTTP proxy never runs without token verification/],
    ['no upstream', ['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json'], /give exactly one upstream/],
    ['two upstreams', ['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--upstream', 'http://127.0.0.1:9/mcp', '--', 'true'], /give exactly one upstream/],
    ['a symmetric algorithm', ['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--algorithms', 'HS256', '--', 'true'], /`HS256` is not an allowed asymmetric algorithm/],
    ['a missing key set', ['--policy', 'p.mandate.yaml', '--jwks', 'keys/nope.json', '--', 'true'], /cannot read key set .*no such file/],
    ['an invalid policy', ['--policy', 'bad.mandate.yaml', '--jwks', 'keys/jwks.json', '--', 'true'], /invalid policy:\nbad.mandate.yaml:2:/],
    ['an upstream credential that is not set', ['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--upstream', 'http://127.0.0.1:9/mcp'], /the upstream credential `env:PAY_TOKEN_PROD` is not set/],
  ];
  for (const [what, args, re] of cases) {
    it(`refuses ${what}`, async () => {
      const r = await runCli(['proxy', '--listen', '127.0.0.1:0', ...args], { cwd: dir, env: { PAY_TOKEN_PROD: '' } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, re);
      assert.doesNotMatch(r.stderr, /\n\s+at |internal error/);
    });
  }

  it('refuses to send an upstream credential over cleartext http beyond this machine', async () => {
    writeFileSync(join(dir, 'remote.mandate.yaml'), 'version: 1\nroles:\n  r: { description: x }\nservers:\n  pay: { url: "http://192.0.2.2:9/mcp", environment: prod, credential: env:PAY_TOKEN_PROD }\n');
    const r = await runCli(['proxy', '--listen', '127.0.0.1:0', '--policy', 'remote.mandate.yaml', '--jwks', 'keys/jwks.json', '--upstream', 'http://192.0.2.2:9/mcp'], { cwd: dir, env: { PAY_TOKEN_PROD: 's3cret' } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /refusing to send the credential of `pay` over cleartext http to `192.0.2.2:9`: use https/);
  });

  it('refuses a non-loopback address without client certificates', async () => {
    const r = await runCli(['proxy', '--listen', '0.0.0.0:0', '--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--', 'true'], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /refusing to listen on non-loopback `0.0.0.0` without TLS client certificates/);
  });
});
