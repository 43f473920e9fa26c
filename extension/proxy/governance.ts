// What the role may see and do beyond tools/call: which tools tools/list shows, resource reads,
// prompt gets and the requests a server sends to the client. Deny unless granted.

import { DEFAULT_SERVER_REQUESTS, globMatch, lookup, type CompiledPolicy, type Decision, type Policy, type RuleRef } from '../../policies';

export { DEFAULT_SERVER_REQUESTS };

/**
 * Could the role ever be allowed this tool? True when a grant of one of its roles names the tool
 * and has not expired, and no deny rule forbids the tool for it unconditionally.
 */
export function toolVisible(c: CompiledPolicy, roles: readonly string[], tool: string, now: number): boolean {
  for (const d of lookup(c.denyIndex, tool)) {
    const unconditional = d.args.length === 0 && d.context.length === 0 && d.missingScopes.length === 0;
    if (unconditional && (!d.roles || roles.some((r) => d.roles!.has(r)))) return false;
  }
  for (const role of roles) {
    if (!c.declaredRoles.has(role)) continue;
    for (const g of lookup(c.grantIndex.get(role), tool)) {
      if (g.missingScopes.length === 0 && now < g.expires) return true;
    }
  }
  return false;
}

function grantDecision(kind: 'resource' | 'prompt', list: ReadonlyArray<{ agent_role: string }> | undefined, names: (g: never) => string[],
  roles: readonly string[], declared: ReadonlySet<string>, principal: string | null, target: string): Decision {
  const section = kind === 'resource' ? 'resources' : 'prompts';
  if (!principal) return deny(kind, 'denied: the caller has no authenticated identity');
  for (const [i, g] of (list ?? []).entries()) {
    if (!roles.includes(g.agent_role) || !declared.has(g.agent_role)) continue;
    if (names(g as never).some((p) => globMatch(p, target))) {
      const rule: RuleRef = { kind: 'grant', id: `${section}[${i}]`, pointer: `/${section}/${i}` };
      return { effect: 'allow', rules: [rule], reasons: [{ code: 'allowed_by_grant', message: `allowed by ${section}[${i}]`, rule }] };
    }
  }
  const what = kind === 'resource' ? `reading resource \`${target}\`` : `the prompt \`${target}\``;
  return deny(kind, `denied: no ${section} grant gives ${roles.map((r) => `\`${r}\``).join(', ') || 'this caller'} ${what}`);
}

function deny(_kind: string, message: string): Decision {
  const rule: RuleRef = { kind: 'builtin', id: 'deny-unless-granted', pointer: '' };
  return { effect: 'deny', rules: [rule], reasons: [{ code: 'no_grant', message, rule }] };
}

/**
 * Why a URI cannot be decided by its text, or undefined. A grant matches the URI as written, but a server
 * resolves it: the SDK looks a resource up by `new URL(uri).href`, which removes `..` segments (encoded ones
 * too), and a file server decodes `%2F` into a path separator. So `docs://a/*` would match
 * `docs://a/../secret`. INVARIANT: a URI is decided only when it is already in the form a server resolves
 * it to (the WHATWG URL serialisation) and holds no dot segment and no encoded dot, slash, backslash or NUL.
 */
export function uriProblem(uri: string): string | undefined {
  let href: string;
  try {
    href = new URL(uri).href;
  } catch {
    return `\`${uri.slice(0, 200)}\` is not an absolute URI`;
  }
  if (href !== uri) return `the URI \`${uri.slice(0, 200)}\` is not in normal form (a server reads it as \`${href.slice(0, 200)}\`); ask for that form`;
  if (/(^|[/:])\.{1,2}(?=[/?#]|$)/.test(uri)) return `the URI \`${uri.slice(0, 200)}\` holds a \`.\` or \`..\` segment`;
  if (/%(2e|2f|5c|00)|\\/i.test(uri)) return `the URI \`${uri.slice(0, 200)}\` holds an encoded dot, slash, backslash or NUL, which a server may decode into another path`;
  return undefined;
}

/**
 * Decide a `resources/read`: denied unless a `resources` grant of the caller's roles matches the URI, and
 * denied whatever the grants say when the URI is not in the form a server resolves it to (`uriProblem`).
 */
export function decideResource(c: CompiledPolicy, principal: string | null, roles: readonly string[], uri: string): Decision {
  const problem = uriProblem(uri);
  if (problem !== undefined) return deny('resource', `denied: ${problem}`);
  const list = c.policy.resources;
  return grantDecision('resource', list, (g: { uris: string[] }) => g.uris, roles, c.declaredRoles, principal, uri);
}

/**
 * Decide a resource template (`resources/templates/list` entries, completions of a template's arguments):
 * allowed only when a `resources` grant of the caller's roles matches the template as written — a grant
 * `docs://*` covers `docs://{path}`; a template that could expand both inside and outside the grants is denied.
 */
export function decideResourceTemplate(c: CompiledPolicy, principal: string | null, roles: readonly string[], template: string): Decision {
  return grantDecision('resource', c.policy.resources, (g: { uris: string[] }) => g.uris, roles, c.declaredRoles, principal, template);
}

/** Decide a `prompts/get`: denied unless a `prompts` grant of the caller's roles matches the name. */
export function decidePrompt(c: CompiledPolicy, principal: string | null, roles: readonly string[], name: string): Decision {
  const list = c.policy.prompts;
  return grantDecision('prompt', list, (g: { prompts: string[] }) => g.prompts, roles, c.declaredRoles, principal, name);
}

/** May the server send this request to the client? `server_requests.allow` or the defaults. */
export function serverRequestAllowed(policy: Policy, method: string): boolean {
  const sr = policy.server_requests;
  const allow = sr?.allow ?? DEFAULT_SERVER_REQUESTS;
  return allow.some((p) => globMatch(p, method));
}

/**
 * `resources/list`, `resources/templates/list` and `prompts/list` answers show only what the caller could read or get: an entry the
 * policy would deny is left out, as `tools/list` leaves out ungranted tools. Other results pass unchanged.
 */
export function filterListed(c: CompiledPolicy, principal: string | null, roles: readonly string[], method: string, result: Record<string, unknown>): Record<string, unknown> {
  if (method === 'resources/list' && Array.isArray(result['resources'])) {
    const shown = (result['resources'] as Array<{ uri?: unknown }>).filter((r) => decideResource(c, principal, roles, String(r.uri ?? '')).effect !== 'deny');
    return { ...result, resources: shown };
  }
  if (method === 'resources/templates/list' && Array.isArray(result['resourceTemplates'])) {
    const shown = (result['resourceTemplates'] as Array<{ uriTemplate?: unknown }>).filter((t) => decideResourceTemplate(c, principal, roles, String(t.uriTemplate ?? '')).effect !== 'deny');
    return { ...result, resourceTemplates: shown };
  }
  if (method === 'prompts/list' && Array.isArray(result['prompts'])) {
    const shown = (result['prompts'] as Array<{ name?: unknown }>).filter((p) => decidePrompt(c, principal, roles, String(p.name ?? '')).effect !== 'deny');
    return { ...result, prompts: shown };
  }
  return result;
}
