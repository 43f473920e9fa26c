// Identity → roles: a token's roles claim is mapped through the policy's `agents`, so a token can
// narrow an agent's roles but never widen them, and an agent the policy does not name has none.

import type { AgentDef } from '../../../policies';

export interface ResolvedRoles {
  roles: string[];
  /** roles the token claimed that the policy does not bind to this agent (audited, ignored) */
  dropped: string[];
  /** false when the policy has no `agents` entry for the subject */
  known: boolean;
}

/**
 * The roles a verified subject acts with: the policy's roles for `agents[sub]`, intersected with the
 * token's roles claim when it has one.
 */
export function resolveRoles(sub: string, claimed: readonly string[] | undefined, agents: Readonly<Record<string, AgentDef>> | undefined): ResolvedRoles {
  const agent = agents && Object.prototype.hasOwnProperty.call(agents, sub) ? agents[sub] : undefined;
  if (!agent) return { roles: [], dropped: [...(claimed ?? [])], known: false };
  if (claimed === undefined) return { roles: [...agent.roles], dropped: [], known: true };
  const bound = new Set(agent.roles);
  return { roles: claimed.filter((r) => bound.has(r)), dropped: claimed.filter((r) => !bound.has(r)), known: true };
}
