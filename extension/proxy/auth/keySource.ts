// Where the verifier finds public keys by `kid`: a JWKS file re-read on change, or a JWKS URL
// (https, or http on loopback only) refetched when an unknown kid shows up.

import { createLocalJWKSet, createRemoteJWKSet, type JWTVerifyGetKey } from 'jose';
import { MAX_JWKS_BYTES, parseJwks } from './keyStore';
import { ReloadingFile } from './reloadingFile';

/** Resolves the key for a token's protected header; throws (jose errors) when none fits. */
export interface KeySource {
  readonly describe: string;
  resolver(): Promise<JWTVerifyGetKey>;
  /**
   * The resolver is a new object whenever the keys change (a file's keys, re-read on change): a signature that
   * verified under one resolver still verifies while `resolver()` returns that same object. Not so for a URL's
   * key set, which jose refetches behind one object.
   */
  readonly replacedOnChange?: boolean;
}

/** A JWKS file; a rotation (rewrite or rename) is seen on the next request. */
export function fileKeySource(path: string): KeySource {
  const file = new ReloadingFile(path, (text, where) => createLocalJWKSet({ keys: parseJwks(text, where) }), MAX_JWKS_BYTES);
  return { describe: path, resolver: () => file.current(), replacedOnChange: true };
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

/** A JWKS URL: https, or plain http to a loopback host. Others are refused at start. */
export function urlKeySource(url: string, opts: { cooldownMs?: number; cacheMaxAgeMs?: number } = {}): KeySource {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`\`${url}\` is not a URL`);
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.has(u.hostname))) {
    throw new TypeError(`JWKS URL \`${url}\` must be https, or http on a loopback address`);
  }
  const set = createRemoteJWKSet(u, { cooldownDuration: opts.cooldownMs ?? 1_000, cacheMaxAge: opts.cacheMaxAgeMs ?? 60_000, timeoutDuration: 5_000 });
  return { describe: url, resolver: async () => set };
}

/** `--jwks` value → a key source: a URL when it looks like one, else a file path. */
export function keySourceFor(value: string): KeySource {
  return /^https?:\/\//i.test(value) ? urlKeySource(value) : fileKeySource(value);
}
