// The approval broker and the channel contract's guards: single use, timeouts, first answer wins.

import assert from 'node:assert/strict';
import { ApprovalBroker } from '../../../extension/proxy/approvals';
import { isClientMessage, isProxyMessage, sessionOfApproval, type ApprovalRequest } from '../../../extension/proxy/approvalProtocol';

const req = (id: string): ApprovalRequest => ({
  id, session: 'abcdef012345', server: 's', tool: 't', principal: 'p', roles: ['r'], args: {}, args_digest: 'd',
  policy_version: 'v', reasons: ['why'], asked_at: '2026-11-25T00:00:00.000Z', expires_at: '2026-11-25T00:01:00.000Z',
});

describe('proxy/approvals', () => {
  it('settles once: the first answer wins, a second is refused', async () => {
    const b = new ApprovalBroker('abcdef012345', 60_000, () => 0);
    const id = b.newId();
    const p = b.ask(req(id));
    assert.equal(b.pending().length, 1);
    assert.equal(b.answer(id, 'approve', 'terminal', 'alice').ok, true);
    assert.equal(b.answer(id, 'refuse', 'editor').ok, false);
    const out = await p;
    assert.equal(out.state, 'granted');
    assert.equal(out.by, 'alice');
    assert.equal(b.pending().length, 0);
  });

  it('times out to a refusal-like state', async () => {
    const b = new ApprovalBroker('abcdef012345', 5, () => 0);
    const out = await b.ask(req(b.newId()));
    assert.equal(out.state, 'timeout');
  });

  it('guards channel messages both ways and maps ids to sessions', () => {
    assert.equal(isClientMessage({ type: 'answer', id: 'abcdef012345-1', verdict: 'approve' }), true);
    assert.equal(isClientMessage({ type: 'answer', id: 'x', verdict: 'maybe' }), false);
    assert.equal(isClientMessage({ type: 'hello' }), false);
    assert.equal(isProxyMessage({ type: 'pending', approvals: [req('abcdef012345-1')] }), true);
    assert.equal(isProxyMessage({ type: 'pending', approvals: [{ id: 1 }] }), false);
    assert.equal(sessionOfApproval('abcdef012345-12'), 'abcdef012345');
    assert.equal(sessionOfApproval('../../etc-1'), undefined);
  });
});
