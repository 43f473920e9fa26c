// The proxy around the demo's finance server, driven by the SDK Client: listing, allow, deny, hidden tools.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../support/cli';
import { connectProxy, FIXTURES, records, recordsWhen, ROOT, tempDir, textOf, type Guarded } from './support';

const POLICY = join(ROOT, 'policies/examples/finance.mandate.yaml');
const CTX = ['--context', 'environment=prod', '--context', 'region=eu-west-1', '--context', 'tenant=acme'];

describe('e2e proxy: finance server through the SDK client', function () {
  this.timeout(30_000);
  let g: Guarded;
  let calls: string;
  before(async () => {
    const dir = tempDir();
    calls = join(dir, 'calls.log');
    g = await connectProxy({ dir, policy: POLICY, proxyArgs: ['--role', 'finance_executor', '--agent', 'payments-agent', '--approval-timeout', '300', ...CTX], server: ['node', join(FIXTURES, 'finance-server.mjs')], env: { FIXTURE_LOG: calls } });
  });
  after(async () => g?.close());

  it('warns on stderr of a --role the policy does not declare (a typo denied every call without a word)', async () => {
    const typo = await connectProxy({ policy: POLICY, proxyArgs: ['--role', 'finance_exector', ...CTX], server: ['node', join(FIXTURES, 'finance-server.mjs')] });
    try {
      const r = await typo.client.callTool({ name: 'get_balance', arguments: {} });
      assert.equal(r.isError, true);
      assert.match(typo.stderr(), /warning: the policy declares no role `finance_exector`: an undeclared role is given nothing, so its calls are denied \(declared: finance_executor, finance_reader\)/);
    } finally {
      await typo.close();
    }
    assert.doesNotMatch(g.stderr(), /declares no role/);
  });

  it('decides a named server\'s calls in the environment the policy declares for it, and refuses to be told another', async () => {
    // `payments` is declared `environment: prod`; list_invoices is granted in prod only
    const named = await connectProxy({ policy: POLICY, proxyArgs: ['--role', 'finance_reader', '--server', 'payments'], server: ['node', join(FIXTURES, 'finance-server.mjs')] });
    try {
      const r = await named.client.callTool({ name: 'list_invoices', arguments: {} });
      assert.equal(r.isError ?? false, false, `${textOf(r)} (it said: context \`environment\` is missing)`);
    } finally {
      await named.close();
    }
    const told = await runCli(['proxy', '--policy', POLICY, '--role', 'finance_reader', '--server', 'payments', '--context', 'environment=dev', '--audit', join(tempDir(), 'a.jsonl'), '--', 'node', join(FIXTURES, 'finance-server.mjs')]);
    assert.notEqual(told.code, 0);
    assert.match(told.stderr, /server `payments` is declared `environment: prod` in the policy, but the proxy was given --context environment=dev: its calls would be decided by another environment's grants/);
  });

  it('lists only the tools the role could be allowed', async () => {
    const { tools } = await g.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['get_balance', 'issue_payment', 'list_invoices']);
  });

  it('forwards an allowed call and records decision then outcome', async () => {
    const r = await g.client.callTool({ name: 'get_balance', arguments: {} });
    assert.match(textOf(r), /EUR/);
    const recs = (await recordsWhen(g.audit, (all) => all.some((x) => x.kind === 'outcome' && x.tool === 'get_balance'))).filter((x) => x.tool === 'get_balance');
    assert.deepEqual(recs.map((x) => x.kind), ['decision', 'outcome']);
    assert.equal(recs[0]!.decision!.effect, 'allow');
    assert.equal(recs[0]!.caller!.client!.name, 'e2e-client');
    assert.equal(recs[1]!.result!.is_error, false);
  });

  it('denies a payment over the limit with the reason in policy words, recorded before the answer', async () => {
    const r = await g.client.callTool({ name: 'issue_payment', arguments: { vendor: 'acme-bv', amount: 1500, currency: 'EUR' } });
    assert.equal(r.isError, true);
    const denial = records(g.audit).filter((x) => x.kind === 'decision' && x.tool === 'issue_payment').at(-1);
    assert.equal(denial?.decision?.effect, 'deny');
    assert.match(textOf(r), /`amount` `1500` exceeds max 1000 \(scope max_amount_1000_eur, .*finance\.mandate\.yaml:\d+:\d+\)/);
  });

  it('denies a hidden tool called anyway, and it never runs', async () => {
    const r = await g.client.callTool({ name: 'refund_payment', arguments: { payment_id: 'P-1' } });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /no-refunds-by-agents/);
    const executed = readFileSync(calls, 'utf8');
    assert.match(executed, /get_balance/);
    assert.doesNotMatch(executed, /refund_payment|1500/);
  });

  it('times out an approval nobody answers and denies the call', async () => {
    const r = await g.client.callTool({ name: 'issue_payment', arguments: { vendor: 'acme-bv', amount: 10, currency: 'EUR' } });
    assert.equal(r.isError, true);
    assert.match(textOf(r), /approval .* timeout/);
    // INVARIANT: a refusal (here a timeout) is on disk before the client hears the denial: read at once, no wait
    const states = records(g.audit).filter((x) => x.kind === 'approval').map((x) => x.approval!.state);
    assert.deepEqual(states, ['asked', 'timeout']);
  });
});
