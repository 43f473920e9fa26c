// Bearer token verification with jose: pinned algorithms, issuer, a single audience equal to the
// proxy's resource URI, exp/iat/sub/jti required, bounded lifetime and skew, revocation by jti.

import { decodeJwt, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { KeySource } from './keySource';
import { ReloadingFile } from './reloadingFile';
import { MAX_REVOCATION_BYTES, parseRevocations } from './revocation';

export type AuthFailureCode =
  | 'no_token' | 'too_large' | 'malformed' | 'alg_not_allowed' | 'missing_kid' | 'unknown_kid' | 'bad_signature'
  | 'wrong_type' | 'expired' | 'not_yet_valid' | 'wrong_audience' | 'wrong_issuer' | 'missing_claim' | 'invalid_claim'
  | 'lifetime_too_long' | 'revoked' | 'keys_unavailable' | 'revocations_unavailable';

/** What an unverified token says about itself: for the audit record only, never for a decision. */
export interface Claimed {
  sub?: string; iss?: string; aud?: string | string[]; jti?: string; kid?: string; alg?: string; exp?: number; iat?: number;
}

/** A verified caller. `claimedRoles` is the token's roles claim before the policy maps it. */
export interface TokenIdentity {
  sub: string; iss: string; jti: string; kid: string; exp: number; iat: number; claimedRoles: string[] | undefined;
}

export type AuthResult =
  | { ok: true; identity: TokenIdentity }
  | { ok: false; code: AuthFailureCode; message: string; claimed: Claimed };

export interface VerifierOptions {
  keys: KeySource;
  issuer: string;
  /** this proxy's resource URI; the token's `aud` must be exactly it */
  audience: string;
  algorithms: readonly string[];
  /** revocation list file; when set and unreadable, every token is rejected */
  revocations?: string;
  /** the list is a default location: until it first exists it counts as empty (once read, missing rejects all) */
  revocationsOptional?: boolean;
  maxLifetimeSec?: number;
  clockSkewSec?: number;
  maxTokenBytes?: number;
  rolesClaim?: string;
  /** the `typ` header required (RFC 9068 access tokens) */
  typ?: string;
  now?: () => number;
}

export const DEFAULTS = { maxLifetimeSec: 3600, clockSkewSec: 30, maxTokenBytes: 4096, rolesClaim: 'roles', typ: 'at+jwt' } as const;
/** Upper bound on the clock skew a deployment may configure. */
export const MAX_CLOCK_SKEW_SEC = 300;

const SHOW = 128;
/** Verified tokens remembered (see `TokenVerifier.verified`); the oldest goes first. */
const REMEMBERED_TOKENS = 1024;

/** A token whose signature and fixed claims verified under `resolver`. */
interface Verified {
  resolver: unknown;
  payload: JWTPayload;
}
const cut = (v: unknown): string | undefined => (typeof v === 'string' ? v.slice(0, SHOW) : undefined);

/** Decode what a token claims without trusting it (bounded, never throws). */
export function claimedOf(token: string): Claimed {
  const out: Claimed = {};
  try {
    const h = decodeProtectedHeader(token);
    if (cut(h.kid)) out.kid = cut(h.kid)!;
    if (cut(h.alg)) out.alg = cut(h.alg)!;
  } catch { /* not even a header: nothing claimed */ }
  try {
    const p = decodeJwt(token);
    for (const k of ['sub', 'iss', 'jti'] as const) if (cut(p[k])) out[k] = cut(p[k])!;
    if (typeof p.aud === 'string') out.aud = p.aud.slice(0, SHOW);
    else if (Array.isArray(p.aud)) out.aud = p.aud.slice(0, 8).map((a) => String(a).slice(0, SHOW));
    if (typeof p.exp === 'number') out.exp = p.exp;
    if (typeof p.iat === 'number') out.iat = p.iat;
  } catch { /* unreadable payload */ }
  return out;
}

/** Map a jose error to a stable failure code and a one-line reason. */
export function classify(err: unknown): { code: AuthFailureCode; message: string } {
  const e = err as { code?: string; claim?: string; reason?: string; message?: string };
  const msg = String(e.message ?? err).split('\n')[0]!.slice(0, 200);
  switch (e.code) {
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return { code: 'alg_not_allowed', message: 'token algorithm is not allowed' };
    case 'ERR_JWKS_NO_MATCHING_KEY': return { code: 'unknown_kid', message: 'no key with the token\'s key id' };
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS': return { code: 'unknown_kid', message: 'the token\'s key id is ambiguous' };
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return { code: 'bad_signature', message: 'token signature does not verify' };
    case 'ERR_JWT_EXPIRED': return e.claim === 'iat' ? { code: 'lifetime_too_long', message: 'token is older than the maximum lifetime' } : { code: 'expired', message: 'token has expired' };
    case 'ERR_JWKS_INVALID': case 'ERR_JWK_INVALID': case 'ERR_JWKS_TIMEOUT': return { code: 'keys_unavailable', message: `key set unavailable: ${msg}` };
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      if (e.reason === 'missing') return { code: 'missing_claim', message: `token has no \`${e.claim}\` claim` };
      if (e.claim === 'nbf') return { code: 'not_yet_valid', message: 'token is not valid yet (nbf)' };
      if (e.claim === 'aud') return { code: 'wrong_audience', message: 'token audience is not this resource' };
      if (e.claim === 'iss') return { code: 'wrong_issuer', message: 'token issuer is not trusted' };
      if (e.claim === 'typ') return { code: 'wrong_type', message: 'token type is not an access token' };
      return { code: 'invalid_claim', message: `token claim \`${e.claim}\` is invalid` };
    }
    default:
      // jose reports token defects with ERR_J… codes; anything else (a failed JWKS fetch) is the key source
      if (typeof e.code === 'string' && e.code.startsWith('ERR_J')) return { code: 'malformed', message: `token is malformed: ${msg}` };
      return { code: 'keys_unavailable', message: `key set unavailable: ${msg}` };
  }
}

/** A bearer token verifier bound to one resource. `verify` never throws. */
export class TokenVerifier {
  private readonly revoked: ReloadingFile<ReadonlySet<string>> | undefined;
  private readonly o: Required<Omit<VerifierOptions, 'revocations' | 'revocationsOptional'>>;
  /**
   * Tokens (the exact text) whose signature, issuer, audience and type verified, by the key set that verified
   * them: a client sends the same token with every request, and an ES256 verification costs ~0.5 ms of this
   * proxy's CPU. INVARIANT: a remembered token is accepted only under the very resolver that verified it (a
   * key set re-read — a key rotated out — forgets it in effect), only while jose's time checks (exp, nbf, iat
   * age, with the same skew) hold now, and still goes through every check of `checkClaims`, revocation
   * included; otherwise it is verified in full. Only for key sources replaced on change.
   */
  private readonly verified = new Map<string, Verified>();

  constructor(opts: VerifierOptions) {
    if (opts.algorithms.length === 0 || opts.algorithms.some((a) => a === 'none' || /^HS/i.test(a))) {
      throw new TypeError('algorithms must be a non-empty list of asymmetric algorithms');
    }
    const skew = opts.clockSkewSec ?? DEFAULTS.clockSkewSec;
    if (!(skew >= 0 && skew <= MAX_CLOCK_SKEW_SEC)) throw new TypeError(`clock skew must be 0..${MAX_CLOCK_SKEW_SEC} seconds`);
    this.o = { ...DEFAULTS, now: () => Date.now(), ...stripUndefined(opts), clockSkewSec: skew } as Required<Omit<VerifierOptions, 'revocations' | 'revocationsOptional'>>;
    this.revoked = opts.revocations !== undefined
      ? new ReloadingFile(opts.revocations, parseRevocations, MAX_REVOCATION_BYTES, opts.revocationsOptional ? new Set<string>() : undefined)
      : undefined;
  }

  get audience(): string { return this.o.audience; }
  get issuer(): string { return this.o.issuer; }
  get algorithms(): readonly string[] { return this.o.algorithms; }

  /** Verify a bearer token; the result names the failure with a stable code. */
  async verify(token: string | undefined): Promise<AuthResult> {
    if (token === undefined || token === '') return { ok: false, code: 'no_token', message: 'no bearer token', claimed: {} };
    // INVARIANT: size is checked before anything decodes the token
    if (token.length > this.o.maxTokenBytes) return { ok: false, code: 'too_large', message: `token is larger than ${this.o.maxTokenBytes} bytes`, claimed: {} };
    const claimed = claimedOf(token);
    const fail = (code: AuthFailureCode, message: string): AuthResult => ({ ok: false, code, message, claimed });
    if (claimed.alg === undefined) return fail('malformed', 'token is not a signed JWT');
    if (!this.o.algorithms.includes(claimed.alg)) return fail('alg_not_allowed', `token algorithm \`${claimed.alg}\` is not allowed`);
    if (claimed.kid === undefined) return fail('missing_kid', 'token header has no key id (kid)');
    let revoked: ReadonlySet<string> | undefined;
    try {
      revoked = this.revoked ? await this.revoked.current() : undefined;
    } catch (err) {
      return fail('revocations_unavailable', `revocation list unavailable: ${String((err as Error).message).split('\n')[0]}`);
    }
    let resolver: Awaited<ReturnType<KeySource['resolver']>>;
    try {
      resolver = await this.o.keys.resolver();
    } catch (err) {
      return fail('keys_unavailable', `key set unavailable: ${String((err as Error).message).split('\n')[0]}`);
    }
    const known = this.verified.get(token);
    if (known !== undefined && known.resolver === resolver && this.inTime(known.payload)) return this.checkClaims(known.payload, claimed, revoked, fail);
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, resolver, {
        algorithms: [...this.o.algorithms], issuer: this.o.issuer, audience: this.o.audience, typ: this.o.typ,
        requiredClaims: ['exp', 'iat', 'sub', 'jti'], clockTolerance: this.o.clockSkewSec,
        maxTokenAge: this.o.maxLifetimeSec + this.o.clockSkewSec, currentDate: new Date(this.o.now()),
      }));
    } catch (err) {
      const c = classify(err);
      // what this proxy expects is public (its resource metadata names it): say it, so a token can be issued right
      if (c.code === 'wrong_audience') return fail(c.code, `${c.message} (${this.o.audience}): issue it with --aud ${this.o.audience}`);
      if (c.code === 'wrong_issuer') return fail(c.code, `${c.message} (this proxy trusts \`${this.o.issuer}\`, --issuer)`);
      return fail(c.code, c.message);
    }
    if (this.o.keys.replacedOnChange === true) this.remember(token, { resolver, payload });
    return this.checkClaims(payload, claimed, revoked, fail);
  }

  /** jose's time checks of `jwtVerify` as this verifier calls it (same skew, same maximum age), for a payload it passed. */
  private inTime(p: JWTPayload): boolean {
    const now = Math.floor(this.o.now() / 1000);
    const tol = this.o.clockSkewSec;
    if (typeof p.exp !== 'number' || typeof p.iat !== 'number') return false;
    if (p.exp <= now - tol) return false;
    if (typeof p.nbf === 'number' && p.nbf > now + tol) return false;
    const age = now - p.iat;
    return !(age - tol > this.o.maxLifetimeSec + tol) && !(age < -tol);
  }

  private remember(token: string, v: Verified): void {
    this.verified.delete(token);
    if (this.verified.size >= REMEMBERED_TOKENS) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, v);
  }

  /**
   * Why a token accepted earlier no longer holds — expired, or revoked since — or undefined while it does: for an
   * act that comes long after the request the token authorised (a human approving a call). Never rejects.
   */
  async stillValid(jti: string, exp: number): Promise<string | undefined> {
    if (this.o.now() / 1000 >= exp + this.o.clockSkewSec) return `the token that made the call expired at ${new Date(exp * 1000).toISOString()}`;
    try {
      if ((this.revoked ? await this.revoked.current() : undefined)?.has(jti)) return `the token that made the call (\`${jti.slice(0, SHOW)}\`) has been revoked`;
    } catch (err) {
      return `the revocation list is unavailable (${String((err as Error).message).split('\n')[0]}), so the token that made the call cannot be checked`;
    }
    return undefined;
  }

  private checkClaims(p: JWTPayload, claimed: Claimed, revoked: ReadonlySet<string> | undefined, fail: (c: AuthFailureCode, m: string) => AuthResult): AuthResult {
    // INVARIANT: the token names exactly one audience, this resource (no token shared between resources)
    if (Array.isArray(p.aud) && p.aud.length !== 1) return fail('wrong_audience', 'token names more than one audience');
    const { exp, iat, sub, jti, iss } = p as Required<Pick<JWTPayload, 'exp' | 'iat' | 'sub' | 'jti' | 'iss'>>;
    if (exp - iat > this.o.maxLifetimeSec) return fail('lifetime_too_long', `token lifetime ${exp - iat}s exceeds the maximum ${this.o.maxLifetimeSec}s`);
    // INVARIANT: sub and jti are strings (jose does not check their types): a numeric jti never matched the
    // revocation list's strings, so such a token could not be revoked
    if (typeof sub !== 'string' || sub === '' || sub.length > 256) return fail('invalid_claim', 'token subject is not a string, empty or too long');
    if (typeof jti !== 'string' || jti === '' || jti.length > 256) return fail('invalid_claim', 'token id (jti) is not a string, empty or too long');
    if (revoked?.has(jti)) return fail('revoked', `token \`${jti.slice(0, SHOW)}\` has been revoked`);
    const rolesValue = p[this.o.rolesClaim];
    let claimedRoles: string[] | undefined;
    if (rolesValue !== undefined) {
      const list = typeof rolesValue === 'string' ? rolesValue.split(' ').filter(Boolean) : rolesValue;
      if (!Array.isArray(list) || list.length > 64 || !list.every((r) => typeof r === 'string' && r.length <= 128)) {
        return fail('invalid_claim', `token claim \`${this.o.rolesClaim}\` must be a list of role names`);
      }
      claimedRoles = list as string[];
    }
    return { ok: true, identity: { sub, iss, jti, kid: claimed.kid ?? '', exp, iat, claimedRoles } };
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
