// Model-based test of the guard (fast-check fc.commands): calls, approvals, refusals, policy reloads,
// upstream crashes/restarts and a disk that fills and frees again, against a real audit log; after every
// step the safety properties hold.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { auditGaps, parsePolicy, parseAuditLines, verifyChain, type Effect, type ParsedPolicy } from '../../../policies';
import { ApprovalBroker, AuditLog, Guard, PolicyState, sha256, type JSONRPCMessage } from '../../../extension/proxy';
import { RETRY_MS } from '../../../extension/proxy/auditLog';
import { fcParams } from '../../support/seed';
import { tempDir } from '../../support/tmp';

const policyText = (readAllowed: boolean): string => `version: 1
roles: { agent: { description: Model agent. } }
grants:
  - { agent_role: agent, tools: [${readAllowed ? 'read, ' : ''}drop] }
  - { agent_role: agent, tool: pay, requires_approval: true }
deny:
  - { id: no-drop, tools: [drop], reason: Never. }
`;
const parsed = (readAllowed: boolean): ParsedPolicy => {
  const r = parsePolicy(policyText(readAllowed), `model-${readAllowed}.mandate.yaml`);
  if (!r.ok) throw new Error('bad model policy');
  return r.parsed;
};
const TOOLS = ['read', 'pay', 'drop', 'hidden'] as const;

interface Real {
  guard: Guard;
  broker: ApprovalBroker;
  policy: PolicyState;
  auditFile: string;
  received: string[];
  violations: string[];
  /** calls denied because their record could not be written (the disk was full): they have no record to show */
  auditDenied: Set<string>;
  replies: Map<string, JSONRPCMessage>;
  up: { value: boolean };
  /** the disk the audit log is on: full (every write fails), and the audit writer's clock */
  disk: { full: boolean; t: number };
  /** the writer's clock when each call made while the disk was full was made (each outage has its own) */
  fullAt: Map<string, number>;
  /** `initialize` requests the fake server received (the client's, then one per restart) */
  inits: number;
  nextId: number;
}

interface Model {
  readAllowed: boolean;
  up: boolean;
  full: boolean;
  /** each call's decision, or 'unrecorded': made while the disk was full, so denied with no record */
  expected: Map<string, Effect | 'unrecorded'>;
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 6; i++) await new Promise((r) => setImmediate(r));
};

function check(r: Real, m: Model): void {
  const text = readFileSync(r.auditFile, 'utf8');
  assert.equal(verifyChain(text, sha256).ok, true, 'the chain always verifies');
  const recs = parseAuditLines(text);
  const decisions = recs.filter((x) => x.kind === 'decision' && x.method === 'tools/call');
  for (const [id, effect] of m.expected) {
    const mine = decisions.filter((x) => x.request_id === id);
    if (effect === 'unrecorded') {
      assert.equal(mine.length, 0, `call ${id} has no decision record (the disk was full)`);
      assert.equal(r.received.includes(id), false, `call ${id}, unrecorded, never executed`);
      const reply = r.replies.get(id) as { error?: unknown; result?: { isError?: boolean } } | undefined;
      assert.ok(reply?.error !== undefined || reply?.result?.isError === true, `call ${id}, unrecorded, was answered with a denial or an error: ${JSON.stringify(reply)}`);
      continue;
    }
    assert.equal(mine.length, 1, `call ${id} has exactly one decision record`);
    assert.equal(mine[0]!.decision!.effect, effect, `call ${id} decided as the model says`);
    const granted = recs.some((x) => x.kind === 'approval' && x.request_id === id && x.approval!.state === 'granted');
    if (effect === 'deny' || (effect === 'approval_required' && !granted)) assert.equal(r.received.includes(id), false, `call ${id} was not allowed and never executed`);
  }
  assert.deepEqual(r.violations, [], 'no call reached the server without a prior allow record on disk');
  // only a call made while the disk was full, or one whose approval was answered then, is denied for its record
  for (const id of r.auditDenied) assert.match(String(m.expected.get(id)), /^(unrecorded|approval_required)$/, `call ${id} denied for a record that could be written`);
  // a gap in the log is told by the record that resumes it: from the writer's time of its first lost record to its own,
  // it counts at least every call denied for its decision record then (a call the proxy answered without deciding —
  // its server down — had no record to lose)
  for (const { lost, since, until } of auditGaps(recs)) {
    const within = [...r.fullAt].filter(([id, t]) => r.auditDenied.has(id) && t >= Date.parse(since) && t < Date.parse(until));
    assert.ok((lost['decision'] ?? 0) >= within.length, `the gap record counts the calls denied for their records in it: ${JSON.stringify(lost)}, ${within.length}`);
  }
}

class Call implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tool: (typeof TOOLS)[number]) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const id = `c${r.nextId++}`;
    const effect: Effect = this.tool === 'read' ? (m.readAllowed ? 'allow' : 'deny') : this.tool === 'pay' ? 'approval_required' : 'deny';
    m.expected.set(id, m.full ? 'unrecorded' : effect);
    if (m.full) r.fullAt.set(id, r.disk.t);
    r.guard.fromClient({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: this.tool, arguments: { n: r.nextId } } });
    await settle();
    check(r, m);
  }
  toString = (): string => `call(${this.tool})`;
}

class Answer implements fc.AsyncCommand<Model, Real> {
  constructor(readonly verdict: 'approve' | 'refuse') {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const pending = r.broker.pending()[0];
    if (pending) r.broker.answer(pending.id, this.verdict, 'terminal', 'model');
    await settle();
    check(r, m);
  }
  toString = (): string => this.verdict;
}

class Reload implements fc.AsyncCommand<Model, Real> {
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    m.readAllowed = !m.readAllowed;
    r.policy.replace(parsed(m.readAllowed), m.readAllowed ? 'v-open' : 'v-closed');
    await settle();
    check(r, m);
  }
  toString = (): string => 'reload';
}

class Crash implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.up;
  async run(m: Model, r: Real): Promise<void> {
    m.up = false;
    r.up.value = false;
    r.guard.upstreamClosed('crashed (model)');
    await settle();
    check(r, m);
  }
  toString = (): string => 'crash';
}

class DiskFull implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => !m.full;
  async run(m: Model, r: Real): Promise<void> {
    m.full = true;
    r.disk.full = true;
    await settle();
    check(r, m);
  }
  toString = (): string => 'disk full';
}

class DiskFreed implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => m.full;
  async run(m: Model, r: Real): Promise<void> {
    m.full = false;
    r.disk.full = false;
    r.disk.t += RETRY_MS; // the writer tries the file again at its next record
    await settle();
    check(r, m);
  }
  toString = (): string => 'disk freed';
}

class Restart implements fc.AsyncCommand<Model, Real> {
  check = (m: Readonly<Model>): boolean => !m.up;
  async run(m: Model, r: Real): Promise<void> {
    m.up = true;
    r.up.value = true;
    const inits = r.inits;
    // the transport's restart path: the guard replays the client's initialize before it takes calls again
    const error = await new Promise<string | undefined>((resolve) => r.guard.resumeUpstream(resolve));
    assert.equal(error, undefined);
    assert.equal(r.inits, inits + 1, 'a restarted server is initialized again');
    await settle();
    check(r, m);
  }
  toString = (): string => 'restart';
}

/**
 * The client hears an answer: a denial (an error result) must already be on disk as the record that
 * decided it — a deny decision, or an approval that was not granted (never only the successes).
 */
function answered(r: Real, m: JSONRPCMessage): void {
  const id = String((m as { id?: unknown }).id);
  r.replies.set(id, m);
  const denied = (m as { result?: { isError?: boolean } }).result?.isError === true;
  if (!denied || !id.startsWith('c')) return;
  if (/the audit log cannot be written/.test(JSON.stringify(m))) {
    r.auditDenied.add(id);
    return;
  }
  const recs = parseAuditLines(readFileSync(r.auditFile, 'utf8')).filter((x) => x.request_id === id);
  const recorded = recs.some((x) => (x.kind === 'decision' && x.decision!.effect === 'deny') || (x.kind === 'approval' && x.approval!.state !== 'granted' && x.approval!.state !== 'asked'));
  if (!recorded) r.violations.push(`${id} (denied before its record was written)`);
}

function setup(): Real {
  const dir = tempDir('mandate-model-');
  const auditFile = join(dir, 'audit.jsonl');
  const disk = { full: false, t: 0 };
  const audit = AuditLog.open(auditFile, {
    now: () => disk.t, write: (fd, text) => {
      if (disk.full) throw new Error('ENOSPC: no space left on device (model)');
      writeFileSync(fd, text);
    },
  });
  const policy = new PolicyState(parsed(true), 'v-open');
  const broker = new ApprovalBroker('abcdef01', 60_000, () => Date.now());
  const real: Partial<Real> = { broker, policy, auditFile, received: [], violations: [], auditDenied: new Set(), replies: new Map(), up: { value: true }, disk, fullAt: new Map(), inits: 0, nextId: 1 };
  const r = real as Real;
  const upstream = (msg: JSONRPCMessage): void => {
    if (!r.up.value) return;
    const m = msg as { id?: string; method?: string; params?: { name?: string } };
    if (m.method === 'initialize') {
      r.inits++;
      setImmediate(() => r.guard.fromUpstream({ jsonrpc: '2.0', id: m.id!, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'model', version: '1' } } }));
    } else if (m.method === 'tools/list') {
      setImmediate(() => r.guard.fromUpstream({ jsonrpc: '2.0', id: m.id!, result: { tools: TOOLS.map((name) => ({ name, inputSchema: { type: 'object' } })) } }));
    } else if (m.method === 'tools/call' && m.id !== undefined) {
      const recs = parseAuditLines(readFileSync(auditFile, 'utf8'));
      const allowed = recs.some((x) => x.request_id === m.id && ((x.kind === 'decision' && x.decision!.effect === 'allow') || (x.kind === 'approval' && x.approval!.state === 'granted')));
      if (!allowed) r.violations.push(m.id);
      r.received.push(m.id);
      setImmediate(() => { if (r.up.value) r.guard.fromUpstream({ jsonrpc: '2.0', id: m.id!, result: { content: [{ type: 'text', text: 'done' }] } }); });
    }
  };
  r.guard = new Guard({
    session: 'abcdef01', server: 'model', identity: { principal: 'model-agent', roles: ['agent'] }, context: {}, policy, audit, approvals: broker,
    now: () => Date.now(), callTimeoutMs: 60_000, toClient: (m) => answered(r, m), toUpstream: upstream, log: () => undefined,
  });
  r.guard.fromClient({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'model', version: '1' } } });
  r.guard.fromClient({ jsonrpc: '2.0', method: 'notifications/initialized' });
  return r;
}

describe('property: the proxy guard under calls, approvals, reloads and restarts', function () {
  this.timeout(120_000);

  it('no call reaches the server without a prior allow record; one record per decision; the chain verifies; denied calls never execute', async () => {
    const commands = fc.commands([
      fc.constantFrom(...TOOLS).map((t) => new Call(t)),
      fc.constantFrom('approve' as const, 'refuse' as const).map((v) => new Answer(v)),
      fc.constant(new Reload()),
      fc.constant(new Crash()),
      fc.constant(new Restart()),
      fc.constant(new DiskFull()),
      fc.constant(new DiskFreed()),
    ], { maxCommands: 25, size: 'max' });
    await fc.assert(fc.asyncProperty(commands, async (cmds) => {
      const real = setup();
      await settle();
      await fc.asyncModelRun(() => ({ model: { readAllowed: true, up: true, full: false, expected: new Map() }, real }), cmds);
      real.broker.failAll('end of run');
      await settle();
    }), fcParams(150));
  });
});
