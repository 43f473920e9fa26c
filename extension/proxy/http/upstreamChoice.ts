// Which server a proxy guards, as the policy names it, and how it reaches it: the choice both proxies make at start
// (a command and its policy `env`, or a URL with its name and credential), and how an upstream URL is shown. Light on
// purpose: every stdio proxy loads it, while the HTTP link (the SDK client) and minting (jose) load only when used.

import { resolveEnvRefs, type ServerDef } from '../../../policies';
import type { UpstreamCredentials } from '../auth';
import { defaultServerName, hostName } from '../options';
import { isLoopback } from './request';

/** A bad invocation of an HTTP-facing option: one line for the user. */
export class HttpUsageError extends Error {}

/**
 * An upstream URL as records and logs show it: without user info, query or fragment (`?…` marks a query) — hosted
 * MCP servers take API keys there, and an audit log is read, exported and shown far more widely than a secret may go.
 */
export function shownUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const u = new URL(url);
  const query = u.search !== '';
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  return `${u.href}${query ? '?…' : ''}`;
}

/** How the proxy proves itself to an upstream HTTP server. */
export type UpstreamAuth =
  | { kind: 'none' }
  /** a static secret from the policy's `credential: env:NAME` (per server and environment) */
  | { kind: 'static'; token: string }
  /** a short-lived JWT minted by the proxy per server and environment */
  | { kind: 'minted'; credentials: UpstreamCredentials; environment: string };

export type UpstreamSpec =
  | { kind: 'http'; url: string; server: string; auth: UpstreamAuth }
  | { kind: 'stdio'; command: string[]; server: string; env?: Record<string, string>; cwd?: string };

/** What picks the upstream: the flags both proxies share (`--upstream`, `--server`, `--environment`, `--upstream-key`). */
export interface UpstreamChoice {
  server?: string;
  upstreamUrl?: string;
  /** the server command (stdio upstream) */
  command: string[];
  environment?: string;
  /** the context the operator's `--context` gives calls (its `environment` is held to the server's declared one) */
  context?: Readonly<Record<string, string>>;
  upstreamKey?: string;
  upstreamTtlSec: number;
}

/** Which policy `servers` entry the upstream is, and the spec to reach it. */
export async function upstreamOf(cfg: UpstreamChoice, servers: Record<string, ServerDef> | undefined, env: NodeJS.ProcessEnv, now: () => number, log: (line: string) => void): Promise<{ spec: UpstreamSpec; environment: string; declared?: string; context: Record<string, string> }> {
  const byUrl = cfg.upstreamUrl !== undefined ? Object.entries(servers ?? {}).find(([, d]) => d.url === cfg.upstreamUrl)?.[0] : undefined;
  const name = cfg.server ?? byUrl ?? (cfg.upstreamUrl !== undefined ? hostName(cfg.upstreamUrl) : defaultServerName(cfg.command));
  const def = servers && Object.prototype.hasOwnProperty.call(servers, name) ? servers[name] : undefined;
  // INVARIANT: a server the policy declares in an environment is governed in that one: a proxy told another (a dev
  // context in front of the prod server) would decide its calls by the other environment's grants and present that
  // environment's credentials — the seed article's "credentials reused across environments"
  const declared = def?.environment;
  const contextEnvironment = cfg.context?.['environment'];
  for (const [flag, given] of [['--context environment', contextEnvironment], ['--environment', cfg.environment]] as const) {
    if (declared !== undefined && given !== undefined && given !== declared) {
      throw new HttpUsageError(`server \`${name}\` is declared \`environment: ${declared}\` in the policy, but the proxy was given ${flag}=${given}: its calls would be decided by another environment's grants (drop the flag: the proxy takes the server's own)`);
    }
  }
  const environment = cfg.environment ?? def?.environment ?? 'default';
  // the calls' context: the server's declared environment when --context gives none (the editor's guarded servers give none)
  const context = declared !== undefined && contextEnvironment === undefined ? { ...cfg.context, environment: declared } : { ...cfg.context };
  const withDeclared = <T extends object>(o: T): T & { declared?: string; context: Record<string, string> } => ({ ...o, ...(declared !== undefined ? { declared } : {}), context });
  if (cfg.upstreamUrl === undefined) {
    // the policy names the server's secrets by reference (`${NAME}`); their values come from the proxy's environment
    const resolved = def?.env ? resolveEnvRefs(def.env, env) : undefined;
    if (resolved && resolved.missing.length > 0) log(`mandate proxy: server \`${name}\` env refers to variables that are not set, left out: ${resolved.missing.join(', ')}`);
    return withDeclared({ spec: { kind: 'stdio', command: cfg.command, server: name, ...(resolved ? { env: resolved.env } : {}) }, environment });
  }
  const spec: UpstreamSpec = { kind: 'http', url: cfg.upstreamUrl, server: name, auth: await upstreamAuth(cfg, def, environment, env, now) };
  const url = new URL(spec.url);
  // INVARIANT: a credential the policy gives a server by URL goes to that URL's origin only (`--server NAME
  // --upstream elsewhere` would hand it to another host)
  if (spec.auth.kind === 'static' && def?.url !== undefined && URL.canParse(def.url) && new URL(def.url).origin !== url.origin) {
    throw new HttpUsageError(`the credential of \`${spec.server}\` is for ${new URL(def.url).origin}, not ${url.origin} (--upstream): give the URL its policy entry names, or another --server`);
  }
  // INVARIANT: the upstream credential never travels in cleartext beyond this machine
  if (spec.auth.kind !== 'none' && url.protocol === 'http:' && !isLoopback(url.hostname)) {
    throw new HttpUsageError(`refusing to send the credential of \`${spec.server}\` over cleartext http to \`${url.host}\`: use https (plain http is for loopback upstreams only)`);
  }
  return withDeclared({ spec, environment });
}

/** The proxy's own credential for an HTTP upstream: the policy's `credential: env:NAME`, else a minted JWT. */
async function upstreamAuth(cfg: UpstreamChoice, def: ServerDef | undefined, environment: string, env: NodeJS.ProcessEnv, now: () => number): Promise<UpstreamAuth> {
  const cred = def?.credential;
  if (cred !== undefined) {
    const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(cred);
    if (!m) throw new HttpUsageError(`server credential \`${cred}\` must be env:NAME`);
    const token = env[m[1]!];
    // INVARIANT: a configured credential that is missing stops the proxy; it never falls back to none
    if (token === undefined || token === '') throw new HttpUsageError(`the upstream credential \`${cred}\` is not set in the environment`);
    return { kind: 'static', token };
  }
  if (cfg.upstreamKey === undefined) return { kind: 'none' };
  // jose is loaded only for a proxy that mints: every stdio proxy starts with this module
  const { KeyFileError, readJwksFile, signingKey, UpstreamCredentials } = await import('../auth');
  try {
    const key = signingKey(readJwksFile(cfg.upstreamKey), cfg.upstreamKey);
    return { kind: 'minted', environment, credentials: new UpstreamCredentials({ key, issuer: 'urn:mandate:proxy', subject: `mandate-proxy:${environment}`, ttlSec: cfg.upstreamTtlSec, now }) };
  } catch (err) {
    if (err instanceof KeyFileError) throw new HttpUsageError(err.message);
    throw err;
  }
}
