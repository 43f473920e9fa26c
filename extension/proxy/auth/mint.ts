// Minting short-lived access tokens: `mandate token issue` (development and tests) and the proxy's
// own per-server, per-environment credential for upstream HTTP servers.

import { randomUUID } from 'node:crypto';
import { importJWK, SignJWT, type JWK } from 'jose';

/** The issuer `mandate token issue` writes and the proxy expects unless told otherwise. */
export const DEFAULT_ISSUER = 'urn:mandate:local';
/** The longest lifetime `mandate token issue` will mint. */
export const MAX_ISSUE_TTL_SEC = 86_400;

export interface IssueOptions {
  key: JWK;
  sub: string;
  aud: string;
  iss: string;
  ttlSec: number;
  roles?: string[];
  /** extra claims (e.g. `environment` for upstream credentials); reserved claims cannot be overridden */
  claims?: Record<string, unknown>;
  now: number;
  /** defaults to a random UUID */
  jti?: string;
  nbfSec?: number;
}

export interface IssuedToken {
  token: string;
  jti: string;
  kid: string;
  /** seconds since epoch */
  exp: number;
  iat: number;
}

/** Sign an RFC 9068-style access token (`typ: at+jwt`) with the key's kid and alg. */
export async function issueToken(o: IssueOptions): Promise<IssuedToken> {
  if (!(o.ttlSec > 0)) throw new TypeError('ttl must be positive');
  if (typeof o.key.alg !== 'string' || typeof o.key.kid !== 'string') throw new TypeError('the signing key needs alg and kid');
  const key = await importJWK(o.key, o.key.alg);
  const iat = Math.floor(o.now / 1000);
  const exp = iat + Math.floor(o.ttlSec);
  const jti = o.jti ?? randomUUID();
  const payload: Record<string, unknown> = { ...(o.claims ?? {}) };
  if (o.roles !== undefined) payload['roles'] = o.roles;
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg: o.key.alg, kid: o.key.kid, typ: 'at+jwt' })
    .setSubject(o.sub).setAudience(o.aud).setIssuer(o.iss).setJti(jti).setIssuedAt(iat).setExpirationTime(exp);
  if (o.nbfSec !== undefined) jwt.setNotBefore(o.nbfSec);
  return { token: await jwt.sign(key), jti, kid: o.key.kid, exp, iat };
}

export interface UpstreamTarget {
  /** the policy's server name */
  server: string;
  /** the upstream's resource URI: the token's audience */
  url: string;
  environment: string;
}

/**
 * The proxy's own credentials for upstream servers: one token per server and environment, minted
 * with the proxy's key, reused until a quarter of its lifetime is left.
 * INVARIANT: never derived from, nor carrying, the client's token (the MCP spec forbids passthrough).
 */
export class UpstreamCredentials {
  private readonly cache = new Map<string, IssuedToken>();

  constructor(private readonly o: { key: JWK; issuer: string; subject: string; ttlSec: number; now: () => number }) {}

  /** The bearer token to present to `target` now. */
  async tokenFor(target: UpstreamTarget): Promise<string> {
    const id = `${target.server}\u0000${target.environment}\u0000${target.url}`;
    const nowSec = Math.floor(this.o.now() / 1000);
    const cached = this.cache.get(id);
    if (cached && cached.exp - nowSec > this.o.ttlSec / 4) return cached.token;
    const t = await issueToken({
      key: this.o.key, sub: this.o.subject, aud: target.url, iss: this.o.issuer, ttlSec: this.o.ttlSec, now: this.o.now(),
      claims: { environment: target.environment, server: target.server },
    });
    this.cache.set(id, t);
    return t.token;
  }
}

export { parseDuration } from './duration';
