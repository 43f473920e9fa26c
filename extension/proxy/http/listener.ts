// The HTTP face of the proxy: a loopback listener (optionally TLS with required client certs) that
// authenticates every request with a bearer JWT, then hands it to the caller's session.

import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AuditEntry } from '../../../policies';
import { authEntry, resolveRoles, type AuthResult, type TokenVerifier } from '../auth';
import { challenge, metadataUrl, resourceMetadata, rpcErrorBody, sendJson } from './answers';
import { bearerToken, isInitialize, isLoopback, loopbackHosts, originProblem, readJsonBody } from './request';
import { HttpSession, type SessionDeps } from './sessions';

export interface TlsOptions { cert: string | Buffer; key: string | Buffer; /** client CA: when set, client certificates are required */ clientCa?: string | Buffer }

export interface HttpProxyOptions {
  host: string;
  port: number;
  /** the MCP endpoint's path */
  path?: string;
  tls?: TlsOptions;
  /** builds the verifier once the resource URI (with the bound port) is known */
  verifier: (resource: URL) => TokenVerifier;
  allowedOrigins?: readonly string[];
  allowedHosts?: readonly string[];
  maxSessions?: number;
  /** sessions one token subject may hold at once */
  maxSessionsPerSubject?: number;
  deps: SessionDeps;
}

/** A running HTTP proxy. */
export class HttpProxy {
  private server: Server | undefined;
  private verifier: TokenVerifier | undefined;
  private resourceUrl: URL | undefined;
  private hosts = new Set<string>();
  private readonly origins: ReadonlySet<string>;
  readonly sessions = new Map<string, HttpSession>();
  /** rejections of requests without a valid token, recorded at most REJECTIONS_PER_SECOND a second */
  private readonly rejections = new RejectionLimiter((e) => this.audit(e), () => this.o.deps.now());

  constructor(private readonly o: HttpProxyOptions) {
    if (!isLoopback(o.host) && !o.tls?.clientCa) throw new TypeError(`refusing to listen on non-loopback \`${o.host}\` without TLS client certificates`);
    this.origins = new Set((o.allowedOrigins ?? []).map((x) => x.toLowerCase()));
  }

  /** The resource URI tokens must name as their audience. */
  get resource(): URL {
    if (!this.resourceUrl) throw new TypeError('the proxy is not listening');
    return this.resourceUrl;
  }

  /** Listen; resolves to the resource URI (the MCP endpoint). */
  async listen(): Promise<URL> {
    const handler = (req: IncomingMessage, res: ServerResponse): void => {
      this.handle(req, res).catch((err: unknown) => {
        this.o.deps.log(`mandate proxy: internal error: ${(err as Error).message.split('\n')[0]}`);
        sendJson(res, 500, rpcErrorBody('internal error; the request failed closed', -32603));
      });
    };
    const t = this.o.tls;
    const server = t ? createHttps({ cert: t.cert, key: t.key, ...(t.clientCa ? { ca: t.clientCa, requestCert: true, rejectUnauthorized: true } : {}), minVersion: 'TLSv1.2' }, handler) : createHttp(handler);
    server.headersTimeout = 10_000;
    server.requestTimeout = 0; // SSE streams stay open; idle sessions are closed by the session timer
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    this.server = server;
    const port = (server.address() as AddressInfo).port;
    const host = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host;
    this.resourceUrl = new URL(`${t ? 'https' : 'http'}://${host}:${port}${this.o.path ?? '/mcp'}`);
    this.hosts = new Set([...loopbackHosts(this.o.host, port), ...(this.o.allowedHosts ?? [])].map((h) => h.toLowerCase()));
    this.verifier = this.o.verifier(this.resourceUrl);
    return this.resourceUrl;
  }

  /** sessions whose upstream is starting, by subject, and in all (they count against the limits) */
  private starting = new Map<string, number>();
  private startingTotal = 0;

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const problem = originProblem(req, this.hosts, this.origins);
    if (problem) {
      this.rejections.record({ kind: 'auth', time: new Date(this.o.deps.now()).toISOString(), caller: { principal: null, roles: [] }, error: { code: 'forbidden_origin', message: problem },
        detail: { outcome: 'rejected', remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`, http_method: req.method ?? '?' } });
      return sendJson(res, 403, rpcErrorBody(`forbidden: ${problem}`));
    }
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/.well-known/oauth-protected-resource' || path === new URL(metadataUrl(this.resource)).pathname) {
      if (req.method !== 'GET') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET' });
      return sendJson(res, 200, resourceMetadata(this.resource, this.verifier!.issuer, this.verifier!.algorithms));
    }
    if (path !== this.resource.pathname) return sendJson(res, 404, { error: 'not found' });
    if (req.method !== 'POST' && req.method !== 'GET' && req.method !== 'DELETE') return sendJson(res, 405, rpcErrorBody('method not allowed'), { allow: 'GET, POST, DELETE' });
    const who = await this.authenticate(req, res);
    if (!who) return;
    let body: unknown;
    if (req.method === 'POST') {
      const b = await readJsonBody(req, this.o.deps.maxBodyBytes);
      if (!b.ok) return sendJson(res, b.status, rpcErrorBody(b.message, b.status === 400 ? -32700 : -32600), b.status === 413 ? { connection: 'close' } : {});
      body = b.value;
    }
    return this.dispatch(req, res, body, who);
  }

  /** Verify the token and map its subject to roles; answers 401/403 itself and returns undefined on refusal. */
  private async authenticate(req: IncomingMessage, res: ServerResponse): Promise<{ result: AuthResult & { ok: true }; roles: string[] } | undefined> {
    const info = { remote: `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`, method: req.method ?? '?', path: req.url?.slice(0, 200) ?? '' };
    const sid = header(req, 'mcp-session-id');
    const bearer = bearerToken(req);
    const r: AuthResult = bearer.invalid !== undefined
      ? { ok: false, code: 'malformed', message: bearer.invalid, claimed: {} }
      : await this.verifier!.verify(bearer.token);
    if (!r.ok) {
      this.rejections.record(authEntry(r, { ...info, ...(sid ? { session: sid } : {}) }, this.o.deps.now()));
      const err = r.code === 'no_token' ? undefined : { code: 'invalid_token' as const, description: r.message };
      sendJson(res, 401, rpcErrorBody(`unauthorized: ${r.message}`), { 'www-authenticate': challenge(this.resource, err) });
      return undefined;
    }
    const mapped = resolveRoles(r.identity.sub, r.identity.claimedRoles, this.o.deps.policy.policy.agents);
    if (mapped.roles.length === 0) {
      const why = mapped.known ? `none of the roles the token claims is bound to \`${r.identity.sub}\` by the policy` : `\`${r.identity.sub}\` is not an agent of this policy: a token's subject gets its roles from the policy's \`agents:\` (\`${r.identity.sub}: { roles: [...] }\`)`;
      const entry = authEntry(r, { ...info, roles: [] }, this.o.deps.now());
      this.audit({ ...entry, error: { code: 'no_roles', message: why }, detail: { ...(entry.detail as object), outcome: 'rejected', dropped_roles: mapped.dropped } });
      sendJson(res, 403, rpcErrorBody(`forbidden: ${why}`), { 'www-authenticate': challenge(this.resource, { code: 'insufficient_scope', description: why }) });
      return undefined;
    }
    return { result: r, roles: mapped.roles };
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, body: unknown, who: { result: AuthResult & { ok: true }; roles: string[] }): Promise<void> {
    const id = who.result.identity;
    const sid = header(req, 'mcp-session-id');
    const now = this.o.deps.now();
    // the token's id and expiry go with the messages of this request (a call approved later is checked against them)
    (req as IncomingMessage & { auth?: AuthInfo }).auth = { token: '', clientId: id.sub, scopes: [], expiresAt: id.exp, extra: { jti: id.jti } };
    if (sid !== undefined) {
      const s = this.sessions.get(sid);
      if (!s) return sendJson(res, 404, rpcErrorBody('session not found'));
      // INVARIANT: a session belongs to the subject that opened it; another subject's valid token cannot drive it
      if (s.identity.principal !== id.sub) {
        const entry = authEntry(who.result, { session: sid, roles: who.roles }, now);
        this.audit({ ...entry, error: { code: 'session_hijack', message: `session belongs to another subject` }, detail: { ...(entry.detail as object), outcome: 'rejected' } });
        return sendJson(res, 403, rpcErrorBody('forbidden: this session belongs to another subject'));
      }
      // INVARIANT: a session's roles never grow after it opened: a call is decided with the roles of the session,
      // and a request with other roles could otherwise widen them for calls still pending (waiting for the tool
      // list or a human). Fewer roles (a narrower token, a binding the policy dropped) narrow the session.
      if (!who.roles.every((r) => s.identity.roles.includes(r))) {
        // ending the session widens nothing: its own subject may always close it (else a session narrowed by a policy
        // edit stays open, refusing its subject's every request, until the idle timeout)
        if (req.method === 'DELETE') {
          this.noteToken(s, who, now);
          return s.handle(req, res, body);
        }
        const entry = authEntry(who.result, { session: sid, roles: who.roles }, now);
        this.audit({ ...entry, error: { code: 'session_roles', message: `the token's roles (${who.roles.join(', ')}) are not among the session's (${s.identity.roles.join(', ')})` }, detail: { ...(entry.detail as object), outcome: 'rejected' } });
        return sendJson(res, 403, rpcErrorBody('forbidden: this token carries roles the session was not opened with; open a new session'));
      }
      s.identity.roles = who.roles;
      this.noteToken(s, who, now);
      return s.handle(req, res, body);
    }
    if (req.method !== 'POST' || !isInitialize(body)) return sendJson(res, 400, rpcErrorBody('bad request: no mcp-session-id, and not an initialize request'));
    const maxSessions = this.o.maxSessions ?? 64;
    const perSubject = this.o.maxSessionsPerSubject ?? 8;
    // INVARIANT: the limits count sessions still starting too — they were checked before the (awaited) start,
    // so initializes sent together all passed them (100 at once opened 54 upstream processes)
    const startingMine = this.starting.get(id.sub) ?? 0;
    if (this.sessions.size + this.startingTotal >= maxSessions) return sendJson(res, 503, rpcErrorBody('too many sessions'), { 'retry-after': '5' });
    if (startingMine >= perSubject) return sendJson(res, 503, rpcErrorBody(`too many sessions starting for \`${id.sub}\``), { 'retry-after': '5' });
    // reserved before anything is awaited, so requests sent together see each other
    this.starting.set(id.sub, startingMine + 1);
    this.startingTotal++;
    let s: HttpSession;
    try {
      // INVARIANT: one subject holds at most maxSessionsPerSubject sessions: its least recently used one makes room
      // (clients often drop sessions without DELETE; refusing would lock the agent out until the idle timeout)
      const mine = [...this.sessions.values()].filter((x) => x.identity.principal === id.sub).sort((a, b) => a.lastSeen - b.lastSeen);
      for (let i = 0; mine.length - i + startingMine >= perSubject && i < mine.length; i++) {
        await mine[i]!.close(`evicted: \`${id.sub}\` opened more than ${perSubject} sessions`);
      }
      const verifier = this.verifier;
      s = new HttpSession({ principal: id.sub, roles: who.roles }, this.o.deps, (x) => this.sessions.delete(x.id), verifier ? (jti, exp) => verifier.stillValid(jti, exp) : undefined);
      if (!this.audit(authEntry(who.result, { session: s.id, roles: who.roles }, now))) {
        return sendJson(res, 503, rpcErrorBody('the audit log cannot be written; the session is refused', -32003));
      }
      s.jtis.add(id.jti);
      try {
        await s.start();
      } catch (err) {
        await s.close('upstream failed to start');
        return sendJson(res, 502, rpcErrorBody(`the upstream server \`${this.o.deps.upstream.server}\` could not be started: ${(err as Error).message.split('\n')[0]}`, -32002));
      }
    } finally {
      this.startingTotal--;
      const left = (this.starting.get(id.sub) ?? 1) - 1;
      if (left === 0) this.starting.delete(id.sub);
      else this.starting.set(id.sub, left);
    }
    this.sessions.set(s.id, s);
    await s.handle(req, res, body);
    // INVARIANT: an initialize the SDK refused (406 without the right Accept, a batch) leaves no session and no
    // upstream process behind until the idle timeout
    if (!s.initialized) await s.close('initialize refused by the transport');
  }

  /** A token's first use on a session is an `auth` record (the session's later requests with it are not). */
  private noteToken(s: HttpSession, who: { result: AuthResult & { ok: true }; roles: string[] }, now: number): void {
    if (s.jtis.has(who.result.identity.jti)) return;
    s.jtis.add(who.result.identity.jti);
    this.audit(authEntry(who.result, { session: s.id, roles: who.roles }, now));
  }

  private audit(e: AuditEntry): boolean {
    try {
      this.o.deps.audit.append(e);
      return true;
    } catch (err) {
      this.o.deps.log(`mandate proxy: ${(err as Error).message}`);
      return false;
    }
  }

  /** Close every session (terminating stdio servers) and stop listening. */
  async close(): Promise<void> {
    this.rejections.flush();
    await Promise.allSettled([...this.sessions.values()].map((s) => s.close('proxy shutting down')));
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Rejections of unauthenticated requests recorded one by one each second; the rest are counted. */
export const REJECTIONS_PER_SECOND = 20;

/**
 * INVARIANT: anyone who can reach the port (a web page's simple POSTs included) could otherwise grow the audit
 * log by megabytes a second. Each second the first REJECTIONS_PER_SECOND rejections are recorded whole; the
 * rest are counted by code and recorded as one `rejections_suppressed` record when the second is over — every
 * rejection is still accounted for, none is dropped silently.
 */
class RejectionLimiter {
  private windowStart = -1;
  private recorded = 0;
  private suppressed = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: (e: AuditEntry) => boolean, private readonly now: () => number) {}

  record(e: AuditEntry): void {
    const t = this.now();
    if (t - this.windowStart >= 1000) {
      this.flush();
      this.windowStart = t;
      this.recorded = 0;
    }
    if (this.recorded < REJECTIONS_PER_SECOND) {
      this.recorded++;
      this.write(e);
      return;
    }
    const code = e.error?.code ?? 'rejected';
    this.suppressed.set(code, (this.suppressed.get(code) ?? 0) + 1);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), 1000);
      this.timer.unref();
    }
  }

  /** Write the count of the rejections not recorded whole, if any. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed.size === 0) return;
    const byCode = Object.fromEntries(this.suppressed);
    const count = [...this.suppressed.values()].reduce((a, b) => a + b, 0);
    this.suppressed = new Map();
    this.write({
      kind: 'auth', time: new Date(this.now()).toISOString(), caller: { principal: null, roles: [] },
      error: { code: 'rejections_suppressed', message: `${count} more rejected requests in the second from ${new Date(this.windowStart).toISOString()} (more than ${REJECTIONS_PER_SECOND} a second are counted, not recorded one by one)` },
      detail: { outcome: 'rejected', count, by_code: byCode },
    });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}
