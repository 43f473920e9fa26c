// Live alerting: `mandate audit alerts --follow` watches the log while a real proxied session runs and
// delivers the denial burst to a loopback webhook as it happens; it stops cleanly on SIGTERM.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { CLI, connectProxy, FIXTURES, ROOT, tempDir } from '../proxy/support';
import { ALERTS } from './sessions';

describe('e2e governance: live alerts while a proxied session runs', function () {
  this.timeout(60_000);

  it('delivers a denial burst to the webhook during the session, then exits 0 on SIGTERM', async () => {
    const dir = tempDir('mandate-follow-');
    const policy = join(dir, 'finance.mandate.yaml');
    copyFileSync(join(ROOT, 'policies/examples/finance.mandate.yaml'), policy);
    writeFileSync(policy, readFileSync(policy, 'utf8') + ALERTS);
    const log = join(dir, 'audit.jsonl');
    writeFileSync(log, '');
    const alerts: Array<{ alert: { kind: string; seq: number[] } }> = [];
    let onAlert: () => void = () => undefined;
    const hook = createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => { b += c.toString(); });
      req.on('end', () => { alerts.push(JSON.parse(b)); res.end(); onAlert(); });
    });
    hook.listen(0, '127.0.0.1');
    await once(hook, 'listening');
    const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/alerts`;
    const follower = spawn(process.execPath, [CLI, 'audit', 'alerts', '--policy', policy, log, '--follow', '--webhook', url], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    await new Promise<void>((resolve) => follower.stderr.on('data', (c: Buffer) => { err += c.toString(); if (err.includes('following')) resolve(); }));
    const g = await connectProxy({ policy, dir, server: ['node', join(FIXTURES, 'finance-server.mjs')], proxyArgs: ['--role', 'finance_executor', '--agent', 'payments-agent'] });
    try {
      const burst = new Promise<void>((resolve) => { onAlert = () => { if (alerts.some((a) => a.alert.kind === 'denial_burst')) resolve(); }; });
      for (const id of ['p1', 'p2', 'p3']) {
        const r = await g.client.callTool({ name: 'refund_payment', arguments: { payment_id: id } });
        assert.equal(r.isError, true);
      }
      // the session is still open: the alert arrives while it runs
      await burst;
      const a = alerts.find((x) => x.alert.kind === 'denial_burst')!;
      assert.equal(a.alert.seq.length, 3);
    } finally {
      await g.close();
      hook.close();
    }
    follower.kill('SIGTERM');
    const [code] = await once(follower, 'exit') as [number | null];
    assert.equal(code, 0, err);
  });
});
