// upstreamOf(): a server the policy declares in an environment is governed in that one, by both proxies.

import assert from 'node:assert/strict';
import { upstreamOf } from '../../../../extension/proxy/http/upstreamChoice';
import type { ServerDef } from '../../../../policies';

const SERVERS: Record<string, ServerDef> = { payments: { command: ['node', 'pay.mjs'], environment: 'prod' }, notes: { command: ['node', 'notes.mjs'] } };
const choose = (o: { server: string; environment?: string; context?: Record<string, string> }) => upstreamOf({ command: ['node', 'x.mjs'], upstreamTtlSec: 300, ...o }, SERVERS, {}, () => 0, () => undefined);

describe('proxy/upstreamOf: the declared environment', () => {
  it('names the declared environment, and takes an agreeing flag', async () => {
    assert.equal((await choose({ server: 'payments' })).declared, 'prod');
    assert.deepEqual((await choose({ server: 'payments', context: { tenant: 'acme' } })).context, { tenant: 'acme', environment: 'prod' }, 'the calls get the declared environment');
    assert.deepEqual((await choose({ server: 'notes', context: { tenant: 'acme' } })).context, { tenant: 'acme' });
    assert.equal((await choose({ server: 'payments', environment: 'prod', context: { environment: 'prod' } })).environment, 'prod');
    assert.equal((await choose({ server: 'notes', environment: 'dev' })).declared, undefined, 'nothing declared: the flag stands');
  });

  it('refuses --environment or --context environment naming another one', async () => {
    await assert.rejects(choose({ server: 'payments', environment: 'dev' }), /server `payments` is declared `environment: prod` in the policy, but the proxy was given --environment=dev/);
    await assert.rejects(choose({ server: 'payments', context: { environment: 'staging' } }), /given --context environment=staging/);
  });
});
