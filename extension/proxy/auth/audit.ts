// Audit entries for authentication: every rejection (who the token claimed to be, why it failed)
// and every accepted identity — never the token itself.

import type { AuditEntry, Json } from '../../../policies';
import type { AuthResult } from './verifier';

export interface AuthRequestInfo {
  /** client address and port */
  remote?: string;
  method?: string;
  path?: string;
  session?: string;
  /** the roles the identity maps to (for accepted tokens) */
  roles?: string[];
}

/** An `auth` audit entry for a verification result. */
export function authEntry(result: AuthResult, req: AuthRequestInfo, now: number): AuditEntry {
  const base: AuditEntry = { kind: 'auth', time: new Date(now).toISOString(), ...(req.session ? { session: req.session } : {}) };
  const where: Record<string, Json> = {};
  if (req.remote) where['remote'] = req.remote;
  if (req.method) where['http_method'] = req.method;
  if (req.path) where['path'] = req.path;
  if (result.ok) {
    const id = result.identity;
    return {
      ...base,
      caller: { principal: id.sub, roles: req.roles ?? [] },
      detail: { outcome: 'accepted', jti: id.jti, kid: id.kid, iss: id.iss, exp: id.exp, ...where },
    };
  }
  // INVARIANT: only claims decoded from the token go here, never the token string or its signature
  const claimed = JSON.parse(JSON.stringify(result.claimed)) as Json;
  return {
    ...base,
    caller: { principal: null, roles: [] },
    error: { code: result.code, message: result.message },
    detail: { outcome: 'rejected', claimed, ...where },
  };
}
