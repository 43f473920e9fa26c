// Model-based test of the guard (fast-check fc.commands): calls, approvals, refusals, policy reloads
// and upstream crashes/restarts against a real audit log; after every step the safety properties hold.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parsePolicy, parseAuditLines, verifyChain, type Effect, type ParsedPolicy } from '../../../policies';
import { ApprovalBroker, AuditLog, Guard, PolicyState, sha256, type JSONRPCMessage } from '../../../extension/proxy';
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
  replies: Map<string, JSONRPCMessage>;
  up: { value: boolean };
  /** `initialize` requests the fake server received (the client's, then one per restart) */
  inits: number;
  nextId: number;
}

interface Model {
  readAllowed: boolean;
  up: boolean;
  expected: Map<string, Effect>;
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
    assert.equal(mine.length, 1, `call ${id} has exactly one decision record`);
    assert.equal(mine[0]!.decision!.effect, effect, `call ${id} decided as the model says`);
    const granted = recs.some((x) => x.kind === 'approval' && x.request_id === id && x.approval!.state === 'granted');
    if (effect === 'deny' || (effect === 'approval_required' && !granted)) assert.equal(r.received.includes(id), false, `call ${id} was not allowed and never executed`);
  }
  assert.deepEqual(r.violations, [], 'no call reached the server without a prior allow record on disk');
}

class Call implements fc.AsyncCommand<Model, Real> {
  constructor(readonly tool: (typeof TOOLS)[number]) {}
  check = (): boolean => true;
  async run(m: Model, r: Real): Promise<void> {
    const id = `c${r.nextId++}`;
    const effect: Effect = this.tool === 'read' ? (m.readAllowed ? 'allow' : 'deny') : this.tool === 'pay' ? 'approval_required' : 'deny';
    m.expected.set(id, effect);
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
  const recs = parseAuditLines(readFileSync(r.auditFile, 'utf8')).filter((x) => x.request_id === id);
  const recorded = recs.some((x) => (x.kind === 'decision' && x.decision!.effect === 'deny') || (x.kind === 'approval' && x.approval!.state !== 'granted' && x.approval!.state !== 'asked'));
  if (!recorded) r.violations.push(`${id} (denied before its record was written)`);
}

function setup(): Real {
  const dir = tempDir('mandate-model-');
  const auditFile = join(dir, 'audit.jsonl');
  const audit = AuditLog.open(auditFile);
  const policy = new PolicyState(parsed(true), 'v-open');
  const broker = new ApprovalBroker('abcdef01', 60_000, () => Date.now());
  const real: Partial<Real> = { broker, policy, auditFile, received: [], violations: [], replies: new Map(), up: { value: true }, inits: 0, nextId: 1 };
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
    ], { maxCommands: 25 });
    await fc.assert(fc.asyncProperty(commands, async (cmds) => {
      const real = setup();
      await settle();
      await fc.asyncModelRun(() => ({ model: { readAllowed: true, up: true, expected: new Map() }, real }), cmds);
      real.broker.failAll('end of run');
      await settle();
    }), fcParams(40));
  });
});
