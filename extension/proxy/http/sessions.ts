// One HTTP client session = the SDK's Streamable HTTP server transport (downstream) + the shared
// guard core + its own upstream (HTTP or a spawned stdio server), bound to one token subject.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { openApprovalChannel, type ApprovalChannel } from '../approvalChannel';
import { ApprovalBroker } from '../approvals';
import type { AuditLog } from '../auditLog';
import { idKey, MAX_DEPTH, valueDeeperThan, type RpcId } from '../framing';
import { Guard } from '../guard';
import { randomHex } from '../hash';
import type { PinStore } from '../pins';
import type { PolicyState } from '../policyState';
import { RPC, type Identity } from '../types';
import { Restarts } from '../upstream';
import { sendJson } from './answers';
import { endServerSession, linkError, noteProtocolVersion, upstreamFailure, upstreamTransport, type UpstreamSpec } from './upstream';


/** How many calls' tokens a session remembers (a call still waiting for a human beyond that many later calls fails closed). */
const MAX_CALL_TOKENS = 1000;

export interface SessionDeps {
  policy: PolicyState;
  audit: AuditLog;
  pins?: PinStore;
  upstream: UpstreamSpec;
  context: Readonly<Record<string, unknown>>;
  now: () => number;
  callTimeoutMs: number;
  approvalTimeoutMs: number;
  /** a session with no request for this long is closed */
  idleMs: number;
  maxBodyBytes: number;
  log: (line: string) => void;
  /** where a stdio server's stderr goes */
  stderr: Writable;
  /** folder of the approval channels (`mandate approve`); none when undefined */
  runtimeDir?: string;
  /** approvals never asked through the client (`--no-elicitation`) */
  noElicitation?: boolean;
  /** a crashed stdio server is restarted at most this many times in any minute (default 3; 0: never) */
  maxRestarts?: number;
}

/** A live session. INVARIANT: `principal` never changes; requests from another subject are refused. */
export class HttpSession {
  /** 128 random bits, hex: unguessable, and the form approval ids (`<session>-<n>`) expect */
  readonly id = randomHex(16);
  readonly transport: StreamableHTTPServerTransport;
  readonly guard: Guard;
  readonly approvals: ApprovalBroker;
  private upstream: Transport;
  /** when its upstream, lost, is started again */
  private readonly restarts: Restarts;
  /** upstream links whose loss has been handled */
  private readonly failed = new WeakSet<Transport>();
  private idle: NodeJS.Timeout | undefined;
  private channel: ApprovalChannel | undefined;
  private closed = false;
  /** the client's initialize while it waits for its answer */
  private initId: string | number | undefined;
  /** token ids seen in this session (an accepted new jti is audited once) */
  readonly jtis = new Set<string>();

  /** the token (id, expiry) each call came with, for `credentialStill` when a human approves it (bounded, oldest out) */
  private readonly callTokens = new Map<string, { jti: string; exp: number }>();

  /** `credentialStill`: why a token accepted earlier no longer holds (TokenVerifier.stillValid), if it does not */
  constructor(readonly identity: Identity, private readonly deps: SessionDeps, private readonly onClosed: (s: HttpSession) => void,
    private readonly credentialStill?: (jti: string, exp: number) => Promise<string | undefined>) {
    this.transport = new StreamableHTTPServerTransport({ sessionIdGenerator: () => this.id, maxRequestBodySize: deps.maxBodyBytes });
    this.upstream = this.link();
    const server = deps.upstream.server;
    this.restarts = new Restarts({
      http: deps.upstream.kind === 'http', maxRestarts: deps.maxRestarts ?? 3, run: () => { void this.restart(); },
      refused: (why) => {
        this.guard.record({ kind: 'session', detail: { event: 'upstream_not_restarted', why } });
        deps.log(`mandate proxy: session ${this.id}: upstream \`${server}\` is not restarted (${why}); its calls fail closed`);
      },
      unreachable: (tries) => deps.log(`mandate proxy: session ${this.id}: upstream \`${server}\` unreachable after ${tries} tries; the next call tries again`),
    });
    this.approvals = new ApprovalBroker(this.id, deps.approvalTimeoutMs, deps.now);
    this.guard = new Guard({
      session: this.id, server: deps.upstream.server, identity, context: deps.context, policy: deps.policy.view(), audit: deps.audit,
      ...(deps.pins ? { pins: deps.pins } : {}), ...(deps.noElicitation ? { noElicitation: true } : {}), approvals: this.approvals, now: deps.now, callTimeoutMs: deps.callTimeoutMs, log: deps.log,
      toClient: (m, related) => this.toClient(m, related),
      toUpstream: (m) => this.toUpstream(m),
      ...(deps.upstream.kind === 'http' ? { upstreamWanted: () => this.reconnectOnDemand() } : {}),
      ...(credentialStill ? { callAuthority: (id: RpcId) => this.callAuthority(id) } : {}),
    });
    this.transport.onmessage = (m, extra) => {
      this.noteToken(m, extra?.authInfo);
      const asked = m as { id?: unknown; method?: unknown };
      if (asked.method === 'initialize' && (typeof asked.id === 'string' || typeof asked.id === 'number')) this.initId = asked.id;
      // the SDK transport hands over parsed values: the depth bound the stdio framing applies to text, applied here
      if (!valueDeeperThan(m, MAX_DEPTH)) return this.guard.fromClient(m);
      const id = (m as { id?: unknown }).id;
      this.guard.record({ kind: 'error', error: { code: 'jsonrpc_invalid', message: `nested deeper than ${MAX_DEPTH} levels` } });
      if (typeof id === 'string' || typeof id === 'number') this.toClient({ jsonrpc: '2.0', id, error: { code: RPC.invalidRequest, message: `nested deeper than ${MAX_DEPTH} levels` } });
    };
    this.transport.onclose = () => { void this.close('client closed the session'); };
    this.wire(this.upstream);
  }

  /** Remember the token a call came with (the listener puts its id and expiry on the request it verified). */
  private noteToken(m: JSONRPCMessage, auth: AuthInfo | undefined): void {
    const msg = m as { id?: unknown; method?: unknown };
    if (!this.credentialStill || msg.method !== 'tools/call' || (typeof msg.id !== 'string' && typeof msg.id !== 'number')) return;
    const jti = auth?.extra?.['jti'];
    if (typeof jti !== 'string' || auth?.expiresAt === undefined) return;
    // INVARIANT: a call's token is the one it came with: a request reusing the id of a call still in flight (the guard
    // refuses it) never takes the waiting call's place here, or a yes to that call would be checked against its token
    if (this.guard.inFlight(msg.id)) return;
    this.callTokens.set(idKey(msg.id), { jti, exp: auth.expiresAt });
    if (this.callTokens.size > MAX_CALL_TOKENS) this.callTokens.delete(this.callTokens.keys().next().value!);
  }

  /** Why the token that made call `id` no longer holds, if it does not (a call whose token is not known: fails closed). */
  private async callAuthority(id: RpcId): Promise<string | undefined> {
    const t = this.callTokens.get(idKey(id));
    if (!t) return 'the token that made the call is no longer known to the proxy';
    try {
      return await this.credentialStill!(t.jti, t.exp);
    } catch (err) {
      return `the token that made the call cannot be checked (${(err as Error).message.split('\n')[0]})`;
    }
  }

  /** A new upstream transport; an HTTP one's oversized message or broken answer stream is its loss (off the stream's own callback). */
  private link(): Transport {
    const t: Transport = upstreamTransport(this.deps.upstream, this.deps.stderr, this.deps.maxBodyBytes, (why) => setImmediate(() => this.lost(t, why)));
    return t;
  }

  private wire(upstream: Transport): void {
    const { deps } = this;
    upstream.onmessage = (m) => {
      if (upstream !== this.upstream) return; // a replaced server's last words
      noteProtocolVersion(upstream, m);
      if (!valueDeeperThan(m, MAX_DEPTH)) return this.guard.fromUpstream(m);
      deps.log(`mandate proxy: upstream \`${deps.upstream.server}\` sent a message nested deeper than ${MAX_DEPTH} levels; dropped`);
    };
    upstream.onclose = () => this.lost(upstream, 'the upstream connection closed');
    upstream.onerror = (e) => deps.log(`mandate proxy: upstream \`${deps.upstream.server}\`: ${linkError(e)}`);
  }

  /**
   * A crashed stdio server is started again and given the client's `initialize` again; until then, and for good
   * once the restarts are used up, every call fails closed — as the stdio proxy does (`Restarts`: how often, and
   * when). The session itself stays up. An HTTP upstream that cannot be reached is connected to again the same way.
   */
  private async restart(): Promise<void> {
    if (this.closed) return;
    const http = this.deps.upstream.kind === 'http';
    const old = this.upstream;
    const next = this.link();
    this.upstream = next;
    this.wire(next);
    if (http) void this.drop(old); // its streams; its onclose finds itself replaced
    try {
      await next.start();
    } catch (err) {
      this.deps.log(`mandate proxy: session ${this.id}: upstream \`${this.deps.upstream.server}\` could not be restarted: ${linkError(err)}`);
      this.restarts.later();
      return;
    }
    this.restarts.begun();
    this.deps.log(http ? `mandate proxy: session ${this.id}: upstream \`${this.deps.upstream.server}\` connecting again`
      : `mandate proxy: session ${this.id}: upstream \`${this.deps.upstream.server}\` restarted (restart ${this.restarts.count} of ${this.deps.maxRestarts ?? 3} a minute)`);
    // a new server that does not finish initializing in time is stopped, which counts as another crash
    const hung = setTimeout(() => { void this.drop(next); }, Math.min(this.deps.callTimeoutMs, 30_000));
    hung.unref();
    this.guard.resumeUpstream((error) => {
      clearTimeout(hung);
      this.restarts.settled(error === undefined);
      if (error === undefined) return;
      this.deps.log(`mandate proxy: session ${this.id}: ${http ? 'upstream' : 'restarted upstream'} \`${this.deps.upstream.server}\` ${http ? 'not connected: ' : ''}${error}`);
      void this.drop(next);
    });
  }

  /** Close an upstream link, ending its session on an HTTP server first (else the server keeps it). */
  private drop(upstream: Transport): Promise<void> {
    endServerSession(upstream, this.deps.upstream);
    return upstream.close().catch(() => undefined);
  }

  /** A call found the HTTP upstream down and no try under way: try now (the call itself has failed closed). */
  private reconnectOnDemand(): void {
    if (!this.closed) this.restarts.wanted(this.guard.upstreamRunning);
  }

  /** Start the upstream (spawns the stdio server) before the first message goes to it. */
  async start(): Promise<void> {
    await this.upstream.start();
    if (this.deps.runtimeDir !== undefined) {
      try {
        this.channel = await openApprovalChannel(this.approvals, { server: this.deps.upstream.server, principal: this.identity.principal, dir: this.deps.runtimeDir });
      } catch (err) {
        this.deps.log(`mandate proxy: no approval channel for session ${this.id} (${(err as Error).message}); approvals can only come from the client`);
      }
    }
    this.touch();
  }

  /** Whether the SDK accepted this session's initialize (it refuses some: a missing Accept header, a batch). */
  get initialized(): boolean {
    return this.transport.sessionId !== undefined;
  }

  /** Hand one authenticated HTTP request to the SDK transport. */
  async handle(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    this.touch();
    // INVARIANT: a request reusing the id of one in flight in this session is refused before the SDK's transport
    // sees it (as the guard refuses it over stdio): the transport sends an answer on the stream of the last request
    // with its id, so the waiting request's answer went to the refused one's stream, lost to its caller
    const reused = req.method === 'POST' ? this.reusedId(body) : undefined;
    if (reused !== undefined) {
      this.guard.record({ kind: 'error', method: reused.method, request_id: reused.id, error: { code: 'jsonrpc_id_in_use', message: 'a request with this id is still in flight; refused' } });
      return sendJson(res, 409, { jsonrpc: '2.0', id: reused.id, error: { code: RPC.invalidRequest, message: `id ${JSON.stringify(reused.id).slice(0, 100)} is already in use by a request in flight` } });
    }
    await this.transport.handleRequest(req, res, body);
  }

  /** The first request in a POST body (one message or a batch) whose id is in flight in this session. */
  private reusedId(body: unknown): { id: RpcId; method: string } | undefined {
    for (const m of Array.isArray(body) ? body : [body]) {
      const r = m as { id?: unknown; method?: unknown } | null;
      if (r === null || typeof r !== 'object' || typeof r.method !== 'string') continue;
      if ((typeof r.id === 'string' || typeof r.id === 'number') && this.guard.inFlight(r.id)) return { id: r.id, method: r.method };
    }
    return undefined;
  }

  private toClient(m: JSONRPCMessage, related?: string | number): void {
    // INVARIANT: a session whose initialize failed (the server down or refusing) ends once the client has heard so:
    // it could serve nothing, and it would hold one of its subject's places until the idle timeout
    const answer = m as { id?: unknown; error?: { message?: unknown } };
    const failedInit = this.initId !== undefined && answer.id === this.initId && answer.error !== undefined;
    if (answer.id === this.initId) this.initId = undefined;
    // a request about a call (an approval asked by elicitation) goes on that call's stream: the client may have
    // no standalone stream open, and the SDK drops a request it has no stream for
    void this.transport.send(m, related !== undefined ? { relatedRequestId: related } : undefined)
      .catch((err: unknown) => this.deps.log(`mandate proxy: cannot answer the client: ${(err as Error).message.split('\n')[0]}`))
      .then(() => { if (failedInit) void this.close(`initialize failed: ${String(answer.error?.message ?? 'error').slice(0, 200)}`); });
  }

  private toUpstream(m: JSONRPCMessage): void {
    const upstream = this.upstream;
    upstream.send(m).catch((err: unknown) => this.lost(upstream, `cannot reach \`${this.deps.upstream.server}\`: ${upstreamFailure(err)}`));
  }

  /**
   * The upstream link failed (a send, or it closed): fail closed — every call in flight is answered with an
   * error, the session stays up — and start it again. Once per link: its send failing and its closing are one loss.
   */
  private lost(upstream: Transport, why: string): void {
    if (this.closed || upstream !== this.upstream || this.failed.has(upstream)) return;
    this.failed.add(upstream);
    this.guard.upstreamClosed(why);
    this.restarts.later();
  }

  /** when this session last saw a request (ms, the injected clock) */
  lastSeen = 0;

  private touch(): void {
    this.lastSeen = this.deps.now();
    if (this.idle) clearTimeout(this.idle);
    this.idle = setTimeout(() => { void this.close('idle timeout'); }, this.deps.idleMs);
    this.idle.unref();
  }

  /** Close both sides (idempotent); the stdio server process is terminated. */
  async close(why: string): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.idle) clearTimeout(this.idle);
    this.restarts.stop();
    this.approvals.failAll(`session closed: ${why}`);
    // INVARIANT: calls in flight fail closed with the session, each with its outcome record and an answer to the
    // client while its stream is still open — as the stdio proxy's do when it stops. The upstream's own closing,
    // below, is not handled once the session is closed, so nothing else would settle them: the server had run them
    // and the log ended at their allow records (after a DELETE, an outcome came only at --call-timeout).
    this.guard.upstreamClosed(`the session closed (${why})`, true);
    this.guard.record({ kind: 'session', detail: { event: 'close', reason: why } });
    this.onClosed(this);
    this.channel?.close();
    await Promise.allSettled([this.drop(this.upstream), this.transport.close()]);
  }
}
