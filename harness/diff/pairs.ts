// The exact part of `diff`: for each (roles, tool) pair, a canonical fingerprint of every rule that can
// decide it. Equal fingerprints mean equal decisions for every call of the pair, so only pairs that
// differ need generated calls.

import { canonicalJson, lookup, type CompiledCheck, type CompiledPolicy, type Json } from '../../policies';

/** What a pair offers at best, ignoring argument and context constraints. */
export type Access = 'none' | 'approval' | 'allow';

export interface PairState {
  access: Access;
  /** true when some deciding rule has argument, context or time constraints */
  conditional: boolean;
  fingerprint: string;
}

/** Resolve a JSON pointer inside a policy (for the raw text of a compiled constraint). */
function at(root: unknown, pointer: string): unknown {
  let v = root;
  for (const seg of pointer.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, seg)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

function checks(policy: unknown, list: readonly CompiledCheck[], context: boolean): Json[] {
  return list.map((c) => {
    const raw = at(policy, c.pointer) as Json | undefined;
    // A context constraint written as a bare list means `in`: normalise so the two spellings compare equal.
    return [c.key, context && Array.isArray(raw) ? { in: raw } : raw ?? null];
  }).sort((a, b) => canonicalJson(a).localeCompare(canonicalJson(b)));
}

/** The state of one (roles, tool) pair in a compiled policy. */
export function pairState(c: CompiledPolicy, roles: readonly string[], tool: string): PairState {
  // INVARIANT: a deny naming an undefined scope denies every call it applies to (the engine fails closed), so
  // it counts as unconditional here; dropping it would hide its removal.
  const denies = lookup(c.denyIndex, tool)
    .filter((d) => !d.roles || roles.some((r) => d.roles!.has(r)))
    .map((d) => (d.missingScopes.length > 0 ? { args: [], context: [] } : { args: checks(c.policy, d.args, false), context: checks(c.policy, d.context, true) }));
  const grants = roles.filter((r) => c.declaredRoles.has(r))
    .flatMap((r) => lookup(c.grantIndex.get(r), tool))
    .filter((g, i, all) => all.indexOf(g) === i && g.missingScopes.length === 0 && g.notBefore < g.expires)
    .map((g) => ({
      approval: g.approval, from: Number.isFinite(g.notBefore) ? g.notBefore : null, to: Number.isFinite(g.expires) ? g.expires : null,
      args: checks(c.policy, g.args, false), context: checks(c.policy, g.context, true),
    }));
  const unconditionalDeny = denies.some((d) => d.args.length === 0 && d.context.length === 0);
  const access: Access = unconditionalDeny || grants.length === 0 ? 'none' : grants.some((g) => !g.approval) ? 'allow' : 'approval';
  const conditional = access !== 'none' && (denies.length > 0 || grants.some((g) => g.args.length > 0 || g.context.length > 0 || g.from !== null || g.to !== null));
  const set = (xs: readonly unknown[]): string[] => [...new Set(xs.map((x) => canonicalJson(x)))].sort();
  // INVARIANT: a pair no call can be granted has one fingerprint, however its denies are written.
  const fingerprint = access === 'none' ? 'none' : canonicalJson({ denies: set(denies), grants: set(grants) });
  return { access, conditional, fingerprint };
}
