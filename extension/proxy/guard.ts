// The transport-agnostic guard: sees every JSON-RPC message between one client session and its
// upstream server, forwards what is uninteresting as-is, and decides tools/call, resources/read,
// prompts/get and server→client requests before they run. stdio and HTTP transports both use it.

import { spliceable, ToolPages, type AuditEntry, type Decision, type ToolInfo } from '../../policies';
import { AuditWriteError } from './auditLog';
import { randomHex } from './hash';
import { decideResource, decideResourceTemplate, decidePrompt, filterListed, serverRequestAllowed, toolVisible } from './governance';
import { idKey as key, type JSONRPCMessage, type RpcId } from './framing';
import { isoTime } from './isoTime';
import { LIST_WAIT_MS, ToolCalls } from './toolCalls';
import { RPC, type GuardOptions, type Identity } from './types';

type Msg = Record<string | symbol, unknown> & { id?: RpcId; method?: string; params?: Record<string, unknown> };

/** Marks the answer the guard makes up for its own request when the server is gone (no server sent it). */
const UPSTREAM_GONE = Symbol('upstream gone');

/** What a caller of `record` gives: the entry without the members the guard adds. */
type RecordFields = Omit<AuditEntry, 'time' | 'session' | 'server' | 'caller'> & Partial<AuditEntry>;

/** Members the guard puts in every record (and the chain's own): an entry naming one takes the general path. */
const OWN_MEMBERS = ['time', 'session', 'server', 'caller', 'v', 'seq', 'prev'];

/**
 * Client requests forwarded without a decision (they expose nothing a tool call does not). Not `tasks/*`: a
 * task's result is a tool's result fetched later, with no decision of its own, so tasks are not offered through
 * mandate (the server's `tasks` capability is taken out of its `initialize` answer, and a call's `task` is not
 * passed on: the call runs as a plain one, as the protocol has a receiver without tasks do).
 */
const PASS = new Set(['ping', 'initialize', 'tools/list', 'resources/list', 'resources/templates/list',
  'resources/unsubscribe', 'prompts/list', 'logging/setLevel']);

/** List answers the guard filters to what the caller could read or get. */
const FILTERED = new Set(['resources/list', 'resources/templates/list', 'prompts/list']);

/** Requests from the server that may wait on the client at once; more are refused (and recorded). */
const MAX_CLIENT_PENDING = 256;

/** Ids of cancelled or timed-out requests kept taken until the server answers them (see `Guard.late`). */
const MAX_LATE = 10_000;

/** What a held call waits for: its decision record on disk. */
interface Held {
  msg: Msg & { id: RpcId };
  f: Forwarded;
  denied: () => void;
  line: string | undefined;
  /** the log's failed writes when it was held: one more since, and its record may have gone with it */
  failures: number;
}

interface Forwarded {
  method: string;
  tool?: string;
  start: number;
  /** when the call fails closed for want of an answer (clock of `now()`) */
  deadline: number;
  audited: boolean;
  /** it has gone to the server (a held call has not, until its record is written) */
  sent?: boolean;
}

/** One client session's guard. */
export class Guard {
  readonly calls: ToolCalls;
  private forwarded = new Map<string, Forwarded>();
  /**
   * the guard's own requests to the server (its tool list, a replayed initialize) and to the client, each with a
   * deadline: separate, so neither side can answer for the other
   */
  private own = new Map<string, { answer: (msg: Msg) => void; deadline: number; timeoutMs: number }>();
  private ownClient = new Map<string, { answer: (msg: Msg) => void; deadline: number; expired: (() => void) | undefined }>();
  /** whether the guard's fetch of the tool list is under way, and whether another was asked for meanwhile */
  private listing = false;
  private listAgain = false;
  /**
   * Ids of requests settled without the server's answer (cancelled, timed out) that the server may still
   * answer. INVARIANT: such an id is not taken again until the server has answered it (or is gone) — the old
   * call's late answer would be delivered, and recorded, as the new call's. At most MAX_LATE are kept (the
   * oldest goes first), so a server that never answers cannot grow this without bound.
   */
  private late = new Set<string>();
  private nextOwn = 1;
  /**
   * The guard's own request ids upstream (`mandate-<random>:<n>`). INVARIANT: the client never sees this
   * prefix (requests to the client use `clientPrefix`), so it cannot send a request whose id the server's
   * answer would share with one of the guard's own — that answer would be taken for the guard's (an empty
   * "tool list" erasing pins and schemas). A client id with the prefix is refused all the same.
   */
  private readonly ownPrefix = `mandate-${randomHex(8)}:`;
  /** the guard's own request ids towards the client (elicitation, server requests passed on): another secret */
  private readonly clientPrefix = `mandate-${randomHex(8)}:`;
  private upstreamUp = true;
  private held: Held[] = [];
  private common: { principal: string; roles: string[]; count: number; client: Identity['client']; json: string } | undefined;
  private flushScheduled = false;
  private lazyScheduled = false;
  private sweeper: NodeJS.Timeout | undefined;
  /** the client's `initialize` params the server accepted, replayed to a restarted server */
  private initParams: Record<string, unknown> | undefined;
  /** the client's `initialize` on its way (request id → params), taken as the session's once the server answers it */
  private initAsked: { k: string; params: Record<string, unknown> } | undefined;
  clientElicitation = false;

  constructor(readonly o: GuardOptions) {
    this.calls = new ToolCalls(this);
  }

  /** A message from the client. */
  fromClient(m: JSONRPCMessage): void {
    const msg = m as Msg;
    if (typeof msg.method === 'string') {
      if (msg.id === undefined) return this.clientNotification(msg);
      return this.clientRequest(msg as Msg & { id: RpcId; method: string });
    }
    if (msg.id !== undefined) this.clientResponse(msg as Msg & { id: RpcId });
  }

  /** Whether a client request with this id is in flight (forwarded, or waiting for the tool list or a human): another with it is refused. */
  inFlight(id: RpcId): boolean {
    return this.forwarded.has(key(id)) || this.calls.isWaiting(id);
  }

  private clientRequest(msg: Msg & { id: RpcId; method: string }): void {
    // INVARIANT: one request per id in flight — a reused id could take another call's answer, or its place when held
    if (typeof msg.id === 'string' && msg.id.startsWith('mandate-') && (msg.id.startsWith(this.ownPrefix) || msg.id.startsWith(this.clientPrefix))) {
      this.record({ kind: 'error', method: msg.method, request_id: msg.id, error: { code: 'jsonrpc_id_reserved', message: 'the request id is one the proxy uses for its own requests; refused' } });
      return this.replyError(msg.id, RPC.invalidRequest, 'this request id is reserved by mandate; use another');
    }
    if (this.inFlight(msg.id)) {
      this.record({ kind: 'error', method: msg.method, request_id: msg.id, error: { code: 'jsonrpc_id_in_use', message: 'a request with this id is still in flight; refused' } });
      return this.replyError(msg.id, RPC.invalidRequest, `id ${JSON.stringify(msg.id).slice(0, 100)} is already in use by a request in flight`);
    }
    if (this.late.has(key(msg.id))) {
      this.record({ kind: 'error', method: msg.method, request_id: msg.id, error: { code: 'jsonrpc_id_in_use', message: 'a request with this id was cancelled or timed out and the server may still answer it; refused' } });
      return this.replyError(msg.id, RPC.invalidRequest, `id ${JSON.stringify(msg.id).slice(0, 100)} belonged to a request the server may still answer (cancelled or timed out); use another id`);
    }
    switch (msg.method) {
      case 'tools/call': return this.calls.handle(msg);
      case 'resources/read':
      case 'resources/subscribe': return this.governed(msg, 'resource', String(msg.params?.['uri'] ?? ''));
      case 'prompts/get': return this.governed(msg, 'prompt', String(msg.params?.['name'] ?? ''));
      case 'completion/complete': {
        // completions reveal values of a prompt's or a resource template's arguments: only for what the caller could get
        const ref = msg.params?.['ref'] as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
        if (ref?.type === 'ref/prompt') return this.governed(msg, 'prompt', String(ref.name ?? ''));
        return this.governed(msg, 'template', ref?.type === 'ref/resource' ? String(ref.uri ?? '') : '');
      }
      case 'initialize': this.initialize(msg); break;
      default:
        if (!PASS.has(msg.method)) {
          // refused requests are recorded too (never only the successes)
          this.record({ kind: 'error', method: msg.method.slice(0, 100), request_id: msg.id, error: { code: 'method_not_supported', message: `\`${msg.method.slice(0, 100)}\` is not supported through mandate; refused` } });
          return this.replyError(msg.id, RPC.methodNotFound, `method \`${msg.method.slice(0, 100)}\` is not supported through mandate`);
        }
    }
    this.forward(msg, msg.method);
  }

  private clientNotification(msg: Msg): void {
    const method = msg.method!;
    // INVARIANT: without an id only notifications pass; a request method sent as a notification (a tools/call
    // with no id) would run on a lenient server with no decision, no record and no answer
    if (!method.startsWith('notifications/')) {
      this.record({ kind: 'error', method: method.slice(0, 100), error: { code: 'jsonrpc_request_without_id', message: `\`${method.slice(0, 100)}\` without an id was dropped: a request needs an id to be decided and answered` } });
      return;
    }
    if (method === 'notifications/cancelled') {
      const id = msg.params?.['requestId'];
      if (typeof id !== 'string' && typeof id !== 'number') return;
      // a call still waiting (for the tool list or a human) is settled here and never sent
      if (this.calls.cancelWaiting(id)) return;
      // only the client's own requests in flight can be cancelled upstream
      if (!this.forwarded.has(key(id))) return;
      this.settle(id, 'cancelled by the client', true);
    }
    // INVARIANT: a server that is down, or being given the client's initialize again, is sent nothing (a message to
    // a new HTTP session before its initialize is answered is refused, and ends that connection too)
    if (!this.upstreamUp) return;
    this.o.toUpstream(msg as JSONRPCMessage);
    if (msg.method === 'notifications/initialized') this.refreshTools();
  }

  private clientResponse(msg: Msg & { id: RpcId }): void {
    const k = key(msg.id);
    const pending = this.ownClient.get(k);
    if (pending) {
      this.ownClient.delete(k);
      pending.answer(msg);
    }
    // INVARIANT: a response the guard did not ask for (or already timed out) goes nowhere.
  }

  private initialize(msg: Msg & { id: RpcId }): void {
    // INVARIANT: only an initialize the server answered is replayed: one that found the server down was made with
    // no server, and a client that tries again must reach a server it has not initialized yet
    this.initAsked = { k: key(msg.id), params: msg.params ?? {} };
    const info = msg.params?.['clientInfo'] as { name?: unknown; version?: unknown } | undefined;
    const caps = msg.params?.['capabilities'] as { elicitation?: unknown } | undefined;
    this.clientElicitation = caps?.elicitation !== undefined && caps.elicitation !== null;
    if (!this.o.identity.client && typeof info?.name === 'string') {
      this.o.identity.client = { name: info.name.slice(0, 200), ...(typeof info.version === 'string' ? { version: info.version.slice(0, 100) } : {}) };
    }
    this.record({ kind: 'session', detail: { event: 'initialize', elicitation: this.clientElicitation } });
  }

  /**
   * Forward a client request upstream and track it until its answer (or a timeout, or a crash);
   * `line`, when given, is exactly `JSON.stringify(msg)` (sent as is where the transport takes lines).
   */
  forward(msg: Msg & { id: RpcId }, method: string, tool?: string, audited = false, line?: string): void {
    // INVARIANT: every forwarded request has a deadline: a server that never answers costs the client an error, not its memory
    const f: Forwarded = { method, start: this.o.now(), audited, deadline: 0, ...(tool !== undefined ? { tool } : {}) };
    if (!this.upstreamUp) return this.notRunning(msg.id, f);
    f.deadline = f.start + this.o.callTimeoutMs;
    this.startSweep();
    this.forwarded.set(key(msg.id), f);
    if (!audited) {
      f.sent = true;
      return this.o.toUpstream(msg as JSONRPCMessage);
    }
    const denied = method === 'tools/call' ? () => this.calls.auditDenied(msg.id, tool ?? '') : () => this.replyError(msg.id, RPC.audit, 'the audit log cannot be written; the request is denied');
    this.held.push({ msg, f, denied, line, failures: this.o.audit.failures });
    this.scheduleFlush(true);
  }

  /**
   * One coarse timer per guard instead of one per call: it runs only while requests are in flight (either
   * way) and fails closed every one past its deadline (at most a quarter of the timeout late).
   */
  private startSweep(): void {
    if (this.sweeper) return;
    const every = Math.max(20, Math.min(1000, Math.floor(this.o.callTimeoutMs / 4)));
    this.sweeper = setInterval(() => {
      const now = this.o.now();
      for (const [k, f] of this.forwarded) {
        if (f.deadline <= now) this.timeout(k[0] === 'n' ? Number(k.slice(1)) : k.slice(1));
      }
      for (const [k, pending] of this.ownClient) {
        if (pending.deadline > now) continue;
        this.ownClient.delete(k);
        pending.expired?.();
      }
      for (const [k, pending] of this.own) {
        if (pending.deadline > now) continue;
        this.own.delete(k);
        pending.answer({ error: { code: RPC.upstream, message: `no answer from \`${this.o.server}\` within ${pending.timeoutMs} ms` } });
      }
      if (this.forwarded.size === 0 && this.ownClient.size === 0 && this.own.size === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, every);
    this.sweeper.unref();
  }

  private timeout(id: RpcId): void {
    const f = this.settle(id, `no answer from \`${this.o.server}\` within ${this.o.callTimeoutMs} ms`, true);
    if (!f) return;
    this.o.toUpstream({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'mandate: timed out' } });
    this.replyError(id, RPC.upstream, `the upstream server \`${this.o.server}\` did not answer within ${this.o.callTimeoutMs} ms; the call failed closed`);
  }

  /**
   * Stop tracking a forwarded request that will get no answer; its outcome is recorded as an error.
   * `mayAnswer`: the server is still there and may answer it late (its id stays taken meanwhile).
   */
  private settle(id: RpcId, why: string, mayAnswer = false): Forwarded | undefined {
    const f = this.forwarded.get(key(id));
    if (!f) return undefined;
    this.forwarded.delete(key(id));
    if (mayAnswer && f.sent === true && this.upstreamUp) {
      this.late.add(key(id));
      if (this.late.size > MAX_LATE) this.late.delete(this.late.values().next().value!);
    }
    if (f.audited) this.calls.outcome(id, f, undefined, { code: 'upstream', message: why });
    return f;
  }

  /** A message from the upstream server (`raw`: its line as received, when the transport has it). */
  fromUpstream(m: JSONRPCMessage, raw?: string): void {
    const msg = m as Msg;
    if (typeof msg.method === 'string') {
      if (msg.id === undefined) {
        // as from the client: only notifications pass without an id (a request method would skip server_requests)
        if (!msg.method.startsWith('notifications/')) {
          this.record({ kind: 'error', method: msg.method.slice(0, 100), detail: { direction: 'server_to_client' }, error: { code: 'jsonrpc_request_without_id', message: `\`${msg.method.slice(0, 100)}\` without an id from the server was dropped` } });
          return;
        }
        // an update about a resource the caller may not read would tell it the resource exists and changes
        if (msg.method === 'notifications/resources/updated') {
          const { principal, roles } = this.o.identity;
          if (decideResource(this.o.policy.current, principal, roles, String(msg.params?.['uri'] ?? '')).effect === 'deny') return;
        }
        this.o.toClient(m);
        if (msg.method === 'notifications/tools/list_changed') this.refreshTools();
        return;
      }
      return this.serverRequest(msg as Msg & { id: RpcId; method: string });
    }
    if (msg.id === undefined || msg.id === null) return;
    const k = key(msg.id);
    const own = this.own.get(k);
    if (own) {
      this.own.delete(k);
      return own.answer(msg);
    }
    const f = this.forwarded.get(k);
    if (!f) {
      this.late.delete(k); // late answer to a timed-out or cancelled call: dropped, and its id free again
      return;
    }
    this.forwarded.delete(k);
    // INVARIANT: the client hears a response or an error — an answer with both a result and an error (or neither) is
    // neither, no client can read it (the call would hang), and the record would say what no client saw
    if ((msg['result'] === undefined) === (msg['error'] === undefined)) {
      const why = `the upstream server \`${this.o.server}\` answered with ${msg['result'] === undefined ? 'neither a result nor an error' : 'both a result and an error'}`;
      if (f.audited) this.calls.outcome(msg.id, f, undefined, { code: 'upstream_invalid', message: why });
      return this.replyError(msg.id, RPC.upstream, `${why}; the call failed closed`);
    }
    if (f.audited) {
      // the outcome answers nothing: its record is built after the answer has gone out, in its place (AuditLog.defer)
      const id = msg.id;
      const at = this.o.now();
      const { principal, roles, client } = this.o.identity;
      const who: Identity = { principal, roles, ...(client ? { client } : {}) };
      this.o.audit.defer(() => this.calls.outcome(id, f, msg, undefined, raw, at, who));
      this.scheduleFlush();
    }
    if (f.method === 'tools/list' && msg['result']) return this.o.toClient(this.filterTools(msg));
    if (f.method === 'initialize') {
      if (msg['result'] !== undefined && this.initAsked?.k === k) this.initParams = this.initAsked.params;
      const result = msg['result'] as { capabilities?: Record<string, unknown> } | undefined;
      if (result?.capabilities && typeof result.capabilities === 'object' && 'tasks' in result.capabilities) {
        const { tasks: _none, ...capabilities } = result.capabilities;
        return this.o.toClient({ ...msg, result: { ...result, capabilities } } as unknown as JSONRPCMessage);
      }
    }
    if (FILTERED.has(f.method) && msg['result']) {
      const { principal, roles } = this.o.identity;
      return this.o.toClient({ ...msg, result: filterListed(this.o.policy.current, principal, roles, f.method, msg['result'] as Record<string, unknown>) } as unknown as JSONRPCMessage);
    }
    if (raw !== undefined && this.o.toClientRaw) return this.o.toClientRaw(raw);
    this.o.toClient(m);
  }

  /** The upstream is gone: every forwarded request fails closed, now and until it is back. */
  upstreamClosed(why: string, expected = false): void {
    this.upstreamUp = false;
    // no late answers from a server that is gone; requests it sent the client are moot (a restarted server has its own ids)
    this.late.clear();
    this.ownClient.clear();
    // a server the proxy itself stopped, with nothing in flight, is the end of a session, not an error
    if (expected && this.forwarded.size === 0) this.record({ kind: 'session', detail: { event: 'upstream_stopped', why } });
    else this.record({ kind: 'error', error: { code: 'upstream_exit', message: why } });
    for (const k of [...this.forwarded.keys()]) {
      const id: RpcId = k[0] === 'n' ? Number(k.slice(1)) : k.slice(1);
      this.settle(id, why);
      this.replyError(id, RPC.upstream, `the upstream server \`${this.o.server}\` stopped: ${why}; the call failed closed`);
    }
    for (const [k, pending] of [...this.own]) {
      this.own.delete(k);
      pending.answer({ error: { code: RPC.upstream, message: why }, [UPSTREAM_GONE]: true });
    }
    this.o.approvals.failAll(why);
  }

  /** The upstream is back (restarted and initialised by the transport). */
  upstreamRestarted(listTools = true): void {
    this.upstreamUp = true;
    this.record({ kind: 'session', detail: { event: 'upstream_restarted' } });
    // INVARIANT: no call reaches the new server before its tool list has been checked against the pins
    // (what the old one listed does not speak for it: a restarted or redeployed server may list other definitions)
    this.calls.forgetTools();
    // approvals asked while it was away (each failed try fails those before it) were asked of no server: a yes
    // now would send the call on without waiting for that check
    this.o.approvals.failAll('the upstream server was connected again while the approval was pending; call again');
    if (listTools) this.refreshTools();
  }

  /**
   * The transport started a new server process after a crash: replay the client's `initialize` (and
   * `notifications/initialized`) to it, then take calls again. Until `done` reports success every call
   * fails closed; `done(error)` when the new server refused or died (the transport decides what next).
   */
  resumeUpstream(done: (error?: string) => void): void {
    if (this.initParams === undefined) {
      // the client had not initialized the old server either: it will initialize this one itself (and the tool list
      // is asked for then: a server over HTTP refuses any request before its initialize)
      this.upstreamRestarted(false);
      return done();
    }
    const id = this.ownId();
    this.ownRequest(id, (res) => {
      if (res['result'] === undefined) return done(`initialize failed: ${JSON.stringify(res['error'] ?? 'no result').slice(0, 200)}`);
      this.o.toUpstream({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.upstreamRestarted();
      done();
    });
    this.o.toUpstream({ jsonrpc: '2.0', id, method: 'initialize', params: this.initParams });
  }

  get upstreamRunning(): boolean {
    return this.upstreamUp;
  }

  private filterTools(msg: Msg): JSONRPCMessage {
    const result = msg['result'] as { tools?: ToolInfo[] };
    const tools = Array.isArray(result.tools) ? result.tools : [];
    this.calls.listed(tools);
    const c = this.o.policy.current;
    const now = this.o.now();
    // a drifted definition is not shown: its new description could steer the model even though calls to it are denied
    const shown = tools.filter((t) => t && typeof t.name === 'string' && toolVisible(c, this.o.identity.roles, t.name, now) && !this.calls.drifted(t.name));
    return { ...msg, result: { ...result, tools: shown } } as unknown as JSONRPCMessage;
  }

  /** Ask the server for its tool list unless a fetch is under way (a call that needs the list). */
  ensureTools(): void {
    if (!this.listing) this.refreshTools();
  }

  /**
   * Ask the server for its whole tool list (pins, schemas), following pages. INVARIANT: one fetch at a time —
   * one asked for meanwhile (the list changed again) follows it — so a server that keeps saying its list
   * changed, and never answers, costs one request, not one per notification.
   */
  refreshTools(): void {
    if (this.listing) {
      this.listAgain = true;
      return;
    }
    this.listing = true;
    const all: ToolInfo[] = [];
    const pages = new ToolPages();
    const page = (cursor?: string): void => {
      this.request('tools/list', cursor ? { cursor } : {}, (res) => {
        const r = res['result'] as { tools?: ToolInfo[]; nextCursor?: unknown } | undefined;
        // INVARIANT: an answer without a tools array is no tool list (never an empty one: that would drop every pin and schema)
        let listed = r !== undefined && r !== null && Array.isArray(r.tools);
        const error = res['error'] as { message?: unknown } | undefined;
        let why = typeof error?.message === 'string' ? error.message : r !== undefined ? 'the answer holds no tools array' : undefined;
        if (listed) {
          all.push(...r!.tools!);
          try {
            const next = pages.next(r!.nextCursor, all.length);
            if (next !== undefined) return page(next);
          } catch (err) {
            // a list that does not end is no list either: the pages read so far are not taken for the whole of it
            listed = false;
            why = (err as Error).message;
          }
        }
        this.listing = false;
        this.calls.learn(all, !listed, why, res[UPSTREAM_GONE] === true);
        if (!this.listAgain) return;
        this.listAgain = false;
        this.refreshTools();
      }, LIST_WAIT_MS);
    };
    page();
  }

  /** Send the guard's own request upstream (answered for with an error if the server has not answered within `timeoutMs`). */
  request(method: string, params: Record<string, unknown>, onAnswer: (msg: Msg) => void, timeoutMs?: number): void {
    const id = this.ownId();
    this.ownRequest(id, onAnswer, timeoutMs);
    if (!this.upstreamUp) {
      this.upstreamClosedFor(id);
      return this.o.upstreamWanted?.();
    }
    this.o.toUpstream({ jsonrpc: '2.0', id, method, params });
  }

  private ownId(prefix = this.ownPrefix): string {
    return `${prefix}${this.nextOwn++}`;
  }

  /**
   * Track one of the guard's own requests to the server. INVARIANT: it has a deadline like a client's: a server
   * that never answers it is answered for (an error, as though it had said so) after `timeoutMs`, and forgotten.
   */
  private ownRequest(id: string, answer: (msg: Msg) => void, timeoutMs = this.o.callTimeoutMs): void {
    this.own.set(key(id), { answer, deadline: this.o.now() + timeoutMs, timeoutMs });
    this.startSweep();
  }

  /** A request that cannot be forwarded because the server is not running: its outcome is an error, and the client hears so. */
  private notRunning(id: RpcId, f: Forwarded): void {
    const why = `the upstream server \`${this.o.server}\` is not running`;
    if (f.audited) this.calls.outcome(id, f, undefined, { code: 'upstream', message: why });
    this.replyError(id, RPC.upstream, why);
    this.o.upstreamWanted?.();
  }

  private upstreamClosedFor(id: string): void {
    const h = this.own.get(key(id));
    this.own.delete(key(id));
    h?.answer({ error: { code: RPC.upstream, message: 'upstream not running' }, [UPSTREAM_GONE]: true });
  }

  /**
   * Send the guard's own request to the client (elicitation, a server request passed on); `expired` runs
   * when the client has not answered within `timeoutMs` (default: the call timeout; the request is then
   * forgotten); `related`: the client request it is about (the call an approval is asked for).
   */
  requestClient(method: string, params: Record<string, unknown>, onAnswer: (msg: Msg) => void,
    o: { expired?: () => void; related?: RpcId; timeoutMs?: number } = {}): void {
    const id = this.ownId(this.clientPrefix);
    this.ownClient.set(key(id), { answer: onAnswer, deadline: this.o.now() + (o.timeoutMs ?? this.o.callTimeoutMs), expired: o.expired });
    this.startSweep();
    this.o.toClient({ jsonrpc: '2.0', id, method, params }, o.related);
  }

  private governed(msg: Msg & { id: RpcId; method: string }, kind: 'resource' | 'template' | 'prompt', target: string): void {
    const { principal, roles } = this.o.identity;
    const c = this.o.policy.current;
    const d: Decision = kind === 'resource' ? decideResource(c, principal, roles, target)
      : kind === 'template' ? decideResourceTemplate(c, principal, roles, target) : decidePrompt(c, principal, roles, target);
    // INVARIANT: a denial is on disk before the client hears it
    const ok = this.record({ kind: 'decision', method: msg.method, request_id: msg.id, detail: { [kind === 'prompt' ? 'prompt' : 'uri']: target }, ...this.calls.decisionFields(d) }, d.effect !== 'allow');
    if (!ok) return this.replyError(msg.id, RPC.audit, 'the audit log cannot be written; the request is denied');
    if (d.effect !== 'allow') return this.replyError(msg.id, RPC.denied, `mandate: ${d.reasons.map((r) => r.message).join('; ')}`);
    this.forward(msg, msg.method, undefined, true);
  }

  private serverRequest(msg: Msg & { id: RpcId; method: string }): void {
    const permitted = serverRequestAllowed(this.o.policy.policy, msg.method);
    // INVARIANT: requests waiting on the client are bounded: a server cannot grow the proxy's memory by asking and asking
    const crowded = this.ownClient.size >= MAX_CLIENT_PENDING;
    const allowed = permitted && !crowded;
    if (msg.method !== 'ping' || crowded) {
      const effect = allowed ? 'allow' : 'deny';
      const reason = allowed ? `server request \`${msg.method}\` allowed`
        : crowded ? `denied: ${MAX_CLIENT_PENDING} requests from the server are already waiting for the client`
          : `denied: the policy does not let the server send \`${msg.method}\` to the client`;
      // urgent either way: a denial goes back to the server, an allowed request on to the client, after its record
      const ok = this.record({ kind: 'decision', method: msg.method, request_id: msg.id, detail: { direction: 'server_to_client' }, decision: { effect, rules: ['server_requests'], reasons: [reason] } }, true);
      if (!ok || !allowed) {
        this.o.toUpstream({ jsonrpc: '2.0', id: msg.id, error: { code: RPC.denied, message: `mandate: ${reason}` } });
        return;
      }
    }
    // remap the id so it cannot collide with the guard's own requests to the client
    this.requestClient(msg.method, msg.params ?? {}, (answer) => {
      const { id: _drop, jsonrpc: _j, ...rest } = answer;
      this.o.toUpstream({ jsonrpc: '2.0', id: msg.id, ...rest } as JSONRPCMessage);
    }, { expired: () => this.o.toUpstream({ jsonrpc: '2.0', id: msg.id, error: { code: RPC.upstream, message: `mandate: the client did not answer \`${msg.method.slice(0, 100)}\` within ${this.o.callTimeoutMs} ms` } }) });
  }

  /**
   * Buffer an audit record (written at the next flush); false (and reported) when the log is unusable.
   * `urgent`: written at once, before the caller answers the client (denials, refusals). `at` and
   * `who`: the time of the event and the caller then, when the record is built later.
   */
  record(e: RecordFields, urgent = false, at?: number, who: Identity = this.o.identity): boolean {
    return this.recordAs(e, undefined, urgent, at, who);
  }

  /**
   * `record` of an entry whose JSON is already made: `members` is exactly `JSON.stringify(e()).slice(1, -1)`,
   * its first member `kind` (so spliceable) and none of the members the guard adds; `e` is called only when
   * an observer wants the record as an object.
   */
  recordSerialised(e: () => RecordFields, members: string, urgent = false): boolean {
    return this.recordAs(e, members, urgent, undefined, this.o.identity);
  }

  private recordAs(e: RecordFields | (() => RecordFields), made: string | undefined, urgent: boolean, at: number | undefined, who: Identity): boolean {
    const time = isoTime(at ?? this.o.now());
    const entry = (): AuditEntry => {
      const { principal, roles, client } = who;
      return { time, session: this.o.session, server: this.o.server, caller: { principal, roles, ...(client ? { client } : {}) }, ...(typeof e === 'function' ? e() : e) };
    };
    try {
      // the session's own members are serialised once (`commonJson`); the line is the same text either way
      let members = made;
      if (members === undefined && typeof e !== 'function') {
        const body = JSON.stringify(e);
        if (spliceable(body) && !OWN_MEMBERS.some((k) => k in e)) members = body.slice(1, -1);
      }
      if (members !== undefined) this.o.audit.enqueueMembers(`"time":"${time}",${this.commonJson(who)},${members}`, entry);
      else this.o.audit.enqueue(entry());
      // INVARIANT: an urgent record (a denial, a refusal) is written now, before the answer that follows it — and when
      // that write fails the caller hears so (false), and answers with the audit failure, never as if it were on disk
      if (urgent) return this.flush();
      this.scheduleFlush();
      return true;
    } catch (err) {
      if (!(err instanceof AuditWriteError)) throw err;
      this.o.log(`mandate proxy: ${err.message}`);
      return false;
    }
  }

  /** `"session":…,"server":…,"caller":{…}` of this session's records, serialised again only when the identity changes. */
  private commonJson(who: Identity): string {
    const { principal, roles, client } = who;
    const c = this.common;
    if (c && c.principal === principal && c.roles === roles && c.count === roles.length && c.client === client) return c.json;
    const json = JSON.stringify({ session: this.o.session, server: this.o.server, caller: { principal, roles, ...(client ? { client } : {}) } }).slice(1, -1);
    this.common = { principal, roles, count: roles.length, client, json };
    return json;
  }

  /**
   * Held calls flush at the end of this tick (they wait for it); records that answer nothing (outcomes,
   * session events) flush after the loop's I/O, off the path of the answer the client waits for.
   */
  private scheduleFlush(urgent = false): void {
    if (urgent && !this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(this.flush);
    } else if (!urgent && !this.lazyScheduled) {
      this.lazyScheduled = true;
      setImmediate(() => {
        this.lazyScheduled = false;
        this.flush();
        // off the path of any answer: the next decision record need not hash this one first
        this.o.audit.hashLast();
      });
    }
  }

  /**
   * Write buffered records with one system call, then release the calls they allowed; false when the write failed.
   * INVARIANT: a held call reaches the server only after its decision record is written; if the
   * write fails, every held call is denied instead.
   */
  readonly flush = (): boolean => {
    this.flushScheduled = false;
    let failure: string | undefined;
    try {
      this.o.audit.flush();
    } catch (err) {
      failure = (err as Error).message;
      this.o.log(`mandate proxy: ${failure}`);
    }
    const held = this.held;
    this.held = [];
    for (const h of held) {
      // a held call settled meanwhile (upstream gone, cancelled) has had its answer already — and its id may
      // since belong to another request, so it is this call's own tracking entry that must still be there
      if (this.forwarded.get(key(h.msg.id)) !== h.f) continue;
      // INVARIANT: a write that failed since the call was held may have taken its record (the log is shared by the
      // sessions of an HTTP proxy, and may have been written again since): denied, whatever this flush did
      const lost = failure !== undefined || this.o.audit.failures !== h.failures;
      if (!lost && this.upstreamUp) {
        h.f.sent = true;
        if (h.line !== undefined && this.o.toUpstreamRaw) this.o.toUpstreamRaw(h.line);
        else this.o.toUpstream(h.msg as JSONRPCMessage);
        continue;
      }
      this.forwarded.delete(key(h.msg.id));
      if (lost) h.denied();
      else this.notRunning(h.msg.id, h.f);
    }
    return failure === undefined;
  };

  /** Answer a client request with a JSON-RPC error. */
  replyError(id: RpcId, code: number, message: string, data?: unknown): void {
    this.o.toClient({ jsonrpc: '2.0', id, error: { code, message, ...(data !== undefined ? { data } : {}) } });
  }
}
