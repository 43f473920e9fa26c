// Model-based test of the HTTP listener proxy (fast-check fc.commands): SDK clients and raw HTTP requests with real
// JWTs (jose) → `node dist/cli.js proxy --listen 127.0.0.1:0 … --upstream URL` (a real process) → a recording HTTP
// server (test/fixtures/servers/http-recorder.mjs) that logs every call it runs, the upstream session it came in on and
// the audit log's size at that moment; the test stops and starts it on the same port.
// Principals: alice (role reader: `slow`, and `read` while the policy grants it), bob (writer: read, write within
// docs/, slow; payer: pay with a human's approval, while the policy binds payer to bob) and bob with a token narrowed
// to writer. Commands: open a session (valid token); present a bad token, on a new or an open session (expired, wrong
// audience, wrong issuer, unknown key, forged with a known kid, revoked by `mandate token revoke`, malformed, not
// Bearer, none, a subject the policy does not name); calls (allowed, denied by rule, by argument constraint, a tool the
// role lacks, approval answered with `mandate approve` / `mandate refuse`; alone or a few together); a call the server
// runs and never answers; another principal's token on a session, or its own principal's with other roles (refused
// when wider, narrowing the session when not), or any on a closed session; a session's token revoked while it runs; a
// session closed (DELETE); the upstream stopped and started; policy edits (a grant, an agent's roles, invalid ones).
// After every command, from the server's log and the proxy's audit log: no call ran without an allow (or grant) record
// for that call, that session and that principal on disk before it ran; no upstream session served two client
// sessions; denied calls and calls on refused requests were never decided nor run; every call has one decision record,
// with the principal and roles of the session that made it, and a forwarded one one outcome record (one in flight when
// its session closed: before the close record); every accepted or refused token is recorded as its own subject's;
// every refusal is recorded with its reason, and nothing else was refused; the chain verifies; the proxy is running.
// At the end of a run every session still open serves a call; the proxy stops, answering the calls still in flight
// (each with its outcome record), and `mandate audit verify` passes on its log.

import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fc from 'fast-check';
import type { JWK } from 'jose';
import type { AuditRecord, Effect } from '../../../policies';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { httpProxy, spawnUntil, stop, type Proc } from '../../e2e/http/support';
import { FIXTURES, tempDir } from '../../e2e/proxy/support';
import { runCli } from '../../support/cli';
import { alive, auditRecords, decisionOf, hear, loggedCalls, pause, until, type Heard } from '../../support/modelRun';
import { fcParams } from '../../support/seed';

const CALL_TIMEOUT_MS = 20_000;
const PROTOCOL = '2025-06-18';

/** The policy: `open` grants reader `read`; `bobPays` binds the payer role to bob. */
const policyText = (p: { open: boolean; bobPays: boolean }, edit: number): string => `version: 1
# edit ${edit}
roles:
  reader: { description: Reads. }
  writer: { description: Reads and writes docs. }
  payer: { description: Pays with a human's approval. }
scopes:
  docs_only: { args: { path: { within: [docs/] } } }
grants:
  - { agent_role: reader, tools: [slow] }
${p.open ? '  - { agent_role: reader, tools: [read] }\n' : ''}  - { agent_role: writer, tools: [read, drop, slow] }
  - { agent_role: writer, tool: write, scope: [docs_only] }
  - { agent_role: payer, tool: pay, requires_approval: true }
deny:
  - { id: no-drop, tools: [drop], reason: Never. }
agents:
  alice: { roles: [reader] }
  bob: { roles: [${p.bobPays ? 'writer, payer' : 'writer'}] }
`;
const BROKEN = [
  (edit: number): string => `version: 1\n# edit ${edit}\nroles: { reader: { description: Reads. }\ngrants: [\n`, // not YAML
  (edit: number): string => `version: 1\n# edit ${edit}\nroles: { reader: { description: Reads. } }\ngrants:\n  - { agent_role: reader, tools: [read], scoop: [x] }\n`, // not the schema
];

type Who = 'alice' | 'bob' | 'bob-narrow';
const SUBJECT: Record<Who, string> = { 'alice': 'alice', 'bob': 'bob', 'bob-narrow': 'bob' };
/** the roles claim each kind of token carries */
const CLAIM: Record<Who, string[] | undefined> = { 'alice': undefined, 'bob': undefined, 'bob-narrow': ['writer'] };

type Kind = 'read' | 'write-docs' | 'write-out' | 'drop' | 'pay' | 'slow';
const CALLS: Record<Kind, { tool: string; args: (n: number) => Record<string, unknown> }> = {
  'read': { tool: 'read', args: (n) => ({ n }) },
  'write-docs': { tool: 'write', args: (n) => ({ n, path: `docs/f${n}.md` }) },
  'write-out': { tool: 'write', args: (n) => ({ n, path: `docs/../secrets/f${n}` }) },
  'drop': { tool: 'drop', args: (n) => ({ n }) },
  'pay': { tool: 'pay', args: (n) => ({ n, amount: 5 }) },
  'slow': { tool: 'slow', args: (n) => ({ n, sse: false }) },
};

type BadToken = 'expired' | 'wrong-audience' | 'wrong-issuer' | 'unknown-key' | 'forged' | 'revoked' | 'malformed' | 'not-bearer' | 'none' | 'stranger';
/** the reason each bad token is refused with (the `auth` record's error code) and the HTTP status */
const REFUSAL: Record<BadToken, { code: string; status: number }> = {
  'expired': { code: 'expired', status: 401 },
  'wrong-audience': { code: 'wrong_audience', status: 401 },
  'wrong-issuer': { code: 'wrong_issuer', status: 401 },
  'unknown-key': { code: 'unknown_kid', status: 401 },
  'forged': { code: 'bad_signature', status: 401 },
  'revoked': { code: 'revoked', status: 401 },
  'malformed': { code: 'malformed', status: 401 },
  'not-bearer': { code: 'malformed', status: 401 },
  'none': { code: 'no_token', status: 401 },
  'stranger': { code: 'no_roles', status: 403 },
};

/** Roles a token of `who` maps to under the policy. */
function rolesOf(m: Readonly<Model>, who: Who): string[] {
  const bound = SUBJECT[who] === 'alice' ? ['reader'] : m.bobPays ? ['writer', 'payer'] : ['writer'];
  const claim = CLAIM[who];
  return claim === undefined ? bound : claim.filter((r) => bound.includes(r));
}

/** The effect the policy gives a call of `kind` by a caller with `roles`. */
function effectOf(m: Readonly<Model>, roles: readonly string[], kind: Kind): Effect {
  switch (kind) {
    case 'read': return roles.includes('writer') || (roles.includes('reader') && m.open) ? 'allow' : 'deny';
    case 'write-docs': return roles.includes('writer') ? 'allow' : 'deny';
    case 'write-out': case 'drop': return 'deny';
    case 'pay': return roles.includes('payer') ? 'approval_required' : 'deny';
    case 'slow': return roles.includes('reader') || roles.includes('writer') ? 'allow' : 'deny';
  }
}

/** What the client heard. */

interface SessionModel {
  who: Who;
  /** the session's roles: those it opened with, narrowed by every request whose token maps to fewer */
  roles: string[];
  closed: boolean;
  /** a call has gone through this session's link since the server started, and nothing has ended the link since */
  linked: boolean;
}

interface Model {
  open: boolean;
  bobPays: boolean;
  /** valid policy edits so far (an approval is bound to the version it was asked under) */
  version: number;
  up: boolean;
  sessions: SessionModel[];
  /** approvals asked and not yet settled */
  pending: number;
}

interface SessionReal {
  who: Who;
  id: string;
  client: Client;
  transport: StreamableHTTPClientTransport;
  /** the token the client presents (swapped when the test revokes it) */
  token: { value: string; jti: string };
}

interface Pending { n: number; session: number; approval: string; version: number; heard: Promise<Heard> }

/** A call the test made: by which session (and so principal), with which roles; or refused before any decision. */
interface Made { session: string; principal: string; roles: string[]; effect: Effect; listDenial: boolean; refused: boolean }

interface Real {
  dir: string;
  policyFile: string;
  calls: string;
  audit: string;
  port: number;
  server: Proc | undefined;
  proxy: Proc & { url: string };
  key: JWK;
  /** a key the proxy does not know, with a kid of its own and with the real key's kid */
  stranger: JWK;
  sessions: SessionReal[];
  next: number;
  edits: number;
  made: Map<number, Made>;
  heard: Map<number, Heard>;
  pending: Pending[];
  /** calls the server ran and never answers (`slow`), still in flight */
  inflight: Array<{ n: number; session: number; heard: Promise<Heard> }>;
  /** jti → the subject it was issued to */
  jtis: Map<string, string>;
  /** refusals the test caused, by reason code */
  refusals: Map<string, number>;
  /** a client heard a denial before the record that decided it was on disk */
  violations: string[];
}

interface Executed { id: string | number; tool: string; arguments: { n?: number } | null; watched: number; session: string }

/** The audit log's records, each with the byte offset where its line ends, after the chain verifies. */
const audit = (r: Real): Array<AuditRecord & { end: number }> => auditRecords(r.audit);

const executed = (r: Real): Executed[] => loggedCalls<Executed>(r.calls);

const sameRequest = (x: AuditRecord, d: AuditRecord): boolean => x.request_id === d.request_id && x.session === d.session;
const settlementOf = (recs: AuditRecord[], d: AuditRecord): AuditRecord[] => recs.filter((x) => x.kind === 'approval' && sameRequest(x, d) && x.approval!.state !== 'asked');

function forwarded(recs: AuditRecord[], n: number): boolean {
  const d = decisionOf(recs, n)[0];
  if (!d) return false;
  return d.decision!.effect === 'allow' || settlementOf(recs, d).some((x) => x.approval!.state === 'granted');
}

/** The safety properties, after every command. */
async function check(m: Readonly<Model>, r: Real): Promise<void> {
  await until('the decision and outcome records of the answered calls', () => {
    const recs = audit(r);
    return [...r.heard.keys()].every((n) => r.made.get(n)!.refused || decisionOf(recs, n).length > 0)
      && [...r.heard.keys()].every((n) => !forwarded(recs, n) || recs.some((x) => x.kind === 'outcome' && sameRequest(x, decisionOf(recs, n)[0]!)))
      && recs.filter((x) => x.kind === 'auth' && x.error).length >= [...r.refusals.values()].reduce((a, b) => a + b, 0);
  });
  const recs = audit(r);
  const ran = executed(r);
  for (const [n, made] of r.made) {
    const d = decisionOf(recs, n);
    const times = ran.filter((c) => c.arguments?.n === n).length;
    assert.ok(times <= 1, `call n=${n} ran at most once (${times})`);
    if (made.refused) {
      assert.equal(d.length, 0, `call n=${n} came with a refused request and was never decided`);
      assert.equal(times, 0, `call n=${n} came with a refused request and never ran`);
      continue;
    }
    assert.equal(d.length, 1, `call n=${n} has exactly one decision record`);
    const rec = d[0]!;
    assert.equal(rec.session, made.session, `call n=${n} is recorded in the session that made it`);
    assert.deepEqual(rec.caller && { principal: rec.caller.principal, roles: rec.caller.roles }, { principal: made.principal, roles: made.roles }, `call n=${n} is decided as its own session's caller, with its roles`);
    const { effect, rules } = rec.decision!;
    if (!(made.listDenial && effect === 'deny' && rules.includes('tool-list'))) assert.equal(effect, made.effect, `call n=${n} decided as the model says (${rules.join(', ')})`);
    const asked = recs.filter((x) => x.kind === 'approval' && sameRequest(x, rec) && x.approval!.state === 'asked');
    assert.equal(asked.length, effect === 'approval_required' ? 1 : 0, `call n=${n}: one approval asked when one is required`);
    assert.ok(settlementOf(recs, rec).length <= 1, `call n=${n}: its approval is settled at most once`);
    const fwd = forwarded(recs, n);
    if (!fwd) assert.equal(times, 0, `call n=${n} was denied or refused and never ran`);
    const outcomes = recs.filter((x) => x.kind === 'outcome' && x.method === 'tools/call' && sameRequest(x, rec));
    if (!fwd) assert.equal(outcomes.length, 0, `call n=${n} was not forwarded and has no outcome record`);
    else if (r.heard.has(n)) assert.equal(outcomes.length, 1, `forwarded call n=${n} has exactly one outcome record`);
    for (const o of outcomes) assert.equal(o.caller?.principal, made.principal, `the outcome of n=${n} names its caller`);
  }
  // every call the server ran: one the test made, allowed (or granted) for that call, session and principal on disk
  // before it ran; one upstream session serves one client session only
  const upstreamOf = new Map<string, string>();
  for (const c of ran) {
    const n = c.arguments?.n;
    assert.ok(n !== undefined && r.made.has(n), `the server ran a call the test made (${JSON.stringify(c)})`);
    const made = r.made.get(n)!;
    const d = decisionOf(recs, n)[0];
    const allowing = recs.find((x) => x.end <= c.watched && d !== undefined && ((x === d && x.decision!.effect === 'allow') || (x.kind === 'approval' && sameRequest(x, d) && x.approval!.state === 'granted')));
    assert.ok(allowing, `call n=${n} reached the server with an allow record for it on disk before it ran`);
    assert.equal(allowing.session, made.session, `call n=${n} was allowed in its own session`);
    assert.equal(allowing.caller?.principal, made.principal, `call n=${n} was allowed for the principal who made it`);
    const client = upstreamOf.get(c.session);
    assert.ok(client === undefined || client === made.session, `upstream session ${c.session} served client sessions ${client} and ${made.session}`);
    upstreamOf.set(c.session, made.session);
  }
  // every record of a session names that session's principal; every accepted token its own subject
  const principalOf = new Map(r.sessions.map((s) => [s.id, SUBJECT[s.who]]));
  for (const x of recs) {
    if (x.kind === 'auth' && (x.detail as { outcome?: string } | undefined)?.outcome === 'accepted') {
      const jti = (x.detail as { jti?: string }).jti!;
      assert.equal(x.caller?.principal, r.jtis.get(jti), `token ${jti} is accepted as the subject it was issued to`);
      if (x.session !== undefined && principalOf.has(x.session)) assert.equal(x.caller?.principal, principalOf.get(x.session), `an accepted token in session ${x.session} is its principal's`);
      continue;
    }
    if (x.kind === 'auth') {
      // a refused token is recorded as what it claimed, its accepted-then-refused caller as its own subject
      const detail = x.detail as { jti?: string; claimed?: { sub?: string; jti?: string } } | undefined;
      if (detail?.jti !== undefined && x.caller?.principal !== null) assert.equal(x.caller?.principal, r.jtis.get(detail.jti), `refused token ${detail.jti} is recorded as its subject's`);
      if (detail?.claimed?.jti !== undefined && r.jtis.has(detail.claimed.jti)) assert.equal(detail.claimed.sub, r.jtis.get(detail.claimed.jti), `refused token ${detail.claimed.jti} claimed its subject`);
      continue;
    }
    if (x.session === undefined || !principalOf.has(x.session) || x.caller === undefined) continue;
    assert.equal(x.caller.principal, principalOf.get(x.session), `a ${x.kind} record of session ${x.session} names its principal`);
  }
  // every refusal the test caused is recorded with its reason, and nothing else was refused
  const refused = new Map<string, number>();
  for (const x of recs) if (x.kind === 'auth' && x.error) refused.set(x.error.code, (refused.get(x.error.code) ?? 0) + 1);
  assert.deepEqual(Object.fromEntries([...refused].sort()), Object.fromEntries([...r.refusals].sort()), 'refusals recorded, by reason');
  assert.deepEqual(r.violations, [], 'a denial is on disk before the client hears it');
  assert.ok(r.proxy.child.exitCode === null && alive(r.proxy.child.pid!), 'the proxy is still running');
  assert.equal(r.pending.length, m.pending, 'the test tracks the approvals the model has pending');
}

const refuse = (r: Real, code: string): void => void r.refusals.set(code, (r.refusals.get(code) ?? 0) + 1);

async function token(r: Real, who: Who, o: { key?: JWK; aud?: string; iss?: string; now?: number } = {}): Promise<{ value: string; jti: string }> {
  const claim = CLAIM[who];
  const t = await issueToken({ key: o.key ?? r.key, sub: SUBJECT[who], aud: o.aud ?? r.proxy.url, iss: o.iss ?? 'urn:mandate:local', ttlSec: 600, now: o.now ?? Date.now(), ...(claim ? { roles: claim } : {}) });
  r.jtis.set(t.jti, SUBJECT[who]);
  return { value: t.token, jti: t.jti };
}

async function revoke(r: Real, jti: string): Promise<void> {
  const rev = await runCli(['token', 'revoke', jti, '--keys', 'keys'], { cwd: r.dir });
  assert.equal(rev.code, 0, rev.stdout + rev.stderr);
}

/** A raw POST of a JSON-RPC message to the proxy; `auth` is the whole Authorization header (or none). */
async function post(r: Real, body: unknown, auth: string | undefined, session?: string): Promise<{ status: number; session: string | null; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': PROTOCOL };
  if (auth !== undefined) headers['authorization'] = auth;
  if (session !== undefined) headers['mcp-session-id'] = session;
  const res = await fetch(r.proxy.url, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: res.status, session: res.headers.get('mcp-session-id'), text: await res.text() };
}

const callBody = (kind: Kind, n: number): unknown => ({ jsonrpc: '2.0', id: `raw-${n}`, method: 'tools/call', params: { name: CALLS[kind].tool, arguments: CALLS[kind].args(n) } });

/** Send a call through a session's client and note what it hears; a denial must already be on disk when it is heard. */
function send(r: Real, s: SessionReal, kind: Kind, n: number): Promise<Heard> {
  const c = CALLS[kind];
  return hear(s.client.callTool({ name: c.tool, arguments: c.args(n) }, undefined, { timeout: 600_000 }), n, kind, r, settlementOf);
}

const FAILED_CLOSED = /failed closed|not running|not reachable/;

/** An allowed (or granted) call: through a working link it runs and answers; else it fails closed without running, or runs. */
function judgeForwarded(s: SessionModel, m: Readonly<Model>, r: Real, n: number, kind: Kind, heard: Heard): void {
  const ran = executed(r).some((c) => c.arguments?.n === n);
  if ('result' in heard) {
    assert.equal(m.up, true, `call n=${n} answered with the server down: ${JSON.stringify(heard)}`);
    assert.deepEqual(heard.result, { isError: false, text: `ok ${CALLS[kind].tool}` }, `call n=${n}`);
    assert.equal(ran, true, `call n=${n} answered, so it ran`);
    s.linked = true;
    return;
  }
  assert.equal(s.linked, false, `call n=${n} failed through a working link: ${heard.error}`);
  assert.match(heard.error, FAILED_CLOSED, `call n=${n}`);
  assert.equal(ran, false, `call n=${n} failed closed and did not run`);
}

/** The session a command means: the i-th of those open (or of all, closed ones too). */
const openIndex = (m: Readonly<Model>, i: number): number => {
  const open = m.sessions.map((s, k) => (s.closed ? -1 : k)).filter((k) => k !== -1);
  return open[i % open.length]!;
};
const anyOpen = (m: Readonly<Model>): boolean => m.sessions.some((s) => !s.closed);

/** Tokens of `who` map to roles the session has (the request narrows it), or not (403, the session untouched). */
function admits(m: Readonly<Model>, s: SessionModel, who: Who): boolean {
  return SUBJECT[who] === SUBJECT[s.who] && rolesOf(m, who).length > 0 && rolesOf(m, who).every((x) => s.roles.includes(x));
}

class Open implements fc.AsyncCommand<Model, Real> {
  constructor(readonly who: Who) {}
  check = (m: Readonly<Model>): boolean => m.sessions.filter((s) => !s.closed).length < 5;
  async run(m: Model, r: Real): Promise<void> {
    const roles = rolesOf(m, this.who);
    const t = await token(r, this.who);
    const holder = { value: t.value, jti: t.jti };
    const transport = new StreamableHTTPClientTransport(new URL(r.proxy.url), {
      fetch: (url, init) => {
        const h = new Headers(init?.headers);
        h.set('authorization', `Bearer ${holder.value}`);
        return fetch(url, { ...init, headers: h });
      },
    });
    const client = new Client({ name: `model-${this.who}`, version: '1' });
    const opened = await client.connect(transport).then(() => undefined, (e: Error) => e.message);
    if (!m.up) {
      // the initialize cannot reach the server: it fails closed; the session the proxy made stays unused
      assert.match(opened ?? 'opened', FAILED_CLOSED, `open ${this.who} with the server down`);
      await client.close().catch(() => undefined);
      await check(m, r);
      return;
    }
    assert.equal(opened, undefined, `open ${this.who}: ${opened}`);
    const id = transport.sessionId!;
    r.sessions.push({ who: this.who, id, client, transport, token: holder });
    m.sessions.push({ who: this.who, roles, closed: false, linked: true });
    const rec = await until(`the accepted token of session ${id}`, () => audit(r).find((x) => x.kind === 'auth' && x.session === id));
    assert.deepEqual(rec.caller, { principal: SUBJECT[this.who], roles }, 'the session opens with its token\'s subject and roles');
    await check(m, r);
  }
  toString = (): string => `open(${this.who})`;
}

class Bad implements fc.AsyncCommand<Model, Real> {
  /** `session`: present it on an open session (else on a new one) */
  constructor(readonly bad: BadToken, readonly who: Who, readonly session: number | undefined) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    let auth: string | undefined;
    const now = Date.now();
    switch (this.bad) {
      case 'expired': auth = `Bearer ${(await token(r, this.who, { now: now - 3_600_000 })).value}`; break;
      case 'wrong-audience': auth = `Bearer ${(await token(r, this.who, { aud: 'http://127.0.0.1:9/mcp' })).value}`; break;
      case 'wrong-issuer': auth = `Bearer ${(await token(r, this.who, { iss: 'urn:someone:else' })).value}`; break;
      case 'unknown-key': auth = `Bearer ${(await token(r, this.who, { key: r.stranger })).value}`; break;
      case 'forged': auth = `Bearer ${(await token(r, this.who, { key: { ...r.stranger, kid: r.key.kid! } })).value}`; break;
      case 'revoked': {
        const t = await token(r, this.who);
        await revoke(r, t.jti);
        auth = `Bearer ${t.value}`;
        break;
      }
      case 'malformed': auth = 'Bearer abc.def.ghi'; break;
      case 'not-bearer': auth = `Basic ${Buffer.from(`${SUBJECT[this.who]}:pw`).toString('base64')}`; break;
      case 'none': auth = undefined; break;
      case 'stranger': {
        const t = await issueToken({ key: r.key, sub: 'mallory', aud: r.proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now });
        r.jtis.set(t.jti, 'mallory');
        auth = `Bearer ${t.token}`;
        break;
      }
    }
    const open = this.session !== undefined && anyOpen(m) ? openIndex(m, this.session) : undefined;
    const n = r.next++;
    const res = open === undefined
      ? await post(r, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL, capabilities: {}, clientInfo: { name: 'bad', version: '0' } } }, auth)
      : await post(r, callBody('read', n), auth, r.sessions[open]!.id);
    if (open !== undefined) r.made.set(n, { session: r.sessions[open]!.id, principal: SUBJECT[this.who], roles: [], effect: 'deny', listDenial: false, refused: true });
    const { code, status } = REFUSAL[this.bad];
    refuse(r, code);
    assert.equal(res.status, status, `${this.bad}: ${res.text}`);
    assert.equal(res.session, null, `${this.bad} opens no session`);
    await check(m, r);
  }
  toString = (): string => `bad(${this.bad}, ${this.who}${this.session !== undefined ? `, on session ${this.session}` : ''})`;
}

/** A call (or a few sent together) from one session. */
class Call implements fc.AsyncCommand<Model, Real> {
  constructor(readonly session: number, readonly kinds: Kind[]) {}
  check = (m: Readonly<Model>): boolean => anyOpen(m);
  async run(m: Model, r: Real): Promise<void> {
    const i = openIndex(m, this.session);
    const s = m.sessions[i]!;
    const sr = r.sessions[i]!;
    // the request's token maps to roles now: fewer narrow the session; more (or none) are refused
    const now = rolesOf(m, s.who);
    const admitted = admits(m, s, s.who);
    if (admitted) s.roles = now;
    const sent = this.kinds.map((kind) => {
      const n = r.next++;
      const effect = effectOf(m, s.roles, kind);
      r.made.set(n, { session: sr.id, principal: SUBJECT[s.who], roles: [...s.roles], effect, listDenial: !s.linked, refused: !admitted });
      if (!admitted) refuse(r, now.length === 0 ? 'no_roles' : 'session_roles');
      return { kind, n, effect, heard: send(r, sr, kind, n) };
    });
    const linkedBefore = s.linked;
    const after = await Promise.all(sent.map(async ({ kind, n, effect, heard }) => {
      const seen: SessionModel = { ...s, linked: linkedBefore };
      if (!admitted) {
        const h = await heard;
        assert.ok('error' in h && /403|forbidden/.test(h.error), `n=${n} on a session its token's roles do not fit is refused: ${JSON.stringify(h)}`);
        return seen.linked;
      }
      if (effect === 'approval_required') {
        const approval = await until(`the approval of pay n=${n}`, () => {
          const recs = audit(r);
          const d = decisionOf(recs, n)[0];
          if (d?.decision!.effect === 'deny' && r.heard.has(n)) return 'denied';
          return recs.find((x) => x.kind === 'approval' && d !== undefined && sameRequest(x, d) && x.approval!.state === 'asked')?.approval!.id;
        });
        if (approval === 'denied') seen.linked = false;
        else {
          m.pending++;
          r.pending.push({ n, session: i, approval, version: m.version, heard });
        }
        return seen.linked;
      }
      const h = await heard;
      const d = await until(`the decision record of n=${n}`, () => decisionOf(audit(r), n)[0]);
      if (d.decision!.effect === 'deny') {
        if ('result' in h) assert.match(h.result.text, /^mandate denied/, `n=${n}`);
        else assert.match(h.error, /not reachable/, `n=${n}`);
        if (kind === 'drop' && !d.decision!.rules.includes('tool-list')) assert.deepEqual(d.decision!.rules, ['no-drop'], 'drop is denied by its rule');
        if (d.decision!.rules.includes('tool-list')) seen.linked = false;
      } else {
        judgeForwarded(seen, m, r, n, kind, h);
      }
      return seen.linked;
    }));
    s.linked = after.every((l) => l);
    await check(m, r);
  }
  toString = (): string => this.kinds.length === 1 ? `call(${this.session}, ${this.kinds[0]!})` : `burst(${this.session}, ${this.kinds.join(', ')})`;
}

class Answer implements fc.AsyncCommand<Model, Real> {
  constructor(readonly verdict: 'approve' | 'refuse') {}
  check = (m: Readonly<Model>): boolean => m.pending > 0;
  async run(m: Model, r: Real): Promise<void> {
    m.pending--;
    await answer(m, r, r.pending.shift()!, this.verdict);
    await check(m, r);
  }
  toString = (): string => this.verdict;
}

/** Answer an approval from a terminal, as a person would; then what the call does must follow from the answer. */
async function answer(m: Model, r: Real, p: Pending, verdict: 'approve' | 'refuse'): Promise<void> {
  const cli = await runCli([verdict, p.approval, '--by', 'model', '--runtime-dir', join(r.dir, 'run')], { cwd: r.dir });
  const s = m.sessions[p.session]!;
  const heard = await p.heard;
  const recs = audit(r);
  const settled = settlementOf(recs, decisionOf(recs, p.n)[0]!);
  assert.equal(settled.length, 1, `pay n=${p.n}: its approval is settled once`);
  const state = settled[0]!.approval!.state;
  if (cli.code !== 0) {
    // settled already: a lost link or a closed session fails its approvals (closed)
    assert.match(cli.stdout + cli.stderr, /already settled|unknown|expired|no session|not found/i, `mandate ${verdict}: ${cli.stdout}${cli.stderr}`);
    assert.notEqual(state, 'granted', `pay n=${p.n}`);
    if (!s.closed) assert.ok('result' in heard && heard.result.isError, `pay n=${p.n} was denied: ${JSON.stringify(heard)}`);
    return;
  }
  // a yes is decided again: under a policy since replaced, or for a session since narrowed (payer gone), it is refused
  if (verdict === 'refuse' || p.version !== m.version || effectOf(m, s.roles, 'pay') !== 'approval_required') {
    assert.equal(state, 'refused', `pay n=${p.n}`);
    assert.ok('result' in heard && heard.result.isError && /refused/.test(heard.result.text), `pay n=${p.n} was refused: ${JSON.stringify(heard)}`);
    return;
  }
  assert.equal(state, 'granted', `pay n=${p.n}`);
  judgeForwarded(s, m, r, p.n, 'pay', heard);
}

/** Another principal's valid token on a session (or a wider token of its own principal, or any token on a closed session). */
class Intrude implements fc.AsyncCommand<Model, Real> {
  constructor(readonly session: number, readonly as: Who) {}
  check = (m: Readonly<Model>): boolean => m.sessions.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const i = this.session % m.sessions.length;
    const s = m.sessions[i]!;
    const sr = r.sessions[i]!;
    const t = await token(r, this.as);
    const n = r.next++;
    const roles = rolesOf(m, this.as);
    // a token of the session's own principal that fits it is no intrusion: the call is the session's
    const legit = !s.closed && admits(m, s, this.as);
    if (legit) s.roles = roles;
    const effect = effectOf(m, s.roles, 'read');
    r.made.set(n, { session: sr.id, principal: SUBJECT[this.as], roles: [...s.roles], effect, listDenial: true, refused: !legit });
    const res = await post(r, callBody('read', n), `Bearer ${t.value}`, sr.id);
    if (legit) {
      // the answer came on an event stream, read whole: it ran and answered, or failed closed, or was denied
      assert.equal(res.status, 200, res.text);
      const ok = res.text.includes(`"id":"raw-${n}","result":{"content":[{"type":"text","text":"ok read"}]`) || res.text.includes(`"result":{"content":[{"type":"text","text":"ok read"}]},"jsonrpc":"2.0","id":"raw-${n}"`);
      if (effect === 'allow' && !ok) s.linked = false;
      if (effect !== 'allow') assert.ok(!ok, `n=${n} was denied: ${res.text}`);
      r.heard.set(n, ok ? { result: { isError: false, text: 'ok read' } } : { error: res.text });
    } else if (s.closed) {
      assert.equal(res.status, 404, `a closed session's id is not found: ${res.text}`);
    } else {
      const code = SUBJECT[this.as] !== SUBJECT[s.who] ? 'session_hijack' : roles.length === 0 ? 'no_roles' : 'session_roles';
      refuse(r, code);
      assert.equal(res.status, 403, `${code}: ${res.text}`);
    }
    await check(m, r);
  }
  toString = (): string => `intrude(${this.session}, as ${this.as})`;
}

/** `mandate token revoke` on the token a session runs with: its next request is refused; a fresh token carries on. */
class Revoke implements fc.AsyncCommand<Model, Real> {
  constructor(readonly session: number) {}
  check = (m: Readonly<Model>): boolean => anyOpen(m);
  async run(m: Model, r: Real): Promise<void> {
    const i = openIndex(m, this.session);
    const sr = r.sessions[i]!;
    await revoke(r, sr.token.jti);
    const n = r.next++;
    r.made.set(n, { session: sr.id, principal: SUBJECT[sr.who], roles: [], effect: 'deny', listDenial: false, refused: true });
    const res = await post(r, callBody('write-docs', n), `Bearer ${sr.token.value}`, sr.id);
    refuse(r, 'revoked');
    assert.equal(res.status, 401, `a revoked token is refused at once: ${res.text}`);
    const fresh = await token(r, sr.who);
    sr.token.value = fresh.value;
    sr.token.jti = fresh.jti;
    await check(m, r);
  }
  toString = (): string => `revoke(${this.session})`;
}

class Close implements fc.AsyncCommand<Model, Real> {
  constructor(readonly session: number) {}
  check = (m: Readonly<Model>): boolean => anyOpen(m);
  async run(m: Model, r: Real): Promise<void> {
    const i = openIndex(m, this.session);
    const s = m.sessions[i]!;
    const sr = r.sessions[i]!;
    if (rolesOf(m, s.who).length === 0) {
      // a token whose subject the policy binds to no role is refused before any session is looked at: the session stays
      refuse(r, 'no_roles');
      await assert.rejects(sr.transport.terminateSession(), /403|Forbidden/i);
      await check(m, r);
      return;
    }
    // its own subject may always end it, also with a token whose roles no longer fit it (ending widens nothing);
    // a fitting token narrows it first, as any request does
    if (admits(m, s, s.who)) s.roles = rolesOf(m, s.who);
    await sr.transport.terminateSession();
    await until(`session ${sr.id} closed`, () => audit(r).some((x) => x.kind === 'session' && x.session === sr.id && (x.detail as { event?: string }).event === 'close'));
    await sr.client.close();
    s.closed = true;
    // its calls in flight end with it, each with its outcome on record before the session's close record (the
    // client, which ended the session itself, hears "connection closed")
    const recs = audit(r);
    const closedAt = recs.findIndex((x) => x.kind === 'session' && x.session === sr.id && (x.detail as { event?: string }).event === 'close');
    for (const f of r.inflight.filter((x) => x.session === i)) {
      r.inflight.splice(r.inflight.indexOf(f), 1);
      const d = decisionOf(recs, f.n)[0]!;
      const at = recs.findIndex((x) => x.kind === 'outcome' && sameRequest(x, d));
      assert.ok(at !== -1 && at < closedAt, `slow n=${f.n}, in flight when its session closed, has its outcome on record before the close`);
      await f.heard;
    }
    // its approvals waiting fail with the session
    for (const p of r.pending.filter((x) => x.session === i)) {
      r.pending.splice(r.pending.indexOf(p), 1);
      m.pending--;
      const recs = await until(`the approval of n=${p.n} settled`, () => { const all = audit(r); return settlementOf(all, decisionOf(all, p.n)[0]!).length === 1 && all; });
      assert.notEqual(settlementOf(recs, decisionOf(recs, p.n)[0]!)[0]!.approval!.state, 'granted');
    }
    await check(m, r);
  }
  toString = (): string => `close(${this.session})`;
}

/** A call the server runs and never answers: it stays in flight until its link, its session or the proxy ends. */
class Slow implements fc.AsyncCommand<Model, Real> {
  constructor(readonly session: number) {}
  check = (m: Readonly<Model>): boolean => anyOpen(m) && m.up;
  async run(m: Model, r: Real): Promise<void> {
    const i = openIndex(m, this.session);
    const s = m.sessions[i]!;
    const sr = r.sessions[i]!;
    if (admits(m, s, s.who)) {
      s.roles = rolesOf(m, s.who);
      const n = r.next++;
      r.made.set(n, { session: sr.id, principal: SUBJECT[s.who], roles: [...s.roles], effect: 'allow', listDenial: !s.linked, refused: false });
      const heard = send(r, sr, 'slow', n);
      const state = await until(`slow n=${n} to run or be answered`, () => executed(r).some((c) => c.arguments?.n === n) ? 'ran' : r.heard.has(n) ? 'answered' : undefined);
      if (state === 'ran') {
        s.linked = true;
        r.inflight.push({ n, session: i, heard });
      } else {
        // through a link not yet tried since the server came back: failed closed (or denied for want of the tool list)
        assert.equal(s.linked, false, `slow n=${n} answered through a working link: ${JSON.stringify(r.heard.get(n))}`);
      }
    }
    await check(m, r);
  }
  toString = (): string => `slow(${this.session})`;
}

class Reload implements fc.AsyncCommand<Model, Real> {
  constructor(readonly edit: 'open' | 'bob-pays' | 'broken', readonly broken = 0) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const valid = this.edit !== 'broken';
    const event = valid ? 'reloaded' : 'reload_refused';
    const count = (): number => audit(r).filter((x) => x.kind === 'policy' && (x.detail as { event?: string }).event === event).length;
    const before = count();
    const edit = ++r.edits;
    const next = { open: this.edit === 'open' ? !m.open : m.open, bobPays: this.edit === 'bob-pays' ? !m.bobPays : m.bobPays };
    const tmp = `${r.policyFile}.tmp`;
    writeFileSync(tmp, valid ? policyText(next, edit) : BROKEN[this.broken]!(edit));
    renameSync(tmp, r.policyFile);
    await until(`the policy ${event} record`, () => count() > before);
    if (valid) {
      m.open = next.open;
      m.bobPays = next.bobPays;
      m.version++;
    }
    await check(m, r);
  }
  toString = (): string => this.edit === 'broken' ? `reload(invalid ${this.broken})` : `reload(${this.edit})`;
}

class Stop implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.up;
  async run(m: Model, r: Real): Promise<void> {
    await stop(r.server);
    r.server = undefined;
    m.up = false;
    for (const s of m.sessions) s.linked = false;
    // calls in flight fail closed through the lost link (not at --call-timeout)
    for (const { n, heard } of r.inflight.splice(0)) {
      const h = await heard;
      assert.ok('error' in h, `slow n=${n} cannot have been answered: ${JSON.stringify(h)}`);
      assert.doesNotMatch(h.error, /did not answer within/, `slow n=${n}`);
      assert.match(h.error, FAILED_CLOSED, `slow n=${n}`);
    }
    await check(m, r);
  }
  toString = (): string => 'stop-upstream';
}

class Start implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => !m.up;
  async run(m: Model, r: Real): Promise<void> {
    r.server = await startServer(r.port, r.calls, r.audit);
    m.up = true;
    await check(m, r);
  }
  toString = (): string => 'start-upstream';
}

async function startServer(port: number, calls: string, watched: string): Promise<Proc & { match: RegExpMatchArray }> {
  return spawnUntil(process.execPath, [join(FIXTURES, 'http-recorder.mjs'), String(port), calls, watched], {}, /listening on port (\d+)/);
}

async function setup(): Promise<Real> {
  const dir = tempDir('mandate-listen-model-');
  const policyFile = join(dir, 'p.mandate.yaml');
  writeFileSync(policyFile, policyText({ open: true, bobPays: true }, 0));
  const calls = join(dir, 'calls.jsonl');
  const auditFile = join(dir, 'audit.jsonl');
  const server = await startServer(0, calls, auditFile);
  const port = Number(server.match[1]);
  const key = await newSigningKey('ES256', Date.now());
  const kp = keyPaths(join(dir, 'keys'));
  writeKeySets(kp, [key]);
  emptyRevocations(kp.revocations);
  const stranger = await newSigningKey('ES256', Date.now());
  const proxy = await httpProxy(['--policy', 'p.mandate.yaml', '--jwks', 'keys/jwks.json', '--audit', auditFile, '--pins-dir', 'pins', '--call-timeout', String(CALL_TIMEOUT_MS),
    '--approval-timeout', '600000', '--upstream', `http://127.0.0.1:${port}/mcp`], dir, { MANDATE_RUNTIME_DIR: join(dir, 'run') });
  return { dir, policyFile, calls, audit: auditFile, port, server, proxy, key, stranger, sessions: [], next: 1, edits: 0, made: new Map(), heard: new Map(), pending: [], inflight: [], jtis: new Map(), refusals: new Map(), violations: [] };
}

/** The end of a run: approvals refused, the server up, the policy granting reads; every open session serves a call; the log verifies. */
async function finish(m: Model, r: Real): Promise<void> {
  while (r.pending.length > 0) {
    m.pending--;
    await answer(m, r, r.pending.shift()!, 'refuse');
  }
  if (!m.up) await new Start().run(m, r);
  if (!m.open) await new Reload('open').run(m, r);
  for (const [i, s] of m.sessions.entries()) {
    if (s.closed || !admits(m, s, s.who)) continue;
    for (let tries = 0; tries < 200 && !(s.linked && tries > 0); tries++) {
      if (tries > 0) await pause(50);
      const n = r.next++;
      s.roles = rolesOf(m, s.who);
      r.made.set(n, { session: r.sessions[i]!.id, principal: SUBJECT[s.who], roles: [...s.roles], effect: 'allow', listDenial: true, refused: false });
      const h = await send(r, r.sessions[i]!, 'read', n);
      s.linked = 'result' in h && !h.result.isError;
    }
    assert.ok(s.linked, `session ${i} (${s.who}) serves calls again at the end`);
  }
  await check(m, r);
  assert.equal(await stop(r.proxy), 0, 'the proxy stops cleanly');
  // calls still in flight were answered (failed closed) before the proxy stopped; a client never answered is closed
  // after a grace period, which ends its calls with "connection closed"
  await Promise.race([Promise.all(r.inflight.map((f) => f.heard)), pause(5000)]);
  for (const s of r.sessions) await s.client.close().catch(() => undefined);
  for (const { n, heard } of r.inflight.splice(0)) {
    const h = await heard;
    assert.ok('error' in h && /session closed \(proxy shutting down\).*failed closed/.test(h.error), `slow n=${n} failed closed as the proxy stopped: ${JSON.stringify(h)}`);
  }
  // the log of the stopped proxy: every call forwarded has exactly one outcome record
  const recs = audit(r);
  for (const n of r.made.keys()) {
    const d = decisionOf(recs, n)[0];
    if (d === undefined || !forwarded(recs, n)) continue;
    assert.equal(recs.filter((x) => x.kind === 'outcome' && sameRequest(x, d)).length, 1, `forwarded call n=${n} has exactly one outcome record in the final log`);
  }
  const verified = await runCli(['audit', 'verify', r.audit]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
}

const WHO = fc.constantFrom<Who>('alice', 'bob', 'bob-narrow');
const KIND = fc.constantFrom<Kind>('read', 'write-docs', 'write-out', 'drop', 'pay');
const BAD = fc.constantFrom<BadToken>('expired', 'wrong-audience', 'wrong-issuer', 'unknown-key', 'forged', 'revoked', 'malformed', 'not-bearer', 'none', 'stranger');

describe('property: the HTTP listener proxy serving many sessions with JWTs (processes)', function () {
  this.timeout(600_000);

  it('no call runs without a prior allow record for it and its principal; refused tokens, hijacks and denied calls never run; one decision and outcome record each, with the caller that made it; refusals recorded; the chain verifies; the proxy keeps serving', async () => {
    const commands = fc.commands([
      WHO.map((w) => new Open(w)),
      fc.tuple(BAD, WHO, fc.option(fc.nat(7), { nil: undefined })).map(([b, w, s]) => new Bad(b, w, s)),
      fc.tuple(fc.nat(7), KIND).map(([s, k]) => new Call(s, [k])),
      fc.tuple(fc.nat(7), fc.array(KIND, { minLength: 2, maxLength: 3 })).map(([s, ks]) => new Call(s, ks)),
      fc.constantFrom('approve' as const, 'refuse' as const).map((v) => new Answer(v)),
      fc.tuple(fc.nat(7), WHO).map(([s, w]) => new Intrude(s, w)),
      fc.nat(7).map((s) => new Revoke(s)),
      fc.nat(7).map((s) => new Close(s)),
      fc.nat(7).map((s) => new Slow(s)),
      fc.oneof(fc.constantFrom('open' as const, 'bob-pays' as const).map((e) => new Reload(e)), fc.constantFrom(0, 1).map((b) => new Reload('broken', b))),
      fc.constant(new Stop()),
      fc.constant(new Start()),
    ], { maxCommands: 12 });
    await fc.assert(fc.asyncProperty(commands, async (cmds) => {
      const real = await setup();
      const model: Model = { open: true, bobPays: true, version: 0, up: true, sessions: [], pending: 0 };
      try {
        // two sessions to start with: one per principal
        await new Open('alice').run(model, real);
        await new Open('bob').run(model, real);
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await finish(model, real);
      } finally {
        for (const s of real.sessions) await s.client.close().catch(() => undefined);
        await stop(real.proxy);
        await stop(real.server);
      }
    }), fcParams(8));
  });
});
