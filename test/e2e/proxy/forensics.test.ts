// The seed article's practice 4 and its common mistakes, end to end through the built proxy: one session's
// records answer an investigator's questions (who, which model/agent, what arguments, what came back, whether an
// approval was required and who gave it), redacted values stay out of the log — also out of what can be
// computed from it — and settings that ask for the article's mistakes switch nothing off.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { canonicalJson, type AuditRecord } from '../../../policies';
import { call, killAll, rawProxy } from './raw';
import { CLI, connectProxy, FIXTURES, nextApproval, records, recordsWhen, tempDir, textOf } from './support';

const run = promisify(execFile);
const CARD = '4111111111111111';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const HEX64 = /^[0-9a-f]{64}$/;
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

describe('e2e proxy: forensic audit records (seed article, practice 4)', function () {
  this.timeout(30_000);
  after(killAll);

  it('one approved call leaves who, which agent, what arguments (redacted), the approval and what came back', async () => {
    const g = await connectProxy({ policy: join(FIXTURES, 'card.mandate.yaml'), proxyArgs: ['--agent', 'checkout-bot'], server: ['node', join(FIXTURES, 'echo-exact-args.mjs')] });
    try {
      const args = { card_number: CARD, note: 'order 42' };
      const idP = nextApproval(g);
      const pending = g.client.callTool({ name: 'echo', arguments: args });
      const id = await idP;
      const a = await run(process.execPath, [CLI, 'approve', id, '--runtime-dir', join(g.dir, 'run'), '--by', 'alice']);
      assert.match(a.stdout + a.stderr, /approved/);
      const r = await pending;
      assert.notEqual(r.isError, true, textOf(r));
      const denied = await g.client.callTool({ name: 'delete_all', arguments: { card_number: CARD } });
      assert.equal(denied.isError, true);
      const malformed = await g.client.callTool({ name: 'echo', arguments: { card_number: `${CARD}9` } });
      assert.equal(malformed.isError, true);

      const recs = await recordsWhen(g.audit, (all) => all.some((x) => x.kind === 'outcome' && x.tool === 'echo')
        && all.filter((x) => x.kind === 'decision').length === 3);
      for (const x of recs) assert.match(x.time, ISO, `record ${x.seq} has a time`);
      const [paid, deletion, badCard] = recs.filter((x) => x.kind === 'decision');
      // who triggered it, with which role, and which client (model/agent) selected the tool
      assert.equal(paid!.caller?.principal, 'checkout-bot');
      assert.deepEqual(paid!.caller?.roles, ['payer']);
      assert.deepEqual(paid!.caller?.client, { name: 'e2e-client', version: '1.2.3' });
      assert.equal(paid!.server, 'echo-exact-args');
      assert.equal(paid!.tool, 'echo');
      assert.equal(paid!.method, 'tools/call');
      assert.notEqual(paid!.request_id, undefined);
      assert.match(paid!.policy?.version ?? '', /^[0-9a-f]{16,64}$/);
      // what arguments were sent, redacted per policy
      assert.deepEqual(paid!.args, { card_number: '[redacted]', note: 'order 42' });
      // the decision, the rule that made it and why
      assert.equal(paid!.decision?.effect, 'approval_required');
      assert.deepEqual(paid!.decision?.rules, ['grants[0]']);
      assert.match(paid!.decision.reasons[0]!, /approves.*card\.mandate\.yaml:\d+:\d+/);
      // whether approval was required and captured: asked, then granted by whom, how and when
      const approvals = recs.filter((x) => x.kind === 'approval' && x.request_id === paid!.request_id);
      assert.deepEqual(approvals.map((x) => x.approval?.state), ['asked', 'granted']);
      assert.equal(approvals[1]!.approval?.id, id);
      assert.equal(approvals[1]!.approval?.by, 'alice');
      assert.equal(approvals[1]!.approval?.via, 'terminal');
      assert.match(approvals[1]!.approval?.at ?? '', ISO);
      for (const x of approvals) assert.equal(x.args_digest, paid!.args_digest, 'the approval records name the call they approve');
      // what came back: a digest, the error flag and the latency, after the approval
      const outcome = recs.find((x) => x.kind === 'outcome' && x.request_id === paid!.request_id)!;
      assert.ok(outcome.seq > approvals[1]!.seq);
      assert.equal(outcome.result?.is_error, false);
      assert.match(outcome.result?.digest ?? '', HEX64);
      assert.equal(typeof outcome.result?.latency_ms, 'number');
      // denials are records too, naming the rule; a reason about a redacted argument does not quote it
      assert.equal(deletion!.decision?.effect, 'deny');
      assert.deepEqual(deletion!.decision?.rules, ['no-deletes']);
      assert.equal(badCard!.decision?.effect, 'deny');
      assert.match(badCard!.decision.reasons.join(' '), /card_number/);
      // the redacted value is nowhere in the log …
      const text = readFileSync(g.audit, 'utf8');
      assert.equal(text.includes(CARD), false, 'the card number is written to the log');
      // … nor can it be recovered from it: a plain SHA-256 of the canonical arguments, next to every other
      // argument in clear, lets anyone holding the log try card numbers (or PINs, passwords) until one matches
      for (const [x, sent] of [[paid!, args], [deletion!, { card_number: CARD }], [badCard!, { card_number: `${CARD}9` }]] as Array<[AuditRecord, object]>) {
        assert.match(x.args_digest ?? '', HEX64, `record ${x.seq} has an args_digest`);
        assert.notEqual(x.args_digest, sha256(canonicalJson(sent)), `record ${x.seq}: args_digest is a guessing oracle for the redacted value`);
      }
    } finally {
      await g.close();
    }
  });

  it('a policy asking for the article\'s mistakes (no audit, only successes, fail open) still records every decision and fails closed', async () => {
    const policy = join(FIXTURES, 'mistakes.mandate.yaml');
    const p = rawProxy(policy, ['--role', 'tester', '--approval-timeout', '300'], ['node', join(FIXTURES, 'echo-exact-args.mjs')]);
    await p.handshake();
    p.send(call(1, 'echo', { message: 'hi' }));
    assert.doesNotMatch(JSON.stringify(await p.reply(1)), /isError/);
    p.send(call(2, 'delete_all', {}));
    assert.match(JSON.stringify(await p.reply(2)), /no-deletes/);
    p.send(call(3, 'slow_echo', {}));
    assert.match(JSON.stringify(await p.reply(3)), /approval \S+ timeout \(no answer within 0\.3 s\)/);
    p.proc.stdin!.end();
    await p.exited;
    const recs = records(p.audit);
    const effects = recs.filter((x) => x.kind === 'decision').map((x) => `${x.request_id}:${x.decision?.effect}`);
    assert.deepEqual(effects, ['1:allow', '2:deny', '3:approval_required']);
    assert.deepEqual(recs.filter((x) => x.kind === 'approval').map((x) => x.approval?.state), ['asked', 'timeout']);
    assert.ok(recs.some((x) => x.kind === 'outcome' && x.request_id === 1));

    // `on_write_error: allow` and `failure_mode: open` do not let a call run without its record
    const dir = tempDir();
    const ran = join(dir, 'calls.log');
    const q = rawProxy(policy, ['--role', 'tester'], ['node', join(FIXTURES, 'echo-exact-args.mjs')], { dir, audit: '/dev/full', env: { FIXTURE_LOG: ran } });
    await q.handshake();
    q.send(call(1, 'echo', { message: 'hi' }));
    assert.match(JSON.stringify(await q.reply(1)), /audit log cannot be written/);
    assert.equal(existsSync(ran), false, 'the server ran a call that has no audit record');
    q.proc.stdin!.end();
    await q.exited;
  });
});
