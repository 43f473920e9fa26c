// The approval channel's door: one guess at the session secret per connection, then nothing more is read.

import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { ApprovalBroker } from '../../../extension/proxy/approvals';
import { openApprovalChannel } from '../../../extension/proxy/approvalChannel';
import { tempDir } from '../../support/tmp';

/** Send `text` on a fresh connection; resolves with everything the proxy wrote back once it closes the connection. */
function exchange(socket: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(socket);
    let got = '';
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => { got += c; });
    sock.on('error', reject);
    sock.on('close', () => resolve(got));
    sock.on('connect', () => sock.write(text));
    setTimeout(() => sock.end(), 1500);
  });
}

describe('proxy/approval channel', () => {
  it('reads nothing after a wrong secret, not even the right secret and an answer in the same chunk', async () => {
    const broker = new ApprovalBroker('abc123', 60_000, () => Date.now());
    const channel = await openApprovalChannel(broker, { server: 'srv', principal: 'p', dir: tempDir('mandate-chan-') });
    try {
      const req = { id: broker.newId(), session: 'abc123', server: 'srv', tool: 'pay', principal: 'p', roles: ['r'], args: {}, args_digest: 'd', policy_version: 'v', reasons: [], asked_at: '', expires_at: '' };
      const outcome = broker.ask(req);
      const lines = [
        { type: 'hello', secret: 'guess', who: 'terminal' },
        { type: 'hello', secret: channel.info.secret, who: 'terminal' },
        { type: 'answer', id: req.id, verdict: 'approve', by: 'mallory' },
      ].map((m) => `${JSON.stringify(m)}\n`).join('');
      const got = await exchange(channel.info.socket, lines);
      assert.match(got, /wrong or missing secret/);
      assert.doesNotMatch(got, /welcome|answered/);
      assert.deepEqual(broker.pending().map((r) => r.id), [req.id], 'still waiting for a human');
      const ok = await exchange(channel.info.socket, `${JSON.stringify({ type: 'hello', secret: channel.info.secret, who: 'terminal' })}\n${JSON.stringify({ type: 'answer', id: req.id, verdict: 'refuse', by: 'alice' })}\n`);
      assert.match(ok, /"answered"/);
      assert.equal((await outcome).state, 'refused');
    } finally {
      channel.close();
    }
  });

  it('closes a connection whose first line is not a channel message', async () => {
    const broker = new ApprovalBroker('def456', 60_000, () => Date.now());
    const channel = await openApprovalChannel(broker, { server: 'srv', principal: 'p', dir: tempDir('mandate-chan-') });
    try {
      const got = await exchange(channel.info.socket, 'garbage\n{"type":"list"}\n');
      assert.match(got, /not an approval channel message/);
      assert.doesNotMatch(got, /pending/);
    } finally {
      channel.close();
    }
  });
});
