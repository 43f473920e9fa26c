// Property: flipping any single bit of a valid token's header, payload or signature bytes makes the
// verifier reject it (base64url is re-encoded canonically, so each case is a real change).

import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import fc from 'fast-check';
import { fileKeySource, issueToken, keyPaths, newSigningKey, TokenVerifier, writeKeySets } from '../../../../extension/proxy/auth';
import { fcParams } from '../../../support/seed';
import { tempDir } from '../../../support/tmp';

const AUD = 'http://127.0.0.1:8931/mcp';
const ISS = 'urn:mandate:test';
const NOW = Date.parse('2026-11-25T12:00:00Z');

describe('token verifier: tampering property', () => {
  let dir: string;
  let token: string;
  let verifier: TokenVerifier;

  before(async () => {
    dir = tempDir('mandate-tamper-');
    const key = await newSigningKey('ES256', NOW);
    const kp = keyPaths(dir);
    writeKeySets(kp, [key]);
    verifier = new TokenVerifier({ keys: fileKeySource(kp.publicJwks), issuer: ISS, audience: AUD, algorithms: ['ES256'], now: () => NOW });
    token = (await issueToken({ key, sub: 'copilot-research', aud: AUD, iss: ISS, ttlSec: 600, now: NOW, roles: ['research_reader'] })).token;
    assert.ok((await verifier.verify(token)).ok, 'the untampered token verifies');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('rejects a token with any single bit flipped in any of its three parts', async () => {
    const parts = token.split('.').map((p) => Buffer.from(p, 'base64url'));
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 2 }), fc.nat(), fc.integer({ min: 0, max: 7 }), async (part, at, bit) => {
      const bytes = parts.map((b) => Buffer.from(b));
      const target = bytes[part]!;
      target[at % target.length]! ^= 1 << bit;
      const tampered = bytes.map((b) => b.toString('base64url')).join('.');
      const r = await verifier.verify(tampered);
      return !r.ok;
    }), fcParams(300));
  });
});
