// Signing keys on disk: a private JWKS (0600) and the public JWKS the proxy verifies with.
// `mandate keys generate|rotate` and `mandate token issue` go through here; each key carries a `kid`.

import { randomUUID } from 'node:crypto';
import { chmodSync, renameSync, writeFileSync } from 'node:fs';
import { readFailure, readFileBounded } from '../readBounded';
import { dirname, join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { makeDirs } from '../makeDirs';

/** Signature algorithms the tooling can generate; the verifier pins its own list. */
export const KEY_ALGORITHMS = ['ES256', 'ES384', 'RS256', 'PS256', 'EdDSA'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

/** Upper bound on a JWKS file's size; larger files are refused, not parsed. */
export const MAX_JWKS_BYTES = 256 * 1024;

/** A bad or unreadable key file: a stable code and a one-line message. */
export class KeyFileError extends Error {
  constructor(readonly code: 'keys_unreadable' | 'keys_invalid', message: string) {
    super(message);
  }
}

/** The files of a key directory. */
export interface KeyPaths {
  /** private JWKS, first key signs */
  privateJwks: string;
  /** public JWKS, what `--jwks` points at */
  publicJwks: string;
  /** the revocation list `mandate token revoke` writes */
  revocations: string;
}

/** The files `mandate keys` keeps in a directory. */
export function keyPaths(dir: string): KeyPaths {
  return { privateJwks: join(dir, 'signing.jwks.json'), publicJwks: join(dir, 'jwks.json'), revocations: join(dir, 'revoked.json') };
}

const PUBLIC_MEMBERS = ['kty', 'crv', 'x', 'y', 'n', 'e', 'kid', 'alg', 'use'] as const;

/** The public half of a JWK (drops d, p, q, dp, dq, qi and anything unknown). */
export function publicJwk(jwk: JWK): JWK {
  const out: JWK = {};
  for (const m of PUBLIC_MEMBERS) if (jwk[m] !== undefined) (out as Record<string, unknown>)[m] = jwk[m];
  return out;
}

/** Parse JWKS text: `{"keys":[…]}`, every key with a kid and an alg, kids unique. */
export function parseJwks(text: string, where: string): JWK[] {
  if (text.length > MAX_JWKS_BYTES) throw new KeyFileError('keys_invalid', `key set \`${where}\` is larger than ${MAX_JWKS_BYTES} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new KeyFileError('keys_invalid', `key set \`${where}\` is not valid JSON: ${(err as Error).message}`);
  }
  const keys = (value as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) throw new KeyFileError('keys_invalid', `key set \`${where}\` must be a JWKS: {"keys": [...]}`);
  const seen = new Set<string>();
  for (const [i, k] of keys.entries()) {
    const key = k as JWK | null;
    if (!key || typeof key !== 'object' || typeof key.kty !== 'string') throw new KeyFileError('keys_invalid', `key ${i} of \`${where}\` is not a JWK`);
    if (typeof key.kid !== 'string' || key.kid === '') throw new KeyFileError('keys_invalid', `key ${i} of \`${where}\` has no \`kid\``);
    if (typeof key.alg !== 'string') throw new KeyFileError('keys_invalid', `key \`${key.kid}\` of \`${where}\` has no \`alg\``);
    if (seen.has(key.kid)) throw new KeyFileError('keys_invalid', `key id \`${key.kid}\` appears twice in \`${where}\``);
    seen.add(key.kid);
  }
  return keys as JWK[];
}

/** Read and parse a JWKS file. */
export function readJwksFile(path: string): JWK[] {
  let text: string;
  try {
    // INVARIANT: a device (/dev/zero) is refused and a pipe read to the limit: readFileSync never ended on either
    text = readFileBounded(path, MAX_JWKS_BYTES).toString('utf8');
  } catch (err) {
    throw new KeyFileError('keys_unreadable', `cannot read key set \`${path}\`: ${readFailure(err)}`);
  }
  return parseJwks(text, path);
}

/** Write a file atomically (temp file + rename), creating its folder; `mode` for secrets. */
export function writeAtomic(path: string, text: string, mode = 0o644): void {
  makeDirs(dirname(path));
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}

/** A fresh key pair as a private JWK with kid, alg and use. */
export async function newSigningKey(alg: KeyAlgorithm, now: number): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  const stamp = new Date(now).toISOString().slice(0, 10);
  return { ...jwk, kid: `${stamp}-${randomUUID().slice(0, 8)}`, alg, use: 'sig' };
}

/** Write both key sets: private (0600) and public. */
export function writeKeySets(paths: KeyPaths, privateKeys: JWK[]): void {
  writeAtomic(paths.privateJwks, `${JSON.stringify({ keys: privateKeys }, null, 2)}\n`, 0o600);
  writeAtomic(paths.publicJwks, `${JSON.stringify({ keys: privateKeys.map(publicJwk) }, null, 2)}\n`);
}

/**
 * Add a new signing key in front of the existing ones. `keep` bounds how many keys stay in the sets
 * (the new one included): older keys drop out, and tokens signed with them stop verifying.
 */
export async function rotateKeys(paths: KeyPaths, alg: KeyAlgorithm, keep: number, now: number): Promise<{ added: JWK; retired: string[] }> {
  if (!Number.isInteger(keep) || keep < 1) throw new TypeError('keep must be a positive integer');
  const existing = readJwksFile(paths.privateJwks);
  const added = await newSigningKey(alg, now);
  const all = [added, ...existing];
  const kept = all.slice(0, keep);
  writeKeySets(paths, kept);
  return { added, retired: all.slice(keep).map((k) => k.kid ?? '') };
}

/** The signing key of a private key set: the first one, which must hold private material. */
export function signingKey(keys: readonly JWK[], where: string): JWK {
  const first = keys[0];
  if (!first) throw new KeyFileError('keys_invalid', `key set \`${where}\` is empty`);
  if (first.d === undefined) throw new KeyFileError('keys_invalid', `key \`${first.kid}\` of \`${where}\` is a public key; token issuing needs the private key set`);
  return first;
}
