// Model-based test of the built stdio proxy in front of an MCP server over Streamable HTTP (fast-check fc.commands):
// SDK Client → `node dist/cli.js proxy --upstream URL` (a real process) → a recording HTTP server
// (test/fixtures/servers/http-recorder.mjs) that the test stops and starts again on the same port. Commands: allowed
// calls, calls denied by a rule and by an argument constraint (alone, or a few sent together), calls held for approval
// and answered with `mandate approve` / `mandate refuse`, valid and invalid policy edits, upstream stop and start, an
// oversized answer, and the server stopping with calls in flight (each one's answer not begun, or begun as an event
// stream: the call must fail closed through the lost link, not wait out --call-timeout — it did, for the event stream).
// After every command, from the server's own log of what it executed and the proxy's audit log: no call ran without an
// allow record on disk before it ran; denied and refused calls never ran; every call has exactly one decision record;
// every forwarded call exactly one outcome record; the chain verifies; the proxy is still running. At the end of each
// run the proxy must serve a call again, and `mandate audit verify` passes on its log.

import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { AuditRecord, Effect } from '../../../policies';
import { spawnUntil, stop, type Proc } from '../../e2e/http/support';
import { connectProxy, FIXTURES, tempDir, type Guarded } from '../../e2e/proxy/support';
import { runCli } from '../../support/cli';
import { alive, auditRecords, decisionOf, hear, loggedCalls, pause, until, type Heard } from '../../support/modelRun';
import { fcParams } from '../../support/seed';

/** The proxy's --call-timeout: a call the server never answers fails closed after it (none should wait for it). */
const CALL_TIMEOUT_MS = 20_000;
/** The longest message the proxy takes (its flag); the server's `big` answer is longer. */
const MAX_BYTES = 65_536;

const policyText = (open: boolean, edit: number): string => `version: 1
# edit ${edit}
roles: { agent: { description: Model agent. } }
scopes:
  docs_only: { args: { path: { within: [docs/] } } }
grants:
  - { agent_role: agent, tools: [${open ? 'read, ' : ''}drop, big, slow] }
  - { agent_role: agent, tool: write, scope: [docs_only] }
  - { agent_role: agent, tool: pay, requires_approval: true }
deny:
  - { id: no-drop, tools: [drop], reason: Never. }
`;
const BROKEN = [
  (edit: number): string => `version: 1\n# edit ${edit}\nroles: { agent: { description: Model agent. }\ngrants: [\n`, // not YAML
  (edit: number): string => `version: 1\n# edit ${edit}\nroles: { agent: { description: Model agent. } }\ngrants:\n  - { agent_role: agent, tools: [read], scoop: [x] }\n`, // not the schema
];

type Kind = 'read' | 'write-docs' | 'write-out' | 'drop' | 'big' | 'pay' | 'slow' | 'slow-sse';
const CALLS: Record<Kind, { tool: string; args: (n: number) => Record<string, unknown> }> = {
  'read': { tool: 'read', args: (n) => ({ n }) },
  'write-docs': { tool: 'write', args: (n) => ({ n, path: `docs/f${n}.md` }) },
  'write-out': { tool: 'write', args: (n) => ({ n, path: `docs/../secrets/f${n}` }) },
  'drop': { tool: 'drop', args: (n) => ({ n }) },
  'big': { tool: 'big', args: (n) => ({ n }) },
  'pay': { tool: 'pay', args: (n) => ({ n, amount: 5 }) },
  'slow': { tool: 'slow', args: (n) => ({ n, sse: false }) },
  'slow-sse': { tool: 'slow', args: (n) => ({ n, sse: true }) },
};

/** What the client heard. */

interface Model {
  /** `read` is granted by the policy in force */
  open: boolean;
  /** valid policy edits so far (an approval is bound to the version it was asked under) */
  version: number;
  /** the server process is running */
  up: boolean;
  /** a call has gone through to the running server since it started and nothing has ended the link since */
  linked: boolean;
  /** approvals asked and not yet answered by the test */
  pending: number;
}

interface Pending { n: number; approval: string; version: number; heard: Promise<Heard> }

interface Real {
  dir: string;
  policyFile: string;
  calls: string;
  port: number;
  server: Proc | undefined;
  g: Guarded;
  next: number;
  edits: number;
  /** per call (its nonce `n`): the effect the model expects, and whether a denial for want of the tool list is possible */
  expected: Map<number, { effect: Effect; listDenial: boolean }>;
  /** calls whose answer the client has heard */
  heard: Map<number, Heard>;
  pending: Pending[];
  /** a client heard a denial before the record that decided it was on disk */
  violations: string[];
}

interface Executed { id: string | number; tool: string; arguments: { n?: number } | null; watched: number }

/** The audit log: its records, each with the byte offset where its line ends, after the chain verifies. */
const audit = (r: Real): Array<AuditRecord & { end: number }> => auditRecords(r.g.audit);

const executed = (r: Real): Executed[] => loggedCalls<Executed>(r.calls);

const settlementOf = (recs: AuditRecord[], id: string | number | undefined): AuditRecord[] => recs.filter((x) => x.kind === 'approval' && x.request_id === id && x.approval!.state !== 'asked');

/** The calls the proxy sent to the server: allowed outright, or granted by a human. */
function forwarded(recs: AuditRecord[], n: number): boolean {
  const d = decisionOf(recs, n)[0];
  if (!d) return false;
  return d.decision!.effect === 'allow' || settlementOf(recs, d.request_id).some((x) => x.approval!.state === 'granted');
}

/** The safety properties, after a command (and once the outcome records of the calls answered so far are written). */
async function check(r: Real): Promise<void> {
  // outcome records answer nothing: they are written just after the answer
  await until('the decision and outcome records of the answered calls', () => {
    const recs = audit(r);
    return [...r.heard.keys()].every((n) => decisionOf(recs, n).length > 0) && [...r.heard.keys()].every((n) => !forwarded(recs, n) || recs.some((x) => x.kind === 'outcome' && x.request_id === decisionOf(recs, n)[0]!.request_id));
  });
  const recs = audit(r);
  const ran = executed(r);
  for (const [n, exp] of r.expected) {
    const d = decisionOf(recs, n);
    assert.equal(d.length, 1, `call n=${n} has exactly one decision record`);
    const { effect, rules } = d[0]!.decision!;
    if (!(exp.listDenial && effect === 'deny' && rules.includes('tool-list'))) assert.equal(effect, exp.effect, `call n=${n} decided as the model says`);
    const id = d[0]!.request_id;
    const asked = recs.filter((x) => x.kind === 'approval' && x.request_id === id && x.approval!.state === 'asked');
    assert.equal(asked.length, effect === 'approval_required' ? 1 : 0, `call n=${n}: one approval asked when one is required`);
    assert.ok(settlementOf(recs, id).length <= 1, `call n=${n}: its approval is settled at most once`);
    const times = ran.filter((c) => c.arguments?.n === n).length;
    assert.ok(times <= 1, `call n=${n} ran at most once (${times})`);
    const fwd = forwarded(recs, n);
    if (!fwd) assert.equal(times, 0, `call n=${n} was denied or refused and never ran`);
    const outcomes = recs.filter((x) => x.kind === 'outcome' && x.method === 'tools/call' && x.request_id === id).length;
    if (!fwd) assert.equal(outcomes, 0, `call n=${n} was not forwarded and has no outcome record`);
    else if (r.heard.has(n)) assert.equal(outcomes, 1, `forwarded call n=${n} has exactly one outcome record`);
  }
  for (const c of ran) {
    const n = c.arguments?.n;
    assert.ok(n !== undefined && r.expected.has(n), `the server ran a call the test made (${JSON.stringify(c)})`);
    const d = decisionOf(recs, n)[0];
    const allowing = recs.find((x) => x.end <= c.watched && ((x === d && x.decision!.effect === 'allow') || (x.kind === 'approval' && x.request_id === d?.request_id && x.approval!.state === 'granted')));
    assert.ok(allowing, `call n=${n} reached the server with an allow record for it on disk before it ran`);
  }
  assert.deepEqual(r.violations, [], 'a denial is on disk before the client hears it');
  assert.equal(r.g.transport.pid !== null && alive(r.g.transport.pid), true, 'the proxy is still running');
}

/** Send a call (nonce n) and note what the client hears; a denial must already be on disk when it is heard. */
function send(r: Real, kind: Kind, n: number): Promise<Heard> {
  const c = CALLS[kind];
  return hear(r.g.client.callTool({ name: c.tool, arguments: c.args(n) }, undefined, { timeout: 600_000 }), n, kind, { audit: r.g.audit, heard: r.heard, violations: r.violations },
    (recs, d) => settlementOf(recs, d.request_id));
}

const FAILED_CLOSED = /failed closed|not running|not reachable/;

/**
 * What an allowed (or granted) call may answer, given the link: through a working link it runs and answers;
 * with the server down it fails closed without running; with a link not yet tried since the server came back it
 * does one or the other. `big` runs and fails closed (its answer is too long), unless it could not be sent.
 */
function judgeForwarded(m: Model, r: Real, n: number, kind: Kind, heard: Heard): void {
  const ran = executed(r).some((c) => c.arguments?.n === n);
  const tool = CALLS[kind].tool;
  if (kind === 'big') {
    assert.ok('error' in heard, `big n=${n} fails closed: ${JSON.stringify(heard)}`);
    if (m.linked) {
      assert.match(heard.error, new RegExp(`over ${MAX_BYTES} bytes.*failed closed`), `big n=${n}`);
      assert.equal(ran, true, `big n=${n} ran`);
    }
    if (!m.up) assert.equal(ran, false, `big n=${n} did not run with the server down`);
    m.linked = false;
    return;
  }
  if ('result' in heard) {
    assert.equal(m.up, true, `call n=${n} answered with the server down: ${JSON.stringify(heard)}`);
    assert.deepEqual(heard.result, { isError: false, text: `ok ${tool}` }, `call n=${n}`);
    assert.equal(ran, true, `call n=${n} answered, so it ran`);
    m.linked = true;
    return;
  }
  assert.equal(m.linked, false, `call n=${n} failed through a working link: ${heard.error}`);
  assert.match(heard.error, FAILED_CLOSED, `call n=${n}`);
  assert.equal(ran, false, `call n=${n} failed closed and did not run`);
}

/** Calls sent together (one, or a burst decided in one go): each decided, answered and recorded as the model says. */
class Call implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kinds: Kind[]) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const sent = this.kinds.map((kind) => {
      const n = r.next++;
      const effect: Effect = kind === 'read' ? (m.open ? 'allow' : 'deny') : kind === 'write-out' || kind === 'drop' ? 'deny' : 'allow';
      // without a working link the tool list may be missing: then nothing is decided but a denial
      r.expected.set(n, { effect, listDenial: !m.linked });
      return { kind, n, heard: send(r, kind, n) };
    });
    // each judged against the link as it was when they were sent; it works after only if it did for every one
    const after = await Promise.all(sent.map(async ({ kind, n, heard }) => {
      const seen = { ...m };
      const h = await heard;
      // (a call that fails closed unsent may be answered before its decision record is flushed, just after)
      const d = await until(`the decision record of n=${n}`, () => decisionOf(audit(r), n)[0]);
      if (d.decision!.effect === 'deny') {
        if ('result' in h) assert.match(h.result.text, /^mandate denied/, `n=${n}`);
        else assert.match(h.error, /not reachable/, `n=${n}`);
        if (kind === 'drop' && !d.decision!.rules.includes('tool-list')) assert.deepEqual(d.decision!.rules, ['no-drop'], 'drop is denied by its rule');
        if (d.decision!.rules.includes('tool-list')) seen.linked = false;
      } else {
        judgeForwarded(seen, r, n, kind, h);
      }
      return seen.linked;
    }));
    m.linked = after.every((l) => l);
    await check(r);
  }
  toString = (): string => this.kinds.length === 1 ? `call(${this.kinds[0]!})` : `burst(${this.kinds.join(', ')})`;
}

class Pay implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const n = r.next++;
    r.expected.set(n, { effect: 'approval_required', listDenial: !m.linked });
    const heard = send(r, 'pay', n);
    // held: its approval is asked (on record) — or, without the tool list, it is denied
    const approval = await until(`the approval of pay n=${n}`, () => {
      const recs = audit(r);
      const d = decisionOf(recs, n)[0];
      if (d?.decision!.effect === 'deny' && r.heard.has(n)) return 'denied';
      return recs.find((x) => x.kind === 'approval' && d !== undefined && x.request_id === d.request_id && x.approval!.state === 'asked')?.approval!.id;
    });
    if (approval === 'denied') m.linked = false;
    else {
      m.pending++;
      r.pending.push({ n, approval, version: m.version, heard });
    }
    await check(r);
  }
  toString = (): string => 'pay';
}

class Answer implements fc.AsyncCommand<Model, Real> {
  constructor(readonly verdict: 'approve' | 'refuse') {}
  check = (m: Readonly<Model>): boolean => m.pending > 0;
  async run(m: Model, r: Real): Promise<void> {
    m.pending--;
    await answer(m, r, r.pending.shift()!, this.verdict);
    await check(r);
  }
  toString = (): string => this.verdict;
}

/** Answer an approval from a terminal, as a person would; then what the call does must follow from the answer. */
async function answer(m: Model, r: Real, p: Pending, verdict: 'approve' | 'refuse'): Promise<void> {
  const cli = await runCli([verdict, p.approval, '--by', 'model', '--runtime-dir', join(r.dir, 'run')], { cwd: r.dir });
  const heard = await p.heard;
  const recs = audit(r);
  const settled = settlementOf(recs, decisionOf(recs, p.n)[0]!.request_id);
  assert.equal(settled.length, 1, `pay n=${p.n}: its approval is settled once`);
  const state = settled[0]!.approval!.state;
  if (cli.code !== 0) {
    // settled already: an upstream lost meanwhile fails every approval waiting (closed)
    assert.match(cli.stdout + cli.stderr, /already settled|unknown|expired/i, `mandate ${verdict}: ${cli.stdout}${cli.stderr}`);
    assert.notEqual(state, 'granted', `pay n=${p.n}`);
    assert.ok('result' in heard && heard.result.isError, `pay n=${p.n} was denied: ${JSON.stringify(heard)}`);
    return;
  }
  if (verdict === 'refuse' || p.version !== m.version) {
    // a refusal, or a yes to an approval asked under a policy since replaced
    assert.equal(state, 'refused', `pay n=${p.n}`);
    assert.ok('result' in heard && heard.result.isError && /refused/.test(heard.result.text), `pay n=${p.n} was refused: ${JSON.stringify(heard)}`);
    return;
  }
  assert.equal(state, 'granted', `pay n=${p.n}`);
  judgeForwarded(m, r, p.n, 'pay', heard);
}

class Reload implements fc.AsyncCommand<Model, Real> {
  constructor(readonly valid: boolean, readonly broken = 0) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const event = this.valid ? 'reloaded' : 'reload_refused';
    const count = (): number => audit(r).filter((x) => x.kind === 'policy' && (x.detail as { event?: string }).event === event).length;
    const before = count();
    const edit = ++r.edits;
    // written whole (a rename), so the watcher never reads half a file
    const tmp = `${r.policyFile}.tmp`;
    writeFileSync(tmp, this.valid ? policyText(!m.open, edit) : BROKEN[this.broken]!(edit));
    renameSync(tmp, r.policyFile);
    await until(`the policy ${event} record`, () => count() > before);
    if (this.valid) {
      m.open = !m.open;
      m.version++;
    }
    await check(r);
  }
  toString = (): string => this.valid ? 'reload(valid)' : `reload(invalid ${this.broken})`;
}

class Stop implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.up;
  async run(m: Model, r: Real): Promise<void> {
    await stop(r.server);
    r.server = undefined;
    m.up = false;
    m.linked = false;
    await check(r);
  }
  toString = (): string => 'stop-upstream';
}

/**
 * A call the server runs and never answers (its answer begun as an event stream, or not at all), then the server
 * stops: the lost link fails the call closed (as a crash does), it does not wait out --call-timeout.
 */
class StopMidCall implements fc.AsyncCommand<Model, Real> {
  /** one slow call per entry: its answer begun as an event stream (true) or not at all */
  constructor(readonly sse: boolean[]) {}
  check = (m: Readonly<Model>): boolean => m.up;
  async run(m: Model, r: Real): Promise<void> {
    await relink(m, r);
    const sent = this.sse.map((sse) => {
      const n = r.next++;
      r.expected.set(n, { effect: 'allow', listDenial: false });
      return { n, heard: send(r, sse ? 'slow-sse' : 'slow', n) };
    });
    for (const { n } of sent) {
      const ran = await until(`slow n=${n} to run or be answered`, () => executed(r).some((c) => c.arguments?.n === n) ? 'ran' : r.heard.has(n) ? 'answered' : undefined);
      assert.equal(ran, 'ran', `slow n=${n} ran through a working link`);
    }
    await stop(r.server);
    r.server = undefined;
    m.up = false;
    m.linked = false;
    for (const { n, heard } of sent) {
      const h = await heard;
      assert.ok('error' in h, `slow n=${n} cannot have been answered: ${JSON.stringify(h)}`);
      assert.doesNotMatch(h.error, /did not answer within/, `slow n=${n}: the lost link failed the call closed, not its timeout`);
      assert.match(h.error, FAILED_CLOSED, `slow n=${n}`);
    }
    await check(r);
  }
  toString = (): string => `stop-mid-call(${this.sse.map((e) => e ? 'sse' : 'json').join(', ')})`;
}

class Start implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => !m.up;
  async run(m: Model, r: Real): Promise<void> {
    r.server = await startServer(r.port, r.calls, r.g.audit);
    m.up = true;
    await check(r);
  }
  toString = (): string => 'start-upstream';
}

/**
 * With the server up, allowed calls until one goes through (`always`: at least one call, else none when the link
 * works): the proxy connects again on demand, each call that finds the link down failing closed and asking for it.
 */
async function relink(m: Model, r: Real, always = false): Promise<void> {
  assert.equal(m.up, true);
  if (always) m.linked = false;
  for (let i = 0; i < 200 && !m.linked; i++) {
    const n = r.next++;
    r.expected.set(n, { effect: 'allow', listDenial: true });
    const heard = await send(r, 'write-docs', n);
    if ('result' in heard && !heard.result.isError) m.linked = true;
    else await pause(50);
  }
  assert.ok(m.linked, 'the proxy serves calls again once the server is back');
}

async function startServer(port: number, calls: string, watched: string): Promise<Proc & { match: RegExpMatchArray }> {
  return spawnUntil(process.execPath, [join(FIXTURES, 'http-recorder.mjs'), String(port), calls, watched], {}, /listening on port (\d+)/);
}

async function setup(): Promise<Real> {
  const dir = tempDir('mandate-http-model-');
  const policyFile = join(dir, 'p.mandate.yaml');
  writeFileSync(policyFile, policyText(true, 0));
  const calls = join(dir, 'calls.jsonl');
  const server = await startServer(0, calls, join(dir, 'audit.jsonl'));
  const port = Number(server.match[1]);
  const g = await connectProxy({ policy: 'p.mandate.yaml', dir, proxyArgs: ['--role', 'agent', '--call-timeout', String(CALL_TIMEOUT_MS), '--max-message-bytes', String(MAX_BYTES), '--upstream', `http://127.0.0.1:${port}/mcp`], server: [] });
  return { dir, policyFile, calls, port, server, g, next: 1, edits: 0, expected: new Map(), heard: new Map(), pending: [], violations: [] };
}

/** The end of a run: open approvals refused, the server up, a call served again; then the proxy stops and its log verifies. */
async function finish(m: Model, r: Real): Promise<void> {
  while (r.pending.length > 0) await answer(m, r, r.pending.shift()!, 'refuse');
  if (!m.up) {
    r.server = await startServer(r.port, r.calls, r.g.audit);
    m.up = true;
  }
  await relink(m, r, true);
  await check(r);
  const pid = r.g.transport.pid!;
  await r.g.close();
  await until('the proxy to exit', () => !alive(pid));
  const verified = await runCli(['audit', 'verify', r.g.audit]);
  assert.equal(verified.code, 0, verified.stdout + verified.stderr);
}

describe('property: the stdio proxy in front of an HTTP server that stops and starts (processes)', function () {
  this.timeout(600_000);

  it('no call runs without a prior allow record; denied and refused calls never run; one decision and one outcome record each; the chain verifies; the proxy keeps serving', async () => {
    const commands = fc.commands([
      fc.constantFrom<Kind>('read', 'write-docs', 'write-out', 'drop').map((k) => new Call([k])),
      fc.array(fc.constantFrom<Kind>('read', 'write-docs', 'write-out', 'drop'), { minLength: 2, maxLength: 4 }).map((ks) => new Call(ks)),
      fc.constant(new Call(['big'])),
      fc.constant(new Pay()),
      fc.constantFrom('approve' as const, 'refuse' as const).map((v) => new Answer(v)),
      fc.oneof(fc.constant(new Reload(true)), fc.constantFrom(0, 1).map((b) => new Reload(false, b))),
      fc.constant(new Stop()),
      fc.array(fc.boolean(), { minLength: 1, maxLength: 3 }).map((sse) => new StopMidCall(sse)),
      fc.constant(new Start()),
    ], { maxCommands: 12 });
    await fc.assert(fc.asyncProperty(commands, async (cmds) => {
      const real = await setup();
      // the client's initialize went through: the link works
      const model: Model = { open: true, version: 0, up: true, linked: true, pending: 0 };
      try {
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        await finish(model, real);
      } finally {
        await real.g.close().catch(() => undefined);
        await stop(real.server);
      }
    }), fcParams(10));
  });
});
