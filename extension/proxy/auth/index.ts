// The proxy's authentication API: key sets, token minting, verification, revocation, roles, audit.

export { KEY_ALGORITHMS, KeyFileError, MAX_JWKS_BYTES, keyPaths, newSigningKey, parseJwks, publicJwk, readJwksFile, rotateKeys, signingKey, writeAtomic, writeKeySets } from './keyStore';
export type { KeyAlgorithm, KeyPaths } from './keyStore';
export { fileKeySource, keySourceFor, urlKeySource } from './keySource';
export type { KeySource } from './keySource';
export { ReloadingFile } from './reloadingFile';
export { emptyRevocations, parseRevocationList, parseRevocations, revokeJti, MAX_JTI_LENGTH } from './revocation';
export type { RevocationList, RevokedToken } from './revocation';
export { DEFAULTS, MAX_CLOCK_SKEW_SEC, TokenVerifier, claimedOf, classify } from './verifier';
export type { AuthFailureCode, AuthResult, Claimed, TokenIdentity, VerifierOptions } from './verifier';
export { DEFAULT_ISSUER, MAX_ISSUE_TTL_SEC, UpstreamCredentials, issueToken, parseDuration } from './mint';
export type { IssueOptions, IssuedToken, UpstreamTarget } from './mint';
export { resolveRoles } from './roles';
export type { ResolvedRoles } from './roles';
export { authEntry } from './audit';
export type { AuthRequestInfo } from './audit';
