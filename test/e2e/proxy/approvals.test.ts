// Approvals end to end: `mandate approve|refuse` over the approval channel, and MCP elicitation.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { CLI, connectProxy, FIXTURES, nextApproval, records, recordsWhen, ROOT, textOf } from './support';

const run = promisify(execFile);
const POLICY = join(ROOT, 'policies/examples/finance.mandate.yaml');
const ARGS = ['--role', 'finance_executor', '--context', 'environment=prod', '--context', 'region=eu-west-1', '--context', 'tenant=acme'];
const PAY = { name: 'issue_payment', arguments: { vendor: 'acme-bv', amount: 250, currency: 'EUR' } };

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await run(process.execPath, [CLI, ...args]);
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

describe('e2e proxy: approvals', function () {
  this.timeout(30_000);

  it('holds an approval-required call until `mandate approve ID`, once; a second answer is refused', async () => {
    const g = await connectProxy({ policy: POLICY, proxyArgs: ARGS, server: ['node', join(FIXTURES, 'finance-server.mjs')] });
    try {
      const idP = nextApproval(g);
      const call = g.client.callTool(PAY);
      const id = await idP;
      // the command the proxy prints finds this session (--runtime-dir): printed without it, it looked in the default folder
      const printed = new RegExp(`approval ${id} needed for \`issue_payment\` — answer with \`mandate (approve ${id} [^\`]*)\``).exec(g.stderr())?.[1];
      assert.equal(printed, `approve ${id} --runtime-dir ${join(g.dir, 'run')}`, g.stderr());
      const a = await cli([...printed.split(' '), '--by', 'alice']);
      assert.equal(a.code, 0, a.err);
      const r = await call;
      assert.notEqual(r.isError, true, textOf(r));
      assert.match(textOf(r), /paid 250 EUR to acme-bv/);
      const again = await cli(['approve', id, '--runtime-dir', join(g.dir, 'run'), '--by', 'bob']);
      assert.equal(again.code, 1);
      assert.match(again.err, /already settled \(granted\): your answer was recorded but not applied/);
      // the late answer is evidence: recorded (after the grant's own record), and it changed nothing
      const deadline = Date.now() + 10_000;
      while (!records(g.audit).some((x) => x.error?.code === 'approval_late') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const late = records(g.audit).filter((x) => x.error?.code === 'approval_late');
      assert.equal(late.length, 1);
      assert.equal(late[0]!.kind, 'error');
      assert.match(late[0]!.error!.message, /approve of approval .* by bob \(terminal\) arrived after it was settled \(granted\)/);
      const appr = records(g.audit).filter((x) => x.kind === 'approval');
      assert.deepEqual(appr.map((x) => [x.approval!.state, x.approval!.by ?? null]), [['asked', null], ['granted', 'alice']]);
      assert.equal(appr[1]!.approval!.via, 'terminal');
      assert.equal(records(g.audit).filter((x) => x.kind === 'outcome' && x.tool === 'issue_payment').length, 1, 'paid once');
    } finally {
      await g.close();
    }
  });

  it('denies the call when `mandate refuse ID` answers, and it never runs', async () => {
    const g = await connectProxy({ policy: POLICY, proxyArgs: ARGS, server: ['node', join(FIXTURES, 'finance-server.mjs')] });
    try {
      const idP = nextApproval(g);
      const call = g.client.callTool(PAY);
      const id = await idP;
      assert.equal((await cli(['refuse', id, '--runtime-dir', join(g.dir, 'run')])).code, 0);
      const r = await call;
      assert.equal(r.isError, true);
      assert.match(textOf(r), /refused/);
      assert.equal(records(g.audit).filter((x) => x.kind === 'outcome' && x.tool === 'issue_payment').length, 0);
    } finally {
      await g.close();
    }
  });

  it('asks a client that supports elicitation, and follows its answer', async () => {
    const answers = [true, false];
    const g = await connectProxy({ policy: POLICY, proxyArgs: ARGS, server: ['node', join(FIXTURES, 'finance-server.mjs')], capabilities: { elicitation: {} } });
    const asked: string[] = [];
    g.client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return { action: 'accept', content: { approve: answers.shift()! } };
    });
    try {
      const ok = await g.client.callTool(PAY);
      assert.match(textOf(ok), /paid 250/);
      const no = await g.client.callTool(PAY);
      assert.equal(no.isError, true);
      assert.equal(asked.length, 2);
      assert.match(asked[0]!, /issue_payment/);
      const states = (await recordsWhen(g.audit, (all) => all.some((x) => x.approval?.state === 'refused'))).filter((x) => x.kind === 'approval').map((x) => `${x.approval!.state}:${x.approval!.via}`);
      assert.deepEqual(states, ['asked:elicitation', 'granted:elicitation', 'asked:elicitation', 'refused:elicitation']);
    } finally {
      await g.close();
    }
  });

  it('with --no-elicitation never asks the client (which could be the agent answering itself): only the channel decides', async () => {
    const g = await connectProxy({ policy: POLICY, proxyArgs: [...ARGS, '--no-elicitation'], server: ['node', join(FIXTURES, 'finance-server.mjs')], capabilities: { elicitation: {} } });
    const asked: string[] = [];
    g.client.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(req.params.message);
      return { action: 'accept', content: { approve: true } }; // an agent approving its own payment
    });
    try {
      const idP = nextApproval(g);
      const call = g.client.callTool(PAY);
      const id = await idP;
      const r = await cli(['refuse', id, '--runtime-dir', join(g.dir, 'run'), '--by', 'alice']);
      assert.equal(r.code, 0, r.err);
      const res = await call;
      assert.equal(res.isError, true, textOf(res));
      assert.deepEqual(asked, [], 'the client was never asked');
      const states = (await recordsWhen(g.audit, (all) => all.some((x) => x.approval?.state === 'refused'))).filter((x) => x.kind === 'approval').map((x) => `${x.approval!.state}:${x.approval!.via}`);
      assert.deepEqual(states, ['asked:channel', 'refused:terminal'], 'asked on the channel (it said `editor` though no editor was there)');
    } finally {
      await g.close();
    }
  });
});
