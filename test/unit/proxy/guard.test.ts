// The guard's audit order on the tools/call path: the outcome record is built after the answer leaves,
// yet keeps its place (and its time) among the records of the events around it.

import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAuditLines, parsePolicy, verifyChain, type AuditRecord } from '../../../policies';
import { ApprovalBroker, AuditLog, Guard, PolicyState, sha256, type JSONRPCMessage } from '../../../extension/proxy';
import { RETRY_MS } from '../../../extension/proxy/auditLog';
import { tempDir } from '../../support/tmp';

const POLICY = 'version: 1\nroles: { agent: { description: Agent. } }\ngrants: [{ agent_role: agent, tool: echo }, { agent_role: agent, tool: pay, requires_approval: true }]\ndeny: [{ id: no-x, tool: echo, args: { x: { equals: 1 } }, reason: "No \\"x\\" here." }]\n';

function setup(onRecord?: (r: AuditRecord) => void, lines?: string[]): { guard: Guard; file: string; clock: { t: number }; upstream: JSONRPCMessage[]; client: JSONRPCMessage[] } {
  const parsed = parsePolicy(POLICY, 'g.mandate.yaml');
  if (!parsed.ok) throw new Error('bad policy');
  const file = join(tempDir('mandate-guard-'), 'audit.jsonl');
  const clock = { t: Date.UTC(2026, 10, 25, 10, 0, 0) };
  const upstream: JSONRPCMessage[] = [];
  const client: JSONRPCMessage[] = [];
  const guard = new Guard({
    session: 's1', server: 'srv', identity: { principal: 'p', roles: ['agent'] }, context: {}, policy: new PolicyState(parsed.parsed, 'v1'),
    audit: AuditLog.open(file, onRecord ? { onRecord } : {}), approvals: new ApprovalBroker('s1', 60_000, () => clock.t), now: () => clock.t, callTimeoutMs: 60_000,
    toClient: (m) => client.push(m), toUpstream: (m) => upstream.push(m), ...(lines ? { toUpstreamRaw: (l: string) => lines.push(l) } : {}), log: () => undefined,
  });
  guard.calls.learn([{ name: 'echo', inputSchema: { type: 'object' } }, { name: 'pay', inputSchema: { type: 'object' } }], false);
  return { guard, file, clock, upstream, client };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const records = (file: string): AuditRecord[] => parseAuditLines(readFileSync(file, 'utf8'));
const call = (id: string): JSONRPCMessage => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { id } } });
const reply = (id: string): JSONRPCMessage => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: id }] } });

describe('proxy/guard audit order', () => {
  it('writes an outcome after the answer is handed over, stamped with the time the answer came', async () => {
    const { guard, file, clock, client } = setup();
    guard.fromClient(call('a'));
    await tick();
    clock.t += 40;
    guard.fromUpstream(reply('a'));
    assert.deepEqual(client.map((m) => (m as { id?: unknown }).id), ['a'], 'the answer went to the client at once');
    clock.t += 500;
    await tick();
    const outcome = records(file).find((r) => r.kind === 'outcome');
    assert.ok(outcome, 'the outcome is on disk after the tick');
    assert.equal(outcome.time, new Date(clock.t - 500).toISOString());
    assert.equal(outcome.result?.latency_ms, 40);
    assert.equal(outcome.result?.digest, sha256(JSON.stringify((reply('a') as { result: unknown }).result)));
  });

  it('has the decision and the ask of an approval on disk before the human is told (a proxy killed then leaves both)', () => {
    const told: string[] = [];
    const { guard, file } = setup();
    guard.o.log = (line) => told.push(line);
    guard.fromClient({ jsonrpc: '2.0', id: 'p', method: 'tools/call', params: { name: 'pay', arguments: { amount: 5 } } });
    assert.match(told.join('\n'), /approval \S+ needed for `pay`/);
    const seen = records(file).map((r) => `${r.kind}:${r.approval?.state ?? r.decision?.effect ?? ''}`);
    assert.deepEqual(seen, ['decision:approval_required', 'approval:asked']);
  });

  it('keeps records in the order of events: an answered call\'s outcome precedes the next call\'s decision', async () => {
    const { guard, file } = setup();
    guard.fromClient(call('a'));
    await tick();
    guard.fromUpstream(reply('a'));
    guard.fromClient(call('b'));
    guard.fromUpstream({ jsonrpc: '2.0', id: 'zz', result: {} });
    await tick();
    guard.flush();
    const text = readFileSync(file, 'utf8');
    assert.equal(verifyChain(text, sha256).ok, true);
    const seen = records(file).filter((r) => r.kind !== 'session').map((r) => `${r.kind}:${r.request_id ?? ''}`);
    assert.deepEqual(seen, ['decision:a', 'outcome:a', 'decision:b']);
  });

  it('writes each record as the JSON of the record it reports, whichever way the line was built', async () => {
    const seen: AuditRecord[] = [];
    const { guard, file } = setup((r) => seen.push(r));
    guard.fromClient({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c "1"', version: 'é' } } });
    guard.fromClient(call('a'));
    guard.fromClient({ jsonrpc: '2.0', id: 'd', method: 'tools/call', params: { name: 'echo', arguments: { x: 1, '\u2028': [null] } } });
    guard.fromClient({ jsonrpc: '2.0', id: 'p', method: 'tools/call', params: { name: 'pay', arguments: { amount: 5 } } });
    await tick();
    guard.fromUpstream(reply('a'));
    guard.o.identity.roles = ['agent', 'other'];
    guard.record({ kind: 'session', detail: { event: 'custom' } });
    guard.record({ kind: 'session', time: '2000-01-01T00:00:00.000Z', detail: { event: 'own time' } });
    guard.record({ kind: 'error', ...({ 7: 'integer key' } as object), error: { code: 'x', message: 'y' } });
    guard.flush();
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 9);
    assert.deepEqual(lines, seen.map((r) => JSON.stringify(r)));
    assert.equal(verifyChain(`${lines.join('\n')}\n`, sha256).ok, true);
    const recs = records(file);
    assert.deepEqual(recs.map((r) => r.caller?.client?.name), Array(9).fill('c "1"'));
    assert.deepEqual(recs.map((r) => r.caller?.roles.length), [1, 1, 1, 1, 1, 1, 2, 2, 2]);
    assert.equal(recs[7]!.time, '2000-01-01T00:00:00.000Z');
    assert.deepEqual(recs.filter((r) => r.kind === 'decision').map((r) => r.decision?.effect), ['allow', 'deny', 'approval_required']);
    assert.match(recs.find((r) => r.request_id === 'p' && r.kind === 'decision')!.args_digest ?? '', /^[0-9a-f]{64}$/);
    guard.o.approvals.failAll('end of test');
  });

  it('forwards a checked call as the line JSON.stringify makes of the message, arguments serialised once', async () => {
    const lines: string[] = [];
    const { guard, upstream } = setup(undefined, lines);
    const calls = [
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"b":[1,{"c":null}],"a":"é\\u2028\\"","__proto__":{"x":1},"1":0}}}',
      '{"params":{"_meta":{"progressToken":"t"},"name":"echo","arguments":{"x":2}},"id":"q\\"\\\\1","method":"tools/call","jsonrpc":"2.0"}',
      '{"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"echo"}}',
    ].map((text) => JSON.parse(text) as { id: string | number; params: { name: string; arguments?: unknown; _meta?: unknown } });
    for (const c of calls) guard.fromClient(c as unknown as JSONRPCMessage);
    await tick();
    const sent = (c: (typeof calls)[number]): string => {
      const p = c.params;
      return JSON.stringify({ jsonrpc: '2.0', id: c.id, method: 'tools/call', params: { name: p.name, arguments: p.arguments ?? {}, ...(p._meta !== undefined ? { _meta: p._meta } : {}) } });
    };
    assert.match(lines[0]!, /"__proto__":\{"x":1\}/);
    assert.deepEqual(lines, calls.map(sent));
    assert.deepEqual(upstream.filter((m) => (m as { method?: string }).method === 'tools/call'), [], 'calls went as lines, not objects');
  });
});

describe('proxy/guard with a log shared by sessions (the HTTP proxy)', () => {
  it('denies a held call whose decision record went with another session\'s failed write, though the log recovered before its flush', async () => {
    const parsed = parsePolicy(POLICY, 'g.mandate.yaml');
    if (!parsed.ok) throw new Error('bad policy');
    const file = join(tempDir('mandate-guard-shared-'), 'audit.jsonl');
    const disk = { full: false, t: 0 };
    const audit = AuditLog.open(file, { now: () => disk.t, write: (fd, text) => { if (disk.full) throw new Error('ENOSPC (test)'); writeFileSync(fd, text); } });
    const policy = new PolicyState(parsed.parsed, 'v1');
    const upstream: string[] = [];
    const client: JSONRPCMessage[] = [];
    const session = (id: string): Guard => {
      const g = new Guard({
        session: id, server: 'srv', identity: { principal: id, roles: ['agent'] }, context: {}, policy, audit,
        approvals: new ApprovalBroker(id, 60_000, () => disk.t), now: () => Date.UTC(2026, 10, 26), callTimeoutMs: 60_000,
        toClient: (m) => client.push(m), toUpstream: (m) => upstream.push(String((m as { id?: unknown }).id)), log: () => undefined,
      });
      g.calls.learn([{ name: 'echo', inputSchema: { type: 'object' } }], false);
      return g;
    };
    const a = session('a');
    const b = session('b');
    // a's allowed call: its decision record is enqueued, the call held until a's flush (at the end of this tick)
    a.fromClient({ jsonrpc: '2.0', id: 'a1', method: 'tools/call', params: { name: 'echo', arguments: {} } });
    // meanwhile b's denial is written at once — and that write, holding a's record too, fails
    disk.full = true;
    b.fromClient({ jsonrpc: '2.0', id: 'b1', method: 'tools/call', params: { name: 'echo', arguments: { x: 1 } } });
    // … and, before a's flush, the disk has room and the writer may try again (a stall of a second)
    disk.full = false;
    disk.t += RETRY_MS;
    await tick();
    assert.deepEqual(upstream, [], 'a1 never reached the server: its decision record was lost');
    const heard = client.map((m) => `${String((m as { id?: unknown }).id)}: ${JSON.stringify(m).includes('audit log cannot be written') ? 'audit' : 'other'}`);
    assert.deepEqual(heard.sort(), ['a1: audit', 'b1: audit']);
    a.fromClient({ jsonrpc: '2.0', id: 'a2', method: 'tools/call', params: { name: 'echo', arguments: {} } });
    await tick();
    assert.deepEqual(upstream, ['a2'], 'the log recovered: calls go on');
    const recs = records(file);
    assert.equal(verifyChain(readFileSync(file, 'utf8'), sha256).ok, true);
    assert.deepEqual(recs.filter((r) => r.kind === 'decision').map((r) => r.request_id), ['a2']);
    assert.deepEqual(recs.find((r) => (r.detail as { event?: string } | undefined)?.event === 'audit_resumed')?.detail, { event: 'audit_resumed', since: new Date(0).toISOString(), lost: { decision: 2 } });
  });
});
