// tools/call under the guard: decide before forwarding, write the decision record first, route
// approvals, forward the re-serialised checked arguments, record the outcome.

import { createHmac, randomBytes } from 'node:crypto';
import { canonicalJson, decide, redact, type Decision, type Json, type ToolInfo } from '../../policies';
import type { ApprovalRequest } from './approvalProtocol';
import type { ApprovalOutcome } from './approvals';
import { idKey, type RpcId } from './framing';
import type { Guard } from './guard';
import { sha256 } from './hash';
import { CONFLICT } from './pins';
import { RPC } from './types';

type Msg = Record<string, unknown> & { id?: RpcId; params?: Record<string, unknown> };
type CallMsg = Msg & { id: RpcId; method: string };
type RecordFields = Parameters<Guard['record']>[0];

/** How long a call waits for the server's tool list before it is denied (it is never decided without it). */
export const LIST_WAIT_MS = 10_000;

const builtinDeny = (id: string, message: string): Decision => {
  const rule = { kind: 'builtin' as const, id, pointer: '' };
  return { effect: 'deny', rules: [rule], reasons: [{ code: 'engine_error', rule, message }] };
};

/** Whether a parsed value holds a number JSON.stringify cannot write (1e400 parses to Infinity, written as null). */
function hasNonFinite(v: unknown): boolean {
  if (typeof v === 'number') return !Number.isFinite(v);
  if (Array.isArray(v)) return v.some(hasNonFinite);
  if (v !== null && typeof v === 'object') return Object.values(v).some(hasNonFinite);
  return false;
}

/** The tools/call logic of one guard. */
export class ToolCalls {
  /** whether the server's tool list (pins, schemas) is in hand; calls wait for it, and are denied without it */
  private known = false;
  /** calls waiting for the tool list, by request id */
  private listWaiters = new Map<string, { msg: CallMsg; timer: NodeJS.Timeout }>();
  /** calls waiting for a human, by request id → approval id; and those the client cancelled meanwhile */
  private approving = new Map<string, string>();
  private cancelled = new Set<string>();
  /** each tool's digest as this session's server last listed it (pins.CONFLICT for a name listed twice differently) */
  private seen = new Map<string, string>();
  /** the `policy` member of decision records, serialised again only when the policy changes */
  private policyJson: { file: string; version: string; json: string } | undefined;

  /** approval id → the request id of its call, for recording late answers (bounded like the broker's memory) */
  private askedBy = new Map<string, RpcId>();

  /**
   * The key of this session's argument digests when the policy redacts arguments: never written anywhere.
   * INVARIANT: a record never holds a plain hash of arguments it redacts — with every other argument in clear
   * beside it, anyone holding the log (or its OpenTelemetry copy) could try card numbers, PINs or passwords
   * until one hashed the same; keyed, the digest still ties a decision to its approval records, and nothing more.
   */
  private readonly digestKey = randomBytes(32);

  constructor(private readonly g: Guard) {
    g.o.approvals.subscribe((e) => {
      if (e.type !== 'late') return;
      const a = e.approval;
      const requestId = this.askedBy.get(a.id);
      // after the settlement's own record, which is written when its promise resolves (microtasks run first)
      // an error record, not an approval one: it is no outcome of the approval (reviews and alerts count those)
      setImmediate(() => this.g.record({ kind: 'error', ...(requestId !== undefined ? { request_id: requestId } : {}), tool: a.tool, args_digest: a.args_digest,
        error: { code: 'approval_late', message: `${e.verdict} of approval ${a.id} by ${e.by ?? 'someone'} (${e.via}) arrived after it was settled (${e.settled}): not applied` } }, true));
    });
  }

  /** A new server is up: calls wait for its tool list (checked against the pins) before they are decided. */
  forgetTools(): void {
    this.known = false;
  }

  /**
   * The server's tool list arrived: pins, schemas; `failed` when the list could not be had (`why`: the error
   * answered; `gone`: the server is not running or not reachable).
   */
  learn(tools: readonly ToolInfo[], failed: boolean, why = 'no tool list in the answer', gone = false): void {
    if (failed) {
      // INVARIANT: no call is decided without the server's tool list (drift, schemas): the waiting ones are
      // denied, and the next call asks again
      this.known = false;
      const waiting = this.takeListWaiters();
      const reason = why.slice(0, 300);
      // the server gone is the transport's failure: the client hears it as such (a JSON-RPC error), not as a tool result
      const asError = gone ? { code: RPC.upstream, message: `the upstream server \`${this.g.o.server}\` is not reachable (${reason}); the call failed closed` } : undefined;
      for (const msg of waiting) {
        this.decideAndRun(msg, builtinDeny('tool-list', `denied: the server's tool list could not be read (${reason}), so the call cannot be checked against its pins and schema`), asError);
      }
      return;
    }
    const clean = usableTools(tools);
    this.g.o.policy.setTools(clean);
    this.observe(clean, true);
    this.known = true;
    for (const msg of this.takeListWaiters()) this.decideAndRun(msg);
  }

  /** The calls waiting for the tool list, no longer waiting (their timers stopped). */
  private takeListWaiters(): CallMsg[] {
    const waiting = [...this.listWaiters.values()];
    this.listWaiters.clear();
    for (const w of waiting) clearTimeout(w.timer);
    return waiting.map((w) => w.msg);
  }

  /**
   * A tools/list page the client asked for: checked against the pins like the guard's own fetch, but it
   * replaces neither the schemas nor what the session knows of tools on other pages.
   */
  listed(tools: readonly ToolInfo[]): void {
    this.observe(usableTools(tools), false);
  }

  /** Whether this session's server shows `tool` other than pinned (changed, or listed twice differently). */
  drifted(tool: string): boolean {
    const pins = this.g.o.pins;
    const seen = this.seen.get(tool);
    if (!pins || seen === undefined || seen === pins.pinned(tool, false)) return false;
    return seen !== pins.pinned(tool); // the file may hold an accepted change: read it again before denying
  }

  private observe(tools: readonly ToolInfo[], complete: boolean): void {
    const pins = this.g.o.pins;
    if (!pins) return;
    const { drifts, seen } = pins.observe(tools);
    if (complete) this.seen = seen;
    else for (const [name, digest] of seen) this.seen.set(name, digest);
    for (const d of drifts) {
      this.g.o.log(`mandate proxy: tool \`${d.tool}\` of \`${this.g.o.server}\` changed since it was pinned; calls to it are denied until it is reviewed (\`mandate pins list\`) and accepted`);
      this.g.record({ kind: 'drift', tool: d.tool, detail: { pinned: d.pinned.digest, seen: seen.get(d.tool) === CONFLICT ? CONFLICT : d.seen.digest, pins: pins.file } });
    }
  }

  /** A tools/call from the client. */
  handle(msg: CallMsg): void {
    if (this.known) return this.decideAndRun(msg);
    const k = idKey(msg.id);
    const timer = setTimeout(() => {
      if (this.listWaiters.get(k)?.msg !== msg) return;
      this.listWaiters.delete(k);
      this.decideAndRun(msg, builtinDeny('tool-list', `denied: the server's tool list did not arrive within ${LIST_WAIT_MS / 1000} s, so the call cannot be checked against its pins and schema`));
    }, LIST_WAIT_MS);
    timer.unref();
    this.listWaiters.set(k, { msg, timer });
    this.g.ensureTools();
  }

  /** Whether a call with this id is waiting (for the tool list or a human). */
  isWaiting(id: RpcId): boolean {
    const k = idKey(id);
    return this.listWaiters.has(k) || this.approving.has(k);
  }

  /**
   * The client cancelled request `id`: a call still waiting is settled here, recorded, and never sent (and,
   * as MCP asks, not answered). False when no call of that id is waiting.
   */
  cancelWaiting(id: RpcId): boolean {
    const k = idKey(id);
    const w = this.listWaiters.get(k);
    if (w) {
      clearTimeout(w.timer);
      this.listWaiters.delete(k);
      const tool = w.msg.params?.['name'];
      this.g.record({ kind: 'error', method: 'tools/call', request_id: id, ...(typeof tool === 'string' ? { tool } : {}), error: { code: 'cancelled', message: 'cancelled by the client before it was decided' } });
      return true;
    }
    const approval = this.approving.get(k);
    if (approval === undefined) return false;
    this.cancelled.add(k);
    this.g.o.approvals.cancel(approval, 'cancelled by the client');
    return true;
  }

  /**
   * Decide a call (or take `forced`, a decision made for it elsewhere), record the decision, then act on it;
   * a forced denial is answered with `asError` when given (a JSON-RPC error instead of a tool result).
   */
  private decideAndRun(msg: CallMsg, forced?: Decision, asError?: { code: number; message: string }): void {
    const { o } = this.g;
    const params = msg.params ?? {};
    const tool = params['name'];
    if (typeof tool !== 'string') {
      this.g.record({ kind: 'error', method: 'tools/call', request_id: msg.id, error: { code: 'invalid_params', message: 'tools/call needs a string `name`' } });
      return this.g.replyError(msg.id, RPC.invalidParams, 'tools/call needs a string `name`');
    }
    const args = params['arguments'] === undefined ? {} : params['arguments'];
    // the checked arguments are serialised once: for the record (unless redacted) and for the server
    const argsJson = JSON.stringify(args);
    // INVARIANT: the server gets exactly the value decided on; a number JSON cannot carry would arrive as null
    const d = forced ?? (argsJson.includes('null') && hasNonFinite(args)
      ? builtinDeny('malformed-arguments', 'denied: the arguments hold a number too large for JSON (it would reach the server as null)')
      : this.decideCall(tool, args));
    const redactKeys = o.policy.current.redact;
    // the digest binds approvals and stands in for redacted values (keyed then: see digestKey); plain calls carry their arguments
    const digest = redactKeys.size > 0 ? createHmac('sha256', this.digestKey).update(canonicalJson(args), 'utf8').digest('hex')
      : d.effect === 'approval_required' ? sha256(canonicalJson(args)) : undefined;
    const entry = (): RecordFields => ({
      kind: 'decision', method: 'tools/call', request_id: msg.id, tool, args: redactKeys.size > 0 ? redact(args, redactKeys) : args as Json,
      ...(digest ? { args_digest: digest } : {}), ...this.decisionFields(d),
    });
    // INVARIANT: the decision record is written before anything is forwarded; no record, no call.
    // INVARIANT: a denial is on disk before the client hears it (never only the successes).
    const recorded = redactKeys.size > 0 ? this.g.record(entry(), d.effect === 'deny')
      : this.g.recordSerialised(entry, `"kind":"decision","method":"tools/call","request_id":${JSON.stringify(msg.id)},"tool":${JSON.stringify(tool)},"args":${argsJson}${digest ? `,"args_digest":"${digest}"` : ''},${this.decisionFieldsJson(d)}`, d.effect === 'deny');
    if (!recorded) return this.denyResult(msg.id, tool, ['the audit log cannot be written, so the call is denied']);
    if (d.effect === 'deny' && asError) return this.g.replyError(msg.id, asError.code, asError.message);
    if (d.effect === 'deny') return this.denyResult(msg.id, tool, d.reasons.map((r) => r.message));
    if (d.effect === 'allow') return this.send(msg, tool, args, argsJson);
    const asked = this.approve(msg, tool, args, digest!, d);
    if (!asked) return this.denyResult(msg.id, tool, ['the audit log cannot be written, so the call is denied']);
    void asked.outcome.then(async (out) => {
      // INVARIANT: a yes counts only while the credential that made the call holds: a token revoked (or expired)
      // while the human thought it over is no authority for the call
      const lapsed = out.state === 'granted' && this.g.o.callAuthority ? await this.g.o.callAuthority(msg.id) : undefined;
      this.approved(msg, tool, args, digest!, asked.req, out, lapsed);
    });
  }

  private decideCall(tool: string, args: unknown): Decision {
    const { o } = this.g;
    const trouble = o.pins?.trouble();
    if (trouble !== undefined) return builtinDeny('tool-pinning', `denied: the tool pins cannot be trusted now (${trouble})`);
    const drifted = this.drifted(tool);
    if (drifted) {
      return builtinDeny('tool-pinning', this.seen.get(tool) === CONFLICT
        ? `denied: the server lists \`${tool}\` twice with different definitions`
        : `denied: the definition of \`${tool}\` changed since it was pinned (a person reviews it with \`mandate pins list\` and accepts it with the command printed there)`);
    }
    const { principal, roles } = o.identity;
    return decide(o.policy.current, { principal, roles, tool, args, context: o.context, now: o.now() });
  }

  /** Audit fields for a decision. */
  decisionFields(d: Decision): { decision: { effect: Decision['effect']; rules: string[]; reasons: string[] }; policy: { file: string; version: string } } {
    const p = this.g.o.policy;
    return { decision: { effect: d.effect, rules: d.rules.map((r) => r.id), reasons: d.reasons.map((r) => r.message) }, policy: { file: p.file, version: p.version } };
  }

  /** `JSON.stringify(this.decisionFields(d)).slice(1, -1)`, made without the intermediate objects. */
  decisionFieldsJson(d: Decision): string {
    const p = this.g.o.policy;
    let rules = '';
    for (const r of d.rules) rules += `${rules ? ',' : ''}${JSON.stringify(r.id)}`;
    let reasons = '';
    for (const r of d.reasons) reasons += `${reasons ? ',' : ''}${JSON.stringify(r.message)}`;
    if (this.policyJson?.file !== p.file || this.policyJson.version !== p.version) {
      this.policyJson = { file: p.file, version: p.version, json: JSON.stringify({ file: p.file, version: p.version }) };
    }
    return `"decision":{"effect":${JSON.stringify(d.effect)},"rules":[${rules}],"reasons":[${reasons}]},"policy":${this.policyJson.json}`;
  }

  /**
   * Forward the call with its arguments re-serialised from the checked value (`argsJson`: that
   * serialisation when already made); the line is exactly `JSON.stringify` of the message.
   */
  private send(msg: CallMsg, tool: string, args: unknown, argsJson = JSON.stringify(args)): void {
    // INVARIANT: of `_meta` only a progress token goes on (protocol plumbing); anything else in it would reach
    // the server unchecked and unrecorded
    const token = (msg.params?.['_meta'] as { progressToken?: unknown } | undefined)?.progressToken;
    const meta = typeof token === 'string' || typeof token === 'number' ? { progressToken: token } : undefined;
    const params = { name: tool, arguments: args, ...(meta !== undefined ? { _meta: meta } : {}) };
    const line = `{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"method":"tools/call","params":{"name":${JSON.stringify(tool)},"arguments":${argsJson}${meta !== undefined ? `,"_meta":${JSON.stringify(meta)}` : ''}}}`;
    this.g.forward({ jsonrpc: '2.0', id: msg.id, method: 'tools/call', params }, 'tools/call', tool, true, line);
  }

  /** A held call whose decision record could not be written: denied. */
  auditDenied(id: RpcId, tool: string): void {
    this.denyResult(id, tool, ['the audit log cannot be written, so the call is denied']);
  }

  private denyResult(id: RpcId, tool: string, reasons: string[]): void {
    const text = `mandate denied \`${tool}\`: ${reasons.join('; ')}`;
    this.g.o.toClient({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }], isError: true } });
  }

  /** The outcome of a forwarded call (a result, an error reply, or a failure with no reply) that ended `at`, for caller `who`. */
  outcome(id: RpcId, f: { method: string; tool?: string; start: number }, reply: Msg | undefined, failure: { code: string; message: string } | undefined, raw?: string, at = this.g.o.now(), who = this.g.o.identity): void {
    const result = reply?.['result'] as { isError?: unknown } | undefined;
    const isError = failure !== undefined || reply?.['error'] !== undefined || result?.isError === true;
    // the digest is of the reply line as the server sent it (or of the result re-serialised)
    const digest = result !== undefined ? sha256(raw ?? JSON.stringify(result)) : undefined;
    this.g.record({
      kind: 'outcome', method: f.method, request_id: id, ...(f.tool !== undefined ? { tool: f.tool } : {}),
      result: { is_error: isError, latency_ms: at - f.start, ...(digest ? { digest } : {}) },
      ...(failure ? { error: failure } : {}),
    }, false, at, who);
  }

  /** Ask a human about the call; undefined (nobody asked) when the ask cannot be recorded. */
  private approve(msg: CallMsg, tool: string, args: unknown, digest: string, d: Decision): { req: ApprovalRequest; outcome: Promise<ApprovalOutcome> } | undefined {
    const { o } = this.g;
    const now = o.now();
    const req: ApprovalRequest = {
      id: o.approvals.newId(), session: o.session, server: o.server, tool, principal: o.identity.principal, roles: o.identity.roles,
      ...(o.identity.client ? { client: o.identity.client } : {}),
      args: redact(args, o.policy.current.redact), args_digest: digest, policy_version: o.policy.version,
      reasons: d.reasons.map((r) => r.message), asked_at: new Date(now).toISOString(), expires_at: new Date(now + o.approvals.timeoutMs).toISOString(),
    };
    // INVARIANT: a human is asked through the client only when the whole call fits in what they are shown
    const prompt = elicitationMessage(req);
    const offered = this.g.clientElicitation && o.noElicitation !== true;
    const elicit = offered && prompt.length <= ELICIT_MAX;
    if (offered && !elicit) o.log(`mandate proxy: approval ${req.id}: the call is too large to show in the client (${prompt.length} characters); answer it in the editor or a terminal`);
    // asked on the approval channel: the editor or a terminal may answer (the answer's record says which)
    const via = elicit ? 'elicitation' : 'channel';
    // INVARIANT: the ask is on disk before anyone is asked (a proxy killed meanwhile leaves no approval unrecorded)
    if (!this.g.record({ kind: 'approval', request_id: msg.id, tool, args_digest: digest, approval: { id: req.id, state: 'asked', via } }, true)) return undefined;
    const flags = o.answerFlags ?? '';
    o.log(`mandate proxy: approval ${req.id} needed for \`${tool}\` — answer with \`mandate approve ${req.id}${flags}\` or \`mandate refuse ${req.id}${flags}\``);
    const outcome = o.approvals.ask(req);
    this.approving.set(idKey(msg.id), req.id);
    this.askedBy.set(req.id, msg.id);
    if (this.askedBy.size > 1000) this.askedBy.delete(this.askedBy.keys().next().value!);
    if (elicit) this.elicit(req, prompt, msg.id);
    return { req, outcome };
  }

  private elicit(req: ApprovalRequest, message: string, related: RpcId): void {
    const requestedSchema = { type: 'object', properties: { approve: { type: 'boolean', title: 'Approve this call', default: false } }, required: ['approve'] };
    this.g.requestClient('elicitation/create', { message, requestedSchema }, (answer) => {
      const r = answer['result'] as { action?: unknown; content?: { approve?: unknown } } | undefined;
      const yes = r?.action === 'accept' && r.content?.approve === true;
      if (r !== undefined) this.g.o.approvals.answer(req.id, yes ? 'approve' : 'refuse', 'elicitation', this.g.o.identity.client?.name ?? 'client');
    }, { related, timeoutMs: this.g.o.approvals.timeoutMs }); // the question stands as long as the approval does
  }

  /** A human answered (`lapsed`: why the caller's credential no longer holds, if it does not). */
  private approved(msg: CallMsg, tool: string, args: unknown, digest: string, req: ApprovalRequest, out: ApprovalOutcome, lapsed?: string): void {
    const { o } = this.g;
    const k = idKey(msg.id);
    this.approving.delete(k);
    const cancelled = this.cancelled.delete(k);
    let state = out.state;
    let note = out.message ?? (state === 'timeout' ? `no answer within ${+(o.approvals.timeoutMs / 1000).toFixed(1)} s` : undefined);
    // INVARIANT: an approval is bound to the policy version it was asked under (and single-use: the broker settles it once).
    if (state === 'granted' && o.policy.version !== req.policy_version) {
      state = 'refused';
      note = 'the policy changed while the approval was pending';
    }
    if (state === 'granted' && lapsed !== undefined) {
      state = 'refused';
      note = lapsed;
    }
    // INVARIANT: the call is decided again when the human says yes: a grant that lapsed, or a tool that drifted, meanwhile wins
    if (state === 'granted') {
      const again = this.decideCall(tool, args);
      if (again.effect === 'deny') {
        state = 'refused';
        note = `the call is no longer allowed: ${again.reasons.map((r) => r.message).join('; ')}`;
      }
    }
    const ok = this.g.record({ kind: 'approval', request_id: msg.id, tool, args_digest: digest,
      approval: { id: req.id, state, via: out.via, at: out.at, ...(out.by !== undefined ? { by: out.by } : {}) },
      ...(note ? { error: { code: `approval_${state}`, message: note } } : {}) }, state !== 'granted');
    if (cancelled) return; // the client withdrew the call: no answer is expected
    if (!ok) return this.denyResult(msg.id, tool, ['the audit log cannot be written, so the call is denied']);
    if (state !== 'granted') return this.denyResult(msg.id, tool, [`approval ${req.id} ${state}${note ? ` (${note})` : ''}`]);
    this.send(msg, tool, args);
  }
}

/** The longest approval prompt sent through the client: a longer one is not cut (the human must see the whole call) but not sent. */
const ELICIT_MAX = 4000;

/** What the human is asked through the client: the tool, why it needs approval, then the whole arguments. */
function elicitationMessage(req: ApprovalRequest): string {
  return `Approve the call to \`${req.tool}\` on \`${req.server}\`? ${req.reasons.join('; ')} Arguments: ${canonicalJson(req.args)}`;
}

function usableTools(tools: readonly ToolInfo[]): ToolInfo[] {
  return tools.filter((t) => t && typeof t.name === 'string').map(stripMeta);
}

function stripMeta(t: ToolInfo): ToolInfo {
  if (!t.inputSchema || !('$schema' in t.inputSchema)) return t;
  const { $schema: _s, ...schema } = t.inputSchema;
  return { ...t, inputSchema: schema };
}
