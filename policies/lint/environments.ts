// Environments and credentials: one credential per environment, secrets by reference only, and grants
// that reach a production server must say which environment they are for.

import { childPointer } from '../source';
import type { ContextConstraint, Grant, Policy } from '../types';
import { expandIn, scopeNames, secretName, toolEntries } from './tools';
import type { LintContext, LintRule, RuleFinding } from './types';

const PROD = /^prod(uction)?([-_.].*)?$/i;
/** A credential reference: `scheme:rest` such as `env:NAME`, `file:/run/secrets/x`, `vault:kv/x`. */
const REFERENCE = /^[a-z][a-z0-9+.-]*:\S+$/i;

/** True when the server is a production server. */
export function isProd(env: string | undefined): boolean {
  return env !== undefined && PROD.test(env);
}

export const sharedCredential: LintRule = {
  id: 'env/shared-credential',
  severity: 'error',
  why: 'a credential reused across environments — as `credential` or as a secret passed in a server `env` (`GITHUB_TOKEN: ${GITHUB_TOKEN}`) — lets a test agent act in production (a mistake the seed article names)',
  example: 'servers: { a: { environment: dev, credential: "env:TOKEN" }, b: { environment: prod, credential: "env:TOKEN" } }',
  check(ctx) {
    const out: RuleFinding[] = [];
    const byCred = new Map<string, Array<{ server: string; env: string; pointer: string }>>();
    const add = (cred: string, server: string, env: string, pointer: string): void => {
      const list = byCred.get(cred) ?? [];
      list.push({ server, env, pointer });
      byCred.set(cred, list);
    };
    for (const [server, s] of Object.entries(ctx.policy.servers ?? {})) {
      const env = s.environment ?? '(none)';
      const base = childPointer('/servers', server);
      if (s.credential !== undefined && s.credential !== 'none') add(s.credential, server, env, `${base}/credential`);
      // a secret handed to the server through its environment (`GITHUB_TOKEN: ${GITHUB_TOKEN}`) is a credential too
      for (const [key, value] of Object.entries(s.env ?? {})) {
        const ref = envReference(value);
        if (ref !== undefined && (secretName(key) || secretName(ref.slice(ref.indexOf(':') + 1)))) add(ref, server, env, childPointer(`${base}/env`, key));
      }
    }
    for (const [cred, users] of byCred) {
      if (new Set(users.map((u) => u.env)).size < 2) continue;
      for (const u of users) {
        const others = [...new Set(users.filter((o) => o.env !== u.env).map((o) => `\`${o.server}\` (${o.env})`))].join(', ');
        out.push({ message: `credential \`${cred}\` of server \`${u.server}\` (${u.env}) is also used by ${others}: give each environment its own`, pointer: u.pointer, range: ctx.source.range(u.pointer) });
      }
    }
    return out;
  },
};

/** What a server `env` value refers to, as a credential reference: `${NAME}` and `$NAME` are `env:NAME`; `vault:…` stays. */
function envReference(value: string): string | undefined {
  const v = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  if (v) return `env:${v[1] ?? v[2]!}`;
  return REFERENCE.test(value) && !/^[a-z]+:\/\//i.test(value) ? value : undefined;
}

export const inlineCredential: LintRule = {
  id: 'env/inline-credential',
  severity: 'error',
  why: 'a secret written into the policy is leaked to every reader of the repository; reference it (`env:NAME`)',
  example: 'servers: { pay: { credential: sk_live_51Hx… } }',
  check(ctx) {
    const out: RuleFinding[] = [];
    for (const [server, s] of Object.entries(ctx.policy.servers ?? {})) {
      const base = childPointer('/servers', server);
      if (s.credential !== undefined && s.credential !== 'none' && !REFERENCE.test(s.credential)) {
        out.push({ message: `server \`${server}\` has a credential that is not a reference such as \`env:NAME\`: never write the secret itself`, pointer: `${base}/credential`, range: ctx.source.range(`${base}/credential`) });
      }
      for (const [key, value] of Object.entries(s.env ?? {})) {
        if (!secretName(key) || value === '' || /^\$\{?[A-Za-z_]/.test(value) || REFERENCE.test(value)) continue;
        const pointer = childPointer(`${base}/env`, key);
        out.push({ message: `server \`${server}\` sets \`${key}\` to a literal value: pass secrets by reference (\`env:NAME\` or \`\${NAME}\`)`, pointer, range: ctx.source.range(pointer) });
      }
    }
    return out;
  },
};

function hasEnvironment(policy: Policy, g: Grant): boolean {
  const has = (c: Record<string, ContextConstraint> | undefined): boolean => c !== undefined && Object.prototype.hasOwnProperty.call(c, 'environment');
  if (has(g.context)) return true;
  const names = scopeNames(g.scope);
  const scopes = policy.scopes ?? {};
  return names.some((n) => Object.prototype.hasOwnProperty.call(scopes, n) && has(scopes[n]!.context));
}

/** Whether a grant reaches a production server: by its manifest when known, else any grant may. */
function reachesProd(ctx: LintContext, g: Grant, i: number, prod: readonly string[]): boolean {
  const manifests = prod.map((s) => ctx.serverTools?.[s]);
  if (manifests.some((m) => m === undefined)) return true;
  const names = new Set(manifests.flatMap((m) => m!.tools.map((t) => t.name)));
  return toolEntries(g, `/grants/${i}`).some(({ pattern }) => expandIn(ctx, pattern).some((t) => names.has(t.name)));
}

export const prodWithoutEnvironment: LintRule = {
  id: 'env/prod-grant-without-environment',
  severity: 'warning',
  why: 'when a policy governs a production server, a grant with no `environment` context applies in production too',
  example: 'servers: { db: { environment: prod } }\ngrants: [{ agent_role: dev_agent, tool: run_query }]',
  check(ctx) {
    const prod = Object.entries(ctx.policy.servers ?? {}).filter(([, s]) => isProd(s.environment)).map(([n]) => n);
    if (prod.length === 0) return [];
    const out: RuleFinding[] = [];
    (ctx.policy.grants ?? []).forEach((g, i) => {
      if (hasEnvironment(ctx.policy, g) || !reachesProd(ctx, g, i, prod)) return;
      const pointer = `/grants/${i}/agent_role`;
      out.push({ message: `grant for \`${g.agent_role}\` has no \`environment\` context, so it applies on production server${prod.length > 1 ? 's' : ''} ${prod.map((p) => `\`${p}\``).join(', ')}`, pointer, range: ctx.source.range(pointer) });
    });
    return out;
  },
};
