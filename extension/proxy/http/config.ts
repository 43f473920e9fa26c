// `mandate proxy --listen …` flags → a checked configuration. Errors are one line for the user.

import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ISSUER, DEFAULTS, KEY_ALGORITHMS, parseDuration } from '../auth';
import { HttpUsageError } from './upstreamChoice';
import { readFailure, readFileBounded } from '../readBounded';

export const HTTP_USAGE = 'mandate proxy --listen HOST:PORT --policy P --jwks FILE|URL (--upstream URL | -- <server command…>) '
  + '[--server NAME] [--issuer ISS] [--audience URI] [--revocations FILE] [--algorithms ES256,…] [--max-token-lifetime 1h] '
  + '[--clock-skew 30s] [--roles-claim roles] [--context k=v]… [--audit FILE] [--audit-fsync] [--pins-dir DIR] [--allow-origin O]… [--allow-host H]… '
  + '[--max-body BYTES] [--max-sessions N] [--max-sessions-per-subject N] [--tls-cert F --tls-key F [--tls-client-ca F]] [--upstream-key JWKS] [--upstream-ttl 5m] '
  + '[--environment ENV] [--call-timeout MS] [--approval-timeout MS] [--max-restarts N] [--runtime-dir DIR] [--no-elicitation]';

/** A bad invocation of the HTTP proxy. */
export { HttpUsageError };

export interface HttpConfig {
  host: string;
  port: number;
  policyFile: string;
  jwks: string;
  issuer: string;
  audience?: string;
  revocations?: string;
  /** the default revocation list did not exist at start: empty until it appears (then required) */
  revocationsOptional?: boolean;
  algorithms: string[];
  maxLifetimeSec: number;
  clockSkewSec: number;
  rolesClaim: string;
  server?: string;
  upstreamUrl?: string;
  command: string[];
  context: Record<string, string>;
  auditFile?: string;
  /** fsync the log after every write (`--audit-fsync`) */
  auditFsync: boolean;
  pinsDir: string;
  /** where sessions' approval channels live (`--runtime-dir`; else $MANDATE_RUNTIME_DIR, else the default) */
  runtimeDir?: string;
  /** approvals never asked through the client (elicitation) */
  noElicitation: boolean;
  allowedOrigins: string[];
  allowedHosts: string[];
  maxBodyBytes: number;
  maxSessions: number;
  maxSessionsPerSubject: number;
  tls?: { cert: Buffer; key: Buffer; clientCa?: Buffer };
  upstreamKey?: string;
  upstreamTtlSec: number;
  environment?: string;
  callTimeoutMs: number;
  approvalTimeoutMs: number;
  /** a session's crashed stdio server is restarted at most this many times in any minute */
  maxRestarts: number;
}

const fail = (m: string): never => { throw new HttpUsageError(m); };

function positive(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  return Number.isInteger(n) && n > 0 ? n : fail(`${flag} expects a positive whole number, got \`${v}\``);
}

function seconds(v: string | undefined, flag: string, fallback: number): number {
  if (v === undefined) return fallback;
  try {
    return parseDuration(v);
  } catch {
    return fail(`${flag} expects a duration such as 30s, 15m or 1h, got \`${v}\``);
  }
}

function readPem(cwd: string, path: string | undefined, flag: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    // a certificate or key is a few KiB: a device (/dev/zero) is refused, a pipe read to 1 MiB (readFileSync never ended)
    return readFileBounded(resolve(cwd, path), 1024 * 1024);
  } catch (err) {
    return fail(`cannot read ${flag} \`${path}\`: ${readFailure(err)}`);
  }
}

/** `HOST:PORT`, `[::1]:PORT` or `PORT` (loopback). */
export function parseListen(v: string): { host: string; port: number } {
  const m = /^(?:(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):)?(\d{1,5})$/.exec(v);
  const port = Number(m?.[3]);
  if (!m || port > 65535) return fail(`--listen expects HOST:PORT (e.g. 127.0.0.1:8931), got \`${v}\``);
  return { host: m[1] ?? m[2] ?? '127.0.0.1', port };
}

const OPTIONS = {
  listen: { type: 'string' }, policy: { type: 'string' }, jwks: { type: 'string' }, upstream: { type: 'string' }, server: { type: 'string' },
  issuer: { type: 'string' }, audience: { type: 'string' }, revocations: { type: 'string' }, algorithms: { type: 'string' },
  'max-token-lifetime': { type: 'string' }, 'clock-skew': { type: 'string' }, 'roles-claim': { type: 'string' }, context: { type: 'string', multiple: true },
  audit: { type: 'string' }, 'pins-dir': { type: 'string' }, 'allow-origin': { type: 'string', multiple: true }, 'allow-host': { type: 'string', multiple: true },
  'max-body': { type: 'string' }, 'max-sessions': { type: 'string' }, 'max-sessions-per-subject': { type: 'string' }, 'tls-cert': { type: 'string' }, 'tls-key': { type: 'string' }, 'tls-client-ca': { type: 'string' },
  'upstream-key': { type: 'string' }, 'upstream-ttl': { type: 'string' }, environment: { type: 'string' }, 'call-timeout': { type: 'string' }, 'approval-timeout': { type: 'string' },
  'max-restarts': { type: 'string' }, 'runtime-dir': { type: 'string' }, 'no-elicitation': { type: 'boolean' }, 'audit-fsync': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>>['values'];

function contextOf(pairs: readonly string[] | undefined): Record<string, string> {
  const context: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) fail(`--context expects key=value, got \`${pair}\``);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return context;
}

function algorithmsOf(v: string | undefined): string[] {
  const algorithms = (v ?? KEY_ALGORITHMS.join(',')).split(',').map((a) => a.trim()).filter(Boolean);
  for (const a of algorithms) if (!(KEY_ALGORITHMS as readonly string[]).includes(a)) fail(`--algorithms: \`${a}\` is not an allowed asymmetric algorithm (${KEY_ALGORITHMS.join(', ')})`);
  return algorithms;
}

function tlsOf(values: Values, cwd: string): HttpConfig['tls'] {
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) fail('--tls-cert and --tls-key go together');
  const cert = readPem(cwd, values['tls-cert'], '--tls-cert');
  const key = readPem(cwd, values['tls-key'], '--tls-key');
  const clientCa = readPem(cwd, values['tls-client-ca'], '--tls-client-ca');
  if (clientCa && !cert) fail('--tls-client-ca needs --tls-cert and --tls-key');
  return cert && key ? { cert, key, ...(clientCa ? { clientCa } : {}) } : undefined;
}

/**
 * The revocation list: --revocations (must be readable), else `revoked.json` next to a JWKS file — used
 * whether or not it exists yet: `mandate token revoke` creates it there, and a running proxy must see that.
 */
function revocationsOf(values: Values, jwks: string, cwd: string): { revocations?: string; revocationsOptional?: boolean } {
  if (values.revocations !== undefined) return { revocations: resolve(cwd, values.revocations) };
  if (jwks.startsWith('http')) return {};
  const sibling = join(dirname(jwks), 'revoked.json');
  return { revocations: sibling, ...(existsSync(sibling) ? {} : { revocationsOptional: true }) };
}

/** Parse and check the HTTP proxy's flags (everything after `--` is a stdio server command). */
export function parseHttpArgs(argv: readonly string[], cwd: string): HttpConfig {
  const dash = argv.indexOf('--');
  const command = dash === -1 ? [] : argv.slice(dash + 1);
  let values: Values;
  try {
    ({ values } = parseArgs({ args: dash === -1 ? [...argv] : argv.slice(0, dash), strict: true, allowPositionals: false, options: OPTIONS }));
  } catch (err) {
    return fail(`${(err as Error).message.split('\n')[0]}\nusage: ${HTTP_USAGE}`);
  }
  const { host, port } = parseListen(values.listen ?? fail(`missing --listen\nusage: ${HTTP_USAGE}`));
  const policyFile = resolve(cwd, values.policy ?? fail(`missing --policy\nusage: ${HTTP_USAGE}`));
  const jwksArg = values.jwks ?? fail('missing --jwks: the HTTP proxy never runs without token verification');
  const jwks = /^https?:\/\//i.test(jwksArg) ? jwksArg : resolve(cwd, jwksArg);
  if ((values.upstream === undefined) === (command.length === 0)) fail(`give exactly one upstream: --upstream URL, or a server command after \`--\`\nusage: ${HTTP_USAGE}`);
  if (values.upstream !== undefined && !/^https?:\/\//.test(values.upstream)) fail(`--upstream expects an http(s) URL, got \`${values.upstream}\``);
  const revocation = revocationsOf(values, jwks, cwd);
  const tls = tlsOf(values, cwd);
  return {
    host, port, policyFile, jwks, issuer: values.issuer ?? DEFAULT_ISSUER, algorithms: algorithmsOf(values.algorithms), context: contextOf(values.context), command,
    ...(values.audience !== undefined ? { audience: values.audience } : {}),
    ...revocation,
    maxLifetimeSec: seconds(values['max-token-lifetime'], '--max-token-lifetime', DEFAULTS.maxLifetimeSec),
    clockSkewSec: seconds(values['clock-skew'], '--clock-skew', DEFAULTS.clockSkewSec),
    rolesClaim: values['roles-claim'] ?? DEFAULTS.rolesClaim,
    ...(values.server !== undefined ? { server: values.server } : {}),
    ...(values.upstream !== undefined ? { upstreamUrl: values.upstream } : {}),
    ...(values.audit !== undefined ? { auditFile: resolve(cwd, values.audit) } : {}),
    pinsDir: resolve(cwd, values['pins-dir'] ?? join('.mandate', 'pins')),
    ...(values['runtime-dir'] !== undefined ? { runtimeDir: resolve(cwd, values['runtime-dir']) } : {}),
    noElicitation: values['no-elicitation'] === true,
    auditFsync: values['audit-fsync'] === true,
    allowedOrigins: values['allow-origin'] ?? [], allowedHosts: values['allow-host'] ?? [],
    maxBodyBytes: positive(values['max-body'], '--max-body', 1024 * 1024),
    maxSessions: positive(values['max-sessions'], '--max-sessions', 64),
    maxSessionsPerSubject: positive(values['max-sessions-per-subject'], '--max-sessions-per-subject', 8),
    ...(tls ? { tls } : {}),
    ...(values['upstream-key'] !== undefined ? { upstreamKey: resolve(cwd, values['upstream-key']) } : {}),
    upstreamTtlSec: seconds(values['upstream-ttl'], '--upstream-ttl', 300),
    ...(values.environment !== undefined ? { environment: values.environment } : {}),
    callTimeoutMs: positive(values['call-timeout'], '--call-timeout', 120_000),
    approvalTimeoutMs: positive(values['approval-timeout'], '--approval-timeout', 120_000),
    maxRestarts: values['max-restarts'] === '0' ? 0 : positive(values['max-restarts'], '--max-restarts', 3),
  };
}
