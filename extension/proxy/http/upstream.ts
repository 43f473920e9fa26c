// The upstream side of one HTTP session: an MCP server over Streamable HTTP, reached with the
// proxy's OWN credential, or a stdio server process spawned for the session.

import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Writable } from 'node:stream';
import type { UpstreamCredentials } from '../auth';
import { UpstreamProcess } from '../upstream';

/** How the proxy proves itself to an upstream HTTP server. */
export type UpstreamAuth =
  | { kind: 'none' }
  /** a static secret from the policy's `credential: env:NAME` (per server and environment) */
  | { kind: 'static'; token: string }
  /** a short-lived JWT minted by the proxy per server and environment */
  | { kind: 'minted'; credentials: UpstreamCredentials; environment: string };

export type UpstreamSpec =
  | { kind: 'http'; url: string; server: string; auth: UpstreamAuth }
  | { kind: 'stdio'; command: string[]; server: string; env?: Record<string, string> };

/** The headers a client's request must never carry upstream (the MCP spec forbids token passthrough). */
const STRIPPED = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * A fetch that presents the proxy's credential. It builds the headers from the SDK transport's own
 * request only; nothing of the client's HTTP request is in scope here.
 * INVARIANT: the Authorization header upstream is always the proxy's, never a client's token.
 */
export function credentialFetch(spec: Extract<UpstreamSpec, { kind: 'http' }>): (url: string | URL, init?: RequestInit) => Promise<Response> {
  return async (url, init) => {
    const headers = new Headers(init?.headers);
    for (const h of [...headers.keys()]) if (STRIPPED.has(h.toLowerCase())) headers.delete(h);
    const a = spec.auth;
    if (a.kind === 'static') headers.set('authorization', `Bearer ${a.token}`);
    if (a.kind === 'minted') headers.set('authorization', `Bearer ${await a.credentials.tokenFor({ server: spec.server, url: spec.url, environment: a.environment })}`);
    return fetch(url, { ...init, headers, redirect: 'manual' });
  };
}

/**
 * A stdio server as an SDK-style Transport, on the stdio proxy's own UpstreamProcess (framing,
 * termination on every exit path). The process is spawned by `start()`, one per client session.
 */
export class StdioUpstream implements Transport {
  onmessage?: (m: JSONRPCMessage) => void;
  onclose?: () => void;
  onerror?: (e: Error) => void;
  private proc: UpstreamProcess | undefined;

  constructor(private readonly spec: Extract<UpstreamSpec, { kind: 'stdio' }>, private readonly stderr: Writable, private readonly maxBytes: number) {}

  async start(): Promise<void> {
    // INVARIANT: the server sees a minimal environment plus its policy entry's `env`, not the proxy's secrets
    const env = { ...getDefaultEnvironment(), ...(this.spec.env ?? {}) };
    this.proc = new UpstreamProcess(this.spec.command, env, this.stderr, {
      onMessage: (m) => this.onmessage?.(m),
      onExit: () => this.onclose?.(),
      onBadFrame: (why) => this.onerror?.(new Error(`bad message from the server: ${why}`)),
    }, this.maxBytes);
  }

  async send(m: JSONRPCMessage): Promise<void> {
    if (!this.proc?.running) throw new Error('the server process is not running');
    this.proc.send(m);
  }

  async close(): Promise<void> {
    await this.proc?.stop(500);
  }
}

/** A fresh upstream transport for one client session (not started). */
export function upstreamTransport(spec: UpstreamSpec, stderr: Writable, maxBytes: number): Transport {
  if (spec.kind === 'http') {
    return new StreamableHTTPClientTransport(new URL(spec.url), { fetch: credentialFetch(spec), redirectPolicy: 'same-origin' });
  }
  if (spec.command.length === 0) throw new TypeError('empty upstream command');
  return new StdioUpstream(spec, stderr, maxBytes);
}

/** Tell an HTTP upstream transport the negotiated protocol version (it sends it as a header). */
export function noteProtocolVersion(t: Transport, msg: unknown): void {
  const r = (msg as { result?: { protocolVersion?: unknown; serverInfo?: unknown } }).result;
  if (t instanceof StreamableHTTPClientTransport && r && typeof r.protocolVersion === 'string' && r.serverInfo !== undefined) t.setProtocolVersion(r.protocolVersion);
}
