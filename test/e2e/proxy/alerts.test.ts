// Alerts raised by the running proxy itself (not by replaying its log): the policy's `alerts:` rules
// see every record the proxy writes and report on its stderr.

import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectProxy, FIXTURES, records, ROOT, tempDir, type Guarded } from './support';

const SERVER = ['node', join(FIXTURES, 'finance-server.mjs')];

function policyWith(extra: string): { dir: string; policy: string } {
  const dir = tempDir('mandate-alerts-');
  const policy = join(dir, 'finance.mandate.yaml');
  copyFileSync(join(ROOT, 'policies/examples/finance.mandate.yaml'), policy);
  writeFileSync(policy, readFileSync(policy, 'utf8') + extra);
  return { dir, policy };
}

describe('e2e proxy: alerts', function () {
  this.timeout(60_000);

  it('reports a denial burst on stderr while the session runs, and the session end is not an error', async () => {
    const { dir, policy } = policyWith('alerts:\n  rules:\n    - { on: denial_burst, count: 3, within_seconds: 600 }\n');
    const g = await connectProxy({ policy, dir, server: SERVER, proxyArgs: ['--role', 'finance_executor'] });
    try {
      for (const id of ['p1', 'p2']) await g.client.callTool({ name: 'refund_payment', arguments: { payment_id: id } });
      assert.doesNotMatch(g.stderr(), /denial_burst|denial burst/i, 'two denials are below the threshold');
      await g.client.callTool({ name: 'refund_payment', arguments: { payment_id: 'p3' } });
      await untilStderr(g, /denial[_ ]burst/i);
    } finally {
      await g.close();
    }
    const log = records(join(dir, 'audit.jsonl'));
    assert.equal(log.filter((r) => r.kind === 'error').length, 0, JSON.stringify(log.filter((r) => r.kind === 'error')));
    assert.ok(log.some((r) => r.kind === 'session' && (r.detail as { event?: string } | undefined)?.event === 'upstream_stopped'));
  });

  it('raises nothing when the policy has no alerts section', async () => {
    const { dir, policy } = policyWith('');
    const g = await connectProxy({ policy, dir, server: SERVER, proxyArgs: ['--role', 'finance_executor'] });
    try {
      for (const id of ['p1', 'p2', 'p3', 'p4']) await g.client.callTool({ name: 'refund_payment', arguments: { payment_id: id } });
    } finally {
      await g.close();
    }
    assert.doesNotMatch(g.stderr(), /denial[_ ]burst/i);
  });
});

/** Resolve when the proxy's stderr matches, checking on each chunk it writes (bounded by the test timeout). */
function untilStderr(g: Guarded, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    if (re.test(g.stderr())) return resolve();
    const onData = (): void => {
      if (!re.test(g.stderr())) return;
      g.transport.stderr?.off('data', onData);
      resolve();
    };
    g.transport.stderr?.on('data', onData);
  });
}
