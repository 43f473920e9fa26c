// `mandate proxy` options: parsed once here for both entry points (the CLI and dist/proxy.js).

import { parseArgs } from 'node:util';
import { basename, extname, join, resolve } from 'node:path';
import { parseDuration } from './auth/duration';

export interface ProxyOptions {
  policyFile: string;
  roles: string[];
  agent?: string;
  server: string;
  context: Record<string, string>;
  auditFile?: string;
  auditFsync: boolean;
  /** approvals never asked through the client (elicitation) */
  noElicitation: boolean;
  pinsDir: string;
  approvalTimeoutMs: number;
  callTimeoutMs: number;
  maxMessageBytes: number;
  /** restarts of a crashed server allowed within a minute (0: never restart) */
  maxRestarts: number;
  runtimeDir?: string;
  /** the server command; empty when the server is reached by URL */
  command: string[];
  /** `--upstream URL`: an MCP server over Streamable HTTP instead of a command */
  upstreamUrl?: string;
  /** `--upstream-key JWKS`: a signing key set to mint the proxy's own short-lived JWT for that server, and its lifetime */
  upstreamKey?: string;
  upstreamTtlSec: number;
  /** whether `--server` named the server (else the policy's server with that URL, or the URL's host and port, names it) */
  serverNamed: boolean;
  cwd: string;
}

export const PROXY_USAGE = 'mandate proxy --policy P --role R [--agent ID] [--server NAME] [--context k=v]… [--audit FILE] [--audit-fsync] '
  + '[--pins-dir DIR] [--runtime-dir DIR] [--approval-timeout MS] [--no-elicitation] [--call-timeout MS] [--max-message-bytes N] [--max-restarts N] (-- <server command…> | --upstream URL [--upstream-key JWKS] [--upstream-ttl 5m])';

/** A bad invocation: one line for the user. */
export class ProxyUsageError extends Error {}

function num(v: string | undefined, flag: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < min) throw new ProxyUsageError(`${flag} expects ${min === 0 ? 'a whole number ≥ 0' : 'a positive whole number'}, got \`${v}\``);
  return n;
}

/** The server's name when `--server` is absent: the script or program name without extension. */
export function defaultServerName(command: readonly string[]): string {
  const interpreters = new Set(['node', 'npx', 'python', 'python3', 'uv', 'uvx', 'deno', 'bun', 'tsx']);
  const first = command[0] ?? 'server';
  const pick = interpreters.has(basename(first)) ? command.find((a, i) => i > 0 && !a.startsWith('-')) ?? first : first;
  return basename(pick, extname(pick)).replace(/[^A-Za-z0-9_.-]/g, '_') || 'server';
}

/**
 * A server reached by URL, when nothing else names it: its host and, when the URL gives one, its port, as a name
 * (`127.0.0.1-3001`). INVARIANT: two local servers on one host are two servers: the name keys the tool pins, and
 * a shared pins file made each server's tools read as the other's drift.
 */
export function hostName(url: string): string {
  const u = new URL(url);
  return `${u.hostname}${u.port ? `-${u.port}` : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_') || 'server';
}

const BOOLEAN = new Set(['--audit-fsync']);

/**
 * Where the server command starts: after `--`, or at the first word that is neither an option nor
 * an option's value (some clients, the MCP Inspector among them, drop a `--` they are given).
 */
function commandStart(argv: readonly string[]): { at: number; skip: number } {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { at: i, skip: 1 };
    if (!a.startsWith('-')) return { at: i, skip: 0 };
    if (!a.includes('=') && !BOOLEAN.has(a)) i++;
  }
  return { at: argv.length, skip: 0 };
}

/** Parse `mandate proxy` arguments (after `--`, or after the last option, comes the server command). */
export function parseProxyArgs(argv: readonly string[], cwd: string): ProxyOptions {
  const split = commandStart(argv);
  const own = argv.slice(0, split.at);
  const command = argv.slice(split.at + split.skip);
  let values;
  try {
    ({ values } = parseArgs({ args: own, strict: true, allowPositionals: false, options: {
      policy: { type: 'string' }, role: { type: 'string', multiple: true }, agent: { type: 'string' }, server: { type: 'string' },
      context: { type: 'string', multiple: true }, audit: { type: 'string' }, 'audit-fsync': { type: 'boolean' }, 'no-elicitation': { type: 'boolean' }, 'pins-dir': { type: 'string' },
      'approval-timeout': { type: 'string' }, 'call-timeout': { type: 'string' }, 'max-message-bytes': { type: 'string' }, 'runtime-dir': { type: 'string' },
      'max-restarts': { type: 'string' }, upstream: { type: 'string' }, 'upstream-key': { type: 'string' }, 'upstream-ttl': { type: 'string' },
    } }));
  } catch (err) {
    throw new ProxyUsageError(`${(err as Error).message.split('\n')[0]}\nusage: ${PROXY_USAGE}`);
  }
  if (!values.policy) throw new ProxyUsageError(`missing --policy\nusage: ${PROXY_USAGE}`);
  const url = values.upstream;
  if (url === undefined && command.length === 0) throw new ProxyUsageError(`missing the server command after \`--\` (or --upstream URL)\nusage: ${PROXY_USAGE}`);
  if (url !== undefined && command.length > 0) throw new ProxyUsageError(`give one server: --upstream URL, or a command after \`--\`, not both\nusage: ${PROXY_USAGE}`);
  // the URL is not echoed whole: its query or user info may hold a key (shownUrl keeps it out of records too)
  if (url !== undefined && !/^https?:\/\/[^/?#]/i.test(url)) throw new ProxyUsageError(`--upstream expects an http:// or https:// URL with a host, got ${/^[a-z][a-z0-9+.-]*:/i.exec(url) ? `a \`${/^[a-z][a-z0-9+.-]*:/i.exec(url)![0]}\` one` : 'no scheme'}`);
  if (url !== undefined && !URL.canParse(url)) throw new ProxyUsageError('--upstream is not a URL a client can reach (check its host and port)');
  if (url === undefined && (values['upstream-key'] !== undefined || values['upstream-ttl'] !== undefined)) throw new ProxyUsageError('--upstream-key and --upstream-ttl are for a server reached by URL (--upstream)');
  let ttl = 300;
  if (values['upstream-ttl'] !== undefined) {
    try {
      ttl = parseDuration(values['upstream-ttl']);
    } catch {
      throw new ProxyUsageError(`--upstream-ttl expects a duration such as 30s, 15m or 1h, got \`${values['upstream-ttl']}\``);
    }
  }
  const context: Record<string, string> = {};
  for (const pair of values.context ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new ProxyUsageError(`--context expects key=value, got \`${pair}\``);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    policyFile: resolve(cwd, values.policy), roles: values.role ?? [], context,
    server: values.server ?? (url !== undefined ? hostName(url) : defaultServerName(command)), serverNamed: values.server !== undefined,
    ...(url !== undefined ? { upstreamUrl: url } : {}),
    ...(values['upstream-key'] !== undefined ? { upstreamKey: resolve(cwd, values['upstream-key']) } : {}), upstreamTtlSec: ttl,
    ...(values.agent !== undefined ? { agent: values.agent } : {}),
    ...(values.audit !== undefined ? { auditFile: resolve(cwd, values.audit) } : {}),
    auditFsync: values['audit-fsync'] === true,
    noElicitation: values['no-elicitation'] === true,
    pinsDir: resolve(cwd, values['pins-dir'] ?? join('.mandate', 'pins')),
    approvalTimeoutMs: num(values['approval-timeout'], '--approval-timeout', 120_000),
    callTimeoutMs: num(values['call-timeout'], '--call-timeout', 120_000),
    maxMessageBytes: num(values['max-message-bytes'], '--max-message-bytes', 4 * 1024 * 1024),
    maxRestarts: num(values['max-restarts'], '--max-restarts', 3, 0),
    ...(values['runtime-dir'] !== undefined ? { runtimeDir: resolve(cwd, values['runtime-dir']) } : {}),
    command, cwd,
  };
}
