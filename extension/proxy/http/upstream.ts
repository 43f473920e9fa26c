// The upstream side of one HTTP session: an MCP server over Streamable HTTP, reached with the
// proxy's OWN credential, or a stdio server process spawned for the session.

import { StreamableHTTPClientTransport, StreamableHTTPError } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { Writable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { MAX_DEPTH, valueDeeperThan } from '../framing';
import { UpstreamProcess, type Upstream, type UpstreamEvents } from '../upstream';
import { shownUrl, type UpstreamSpec } from './upstreamChoice';

export { HttpUsageError, shownUrl, upstreamOf, type UpstreamAuth, type UpstreamChoice, type UpstreamSpec } from './upstreamChoice';

/**
 * What an upstream link's error says, for a record, the operator's log and the client: its first line, at most
 * `max` characters — the transport quotes a failing server's whole answer (an error page of any length, up to the
 * message bound), which would otherwise be copied into every call it fails.
 */
export function linkError(err: unknown, max = 300): string {
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
  // fetch says only "fetch failed": why (connect ECONNREFUSED host:port, a name that does not resolve) is its cause
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause.message.split('\n')[0]! : '';
  const line = cause !== '' && !first.includes(cause) ? `${first} (${cause})` : first;
  return line.length > max ? `${line.slice(0, max)}… (${line.length} characters)` : line;
}

/** How often the server's own message stream (GET) may be opened: the first time at once, then at most once a second. */
const GET_EVERY_MS = 1000;

/** The headers a client's request must never carry upstream (the MCP spec forbids token passthrough). */
const STRIPPED = new Set(['authorization', 'cookie', 'proxy-authorization']);

/**
 * A fetch that presents the proxy's credential. It builds the headers from the SDK transport's own
 * request only; nothing of the client's HTTP request is in scope here.
 * INVARIANT: the Authorization header upstream is always the proxy's, never a client's token.
 */
export function credentialFetch(spec: Extract<UpstreamSpec, { kind: 'http' }>, bound?: MessageBound): (url: string | URL, init?: RequestInit) => Promise<Response> {
  let nextGet = 0;
  return async (url, init) => {
    // INVARIANT: the server's stream of its own messages (GET) is opened at most once every GET_EVERY_MS. The SDK opens
    // it again each time it ends, after the delay the server names: `retry: 0` on a stream that ends at once had the
    // proxy sending GETs in a tight loop for as long as the session lived.
    if (init?.method === 'GET') {
      const now = Date.now();
      const wait = nextGet - now;
      nextGet = Math.max(nextGet, now) + GET_EVERY_MS;
      if (wait > 0) await delay(wait, undefined, init.signal ? { signal: init.signal } : {});
    }
    const headers = new Headers(init?.headers);
    for (const h of [...headers.keys()]) if (STRIPPED.has(h.toLowerCase())) headers.delete(h);
    const a = spec.auth;
    if (a.kind === 'static') headers.set('authorization', `Bearer ${a.token}`);
    if (a.kind === 'minted') headers.set('authorization', `Bearer ${await a.credentials.tokenFor({ server: spec.server, url: spec.url, environment: a.environment })}`);
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    return bound ? bounded(res, bound, init?.method === 'POST') : res;
  };
}

/** How long one message from an HTTP upstream may be, and who hears of one that is longer — or of an answer cut off. */
export interface MessageBound {
  maxBytes: number;
  /** the flag that sets the bound, for the message (`--max-message-bytes`) */
  flag?: string;
  onOversize?: (why: string) => void;
  /**
   * The event stream a POST is being answered on broke off (the server stopped, the connection dropped): the
   * answers it was to carry will not come. The SDK transport only reports this through `onerror`, so without it
   * a call in flight would wait out its deadline on a link that is gone.
   */
  onBroken?: (why: string) => void;
}

/**
 * The response with its body cut off — an error for whoever reads it — once one message is longer than
 * `maxBytes`: a JSON answer as a whole, an event stream event by event (the bytes since the last blank line).
 * The stdio framing bounds a server's lines the same way; without this, one answer could fill the proxy's memory.
 */
export function bounded(res: Response, bound: MessageBound, answers = false): Response {
  if (!res.body) return res;
  // INVARIANT: bounded event by event only what the transport reads as a stream: a success of that media type (before any `;`),
  // as the SDK takes it — `application/json; x=text/event-stream` is JSON, read whole, and blank lines in it end nothing
  // (an error answer is read whole as text, whatever its type)
  const sse = res.ok && (res.headers.get('content-type') ?? '').split(';', 1)[0]!.trim().toLowerCase() === 'text/event-stream';
  // a POST's answers come on this stream: its breaking off is told (not its being cancelled by its reader, nor cut here)
  const onBroken = sse && answers ? bound.onBroken : undefined;
  const reader = res.body.getReader();
  let run = 0;
  let line = 0;
  let prev = 0;
  let cancelled = false;
  // one stream pulling from the body, not a TransformStream piped onto it: three web streams and a pipe fewer per
  // answer (~60–80 µs each here on Node 20, where every web stream is made transferable)
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (cancelled) return;
        onBroken?.(`the server's answer broke off (${(err as Error).message.split('\n')[0]})`);
        return ctl.error(err);
      }
      if (cancelled) return; // (an oversized message, or the link closed: whoever cancelled has said why)
      if (chunk.done) return ctl.close();
      const bytes = chunk.value;
      if (!sse) run += bytes.length;
      else {
        for (const b of bytes) {
          if (b === 0x0a && prev === 0x0d) { prev = b; continue; } // CRLF: one line end
          prev = b;
          if (b === 0x0a || b === 0x0d) {
            if (line === 0) run = 0; // a blank line ends an event
            line = 0;
          } else {
            line++;
            run++;
          }
          if (run > bound.maxBytes) break;
        }
      }
      if (run > bound.maxBytes) {
        const why = `the server sent a message over ${bound.maxBytes} bytes (${bound.flag ?? '--max-message-bytes'})`;
        cancelled = true;
        reader.cancel(why).catch(() => undefined);
        bound.onOversize?.(why);
        return ctl.error(new Error(why));
      }
      ctl.enqueue(bytes);
    },
    cancel: (reason) => {
      cancelled = true;
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
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
  /** why the process ended (`exited with code 3`, `could not start …`), once it has */
  exitReason: string | undefined;

  constructor(private readonly spec: Extract<UpstreamSpec, { kind: 'stdio' }>, private readonly stderr: Writable, private readonly maxBytes: number) {}

  async start(): Promise<void> {
    // INVARIANT: the server sees a minimal environment plus its policy entry's `env`, not the proxy's secrets
    const env = { ...getDefaultEnvironment(), ...(this.spec.env ?? {}) };
    this.proc = new UpstreamProcess(this.spec.command, env, this.stderr, {
      onMessage: (m) => this.onmessage?.(m),
      onExit: (why) => {
        this.exitReason = why;
        this.onclose?.();
      },
      onBadFrame: (why, kind) => this.onerror?.(Object.assign(new Error(`bad message from the server: ${why}`), { frame: kind })),
    }, this.maxBytes, this.spec.cwd);
  }

  async send(m: JSONRPCMessage): Promise<void> {
    if (!this.proc?.running) throw new Error('the server process is not running');
    this.proc.send(m);
  }

  async close(): Promise<void> {
    await this.proc?.stop(500);
  }
}

/**
 * An MCP server over Streamable HTTP as the stdio proxy's upstream (a local client guarding a server it reaches
 * by URL), with the proxy's own credential. It is one upstream MCP session: a message that cannot be delivered
 * (server down, session gone, an HTTP error) ends it as a crash ends a process — the proxy then connects anew
 * and gives the server the client's `initialize` again.
 */
export class HttpUpstream implements Upstream {
  private readonly t: StreamableHTTPClientTransport;
  private ended = false;
  /** why an answer was cut off: the reason the link ends, rather than the transport's failure that follows from it */
  private oversize: string | undefined;

  constructor(private readonly spec: Extract<UpstreamSpec, { kind: 'http' }>, private readonly ev: UpstreamEvents, maxBytes: number) {
    // an oversized message ends the link at once (an event stream's reader would only report it, and the call would wait out its deadline);
    // so does an answer's event stream that breaks off: the server went away with calls in flight, as a process that crashes
    const bound = { maxBytes, onOversize: (why: string) => { this.oversize ??= why; setImmediate(() => this.end(why)); }, onBroken: (why: string) => this.end(`${shownUrl(spec.url)}: ${why}`) };
    this.t = new StreamableHTTPClientTransport(new URL(spec.url), { fetch: credentialFetch(spec, bound), redirectPolicy: 'same-origin' });
    this.t.onmessage = (m) => {
      if (this.ended) return; // the last words of a session already given up
      noteProtocolVersion(this.t, m);
      // the transport hands over parsed values: the depth bound the stdio framing applies to text, applied here
      if (valueDeeperThan(m, MAX_DEPTH)) return ev.onBadFrame(`nested deeper than ${MAX_DEPTH} levels`);
      ev.onMessage(m);
    };
    // the transport reports a failed send here too, just before the send rejects (which ends the link and says why):
    // what is still worth saying a moment later is a stream's trouble, not that
    this.t.onerror = (e) => setImmediate(() => { if (!this.ended) ev.onNote?.(linkError(e)); });
    this.t.onclose = () => this.end('the connection closed');
    void this.t.start(); // sets up only; nothing is sent before the client's first message
  }

  get running(): boolean {
    return !this.ended;
  }

  get label(): string {
    return shownUrl(this.spec.url);
  }

  send(msg: JSONRPCMessage): void {
    if (this.ended) return;
    this.t.send(msg).catch((err: unknown) => this.end(this.oversize ?? `${shownUrl(this.spec.url)}: ${upstreamFailure(err)}`));
  }

  kill(): void {
    this.end('stopped by the proxy');
  }

  /** End the upstream MCP session (DELETE, waited for at most `graceMs`), then close. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.ended) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((r) => { timer = setTimeout(r, graceMs); });
    if (this.t.sessionId !== undefined) await Promise.race([this.t.terminateSession().catch(() => undefined), late]);
    clearTimeout(timer);
    this.end('stopped by the proxy');
  }

  private end(why: string): void {
    if (this.ended) return;
    this.ended = true;
    endServerSession(this.t, this.spec); // the server keeps a session it was not told is over
    this.t.close().catch(() => undefined); // aborts its open streams; its onclose finds the link ended
    this.ev.onExit(why);
  }
}

/** One line for why a message could not be delivered upstream: the SDK's text, with the HTTP status it keeps aside. */
export function upstreamFailure(err: unknown): string {
  const text = linkError(err);
  const status = err instanceof StreamableHTTPError && typeof err.code === 'number' && err.code > 0 ? err.code : undefined;
  return status !== undefined && !text.includes(String(status)) ? `HTTP ${status}: ${text}` : text;
}

/**
 * Tell an HTTP server that the proxy is done with the upstream session `t` holds (DELETE, not waited for, given up
 * after 5 s), before the link is closed: a session dropped for a new one, or ended with its client's, would
 * otherwise live on in the server. Nothing for a link without a session, or a stdio one.
 */
export function endServerSession(t: Transport, spec: UpstreamSpec): void {
  if (spec.kind !== 'http' || !(t instanceof StreamableHTTPClientTransport) || t.sessionId === undefined) return;
  const headers: Record<string, string> = { 'mcp-session-id': t.sessionId, ...(t.protocolVersion !== undefined ? { 'mcp-protocol-version': t.protocolVersion } : {}) };
  credentialFetch(spec)(spec.url, { method: 'DELETE', headers, signal: AbortSignal.timeout(5000) })
    .then((res) => res.body?.cancel(), () => undefined).catch(() => undefined);
}

/**
 * A fresh upstream transport for one client session (not started). `onLost`: an HTTP upstream's oversized message,
 * or an answer's event stream that broke off — which the SDK transport only reports through `onerror`, leaving the
 * calls they were to answer waiting out their deadline — is the link's loss.
 */
export function upstreamTransport(spec: UpstreamSpec, stderr: Writable, maxBytes: number, onLost?: (why: string) => void): Transport {
  if (spec.kind === 'http') {
    const bound: MessageBound = { maxBytes, flag: '--max-body', ...(onLost ? { onOversize: onLost, onBroken: (why: string) => onLost(`${shownUrl(spec.url)}: ${why}`) } : {}) };
    return new StreamableHTTPClientTransport(new URL(spec.url), { fetch: credentialFetch(spec, bound), redirectPolicy: 'same-origin' });
  }
  if (spec.command.length === 0) throw new TypeError('empty upstream command');
  return new StdioUpstream(spec, stderr, maxBytes);
}

/** Tell an HTTP upstream transport the negotiated protocol version (it sends it as a header). */
export function noteProtocolVersion(t: Transport, msg: unknown): void {
  const r = (msg as { result?: { protocolVersion?: unknown; serverInfo?: unknown } }).result;
  if (t instanceof StreamableHTTPClientTransport && r && typeof r.protocolVersion === 'string' && r.serverInfo !== undefined) t.setProtocolVersion(r.protocolVersion);
}
