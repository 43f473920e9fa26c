// The approval channel's door: one guess at the session secret per connection, then nothing more is read.

import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { ApprovalBroker } from '../../../extension/proxy/approvals';
import { openApprovalChannel, readSession } from '../../../extension/proxy/approvalChannel';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('removes the session files a dead proxy left (a killed one cannot), and nothing else', async () => {
    const dir = tempDir('mandate-chan-');
    chmodSync(dir, 0o700);
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const info = (session: string, pid: number): string => JSON.stringify({ session, socket: join(dir, `${session}.sock`), secret: 's', pid, server: 'srv', principal: 'p', started: '2026-11-26T00:00:00Z' });
    writeFileSync(join(dir, 'aaaa1111.json'), info('aaaa1111', deadPid), { mode: 0o600 });
    writeFileSync(join(dir, 'aaaa1111.sock'), '');
    writeFileSync(join(dir, 'bbbb2222.json'), info('bbbb2222', process.pid), { mode: 0o600 }); // alive
    writeFileSync(join(dir, 'cccc3333.json'), info('other', deadPid), { mode: 0o600 }); // names another session: not ours to judge
    writeFileSync(join(dir, 'notes.json'), '{"mine": true}', { mode: 0o600 });
    const channel = await openApprovalChannel(new ApprovalBroker('dddd4444', 60_000, () => Date.now()), { server: 'srv', principal: 'p', dir });
    try {
      assert.deepEqual(readdirSync(dir).sort(), ['bbbb2222.json', 'cccc3333.json', 'dddd4444.json', 'dddd4444.sock', 'notes.json']);
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

  it('does not trust a runtime folder or session file that is a link, another user\'s, or writable by others', async () => {
    const base = tempDir('mandate-chan-');
    const real = join(base, 'real');
    mkdirSync(real, { mode: 0o700 });
    const link = join(base, 'link');
    symlinkSync(real, link);
    const broker = new ApprovalBroker('abc124', 60_000, () => Date.now());
    await assert.rejects(openApprovalChannel(broker, { server: 'srv', principal: 'p', dir: link }), /is a symbolic link/);
    await assert.rejects(openApprovalChannel(broker, { server: 'srv', principal: 'p', dir: `${link}/` }), /is a symbolic link/, 'a trailing / does not follow the link');
    // a planted session file: its socket would collect the secret and the answer
    const planted = { session: 'feed01', socket: join(base, 'evil.sock'), secret: 's', pid: process.pid, server: 'srv', principal: 'p', started: '' };
    writeFileSync(join(real, 'feed01.json'), JSON.stringify(planted), { mode: 0o600 });
    chmodSync(real, 0o777);
    assert.throws(() => readSession(real, 'feed01'), /can be written by other users/);
    chmodSync(real, 0o700);
    assert.equal(readSession(real, 'feed01').socket, planted.socket, 'a private folder and file of our own are read');
    symlinkSync(join(real, 'feed01.json'), join(real, 'feed02.json'));
    assert.throws(() => readSession(real, 'feed02'), /is a symbolic link/);
    // a folder of ours inside one anybody may write (and not sticky): someone else could swap it out from above
    const open = join(base, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    mkdirSync(join(open, 'run'), { mode: 0o700 });
    await assert.rejects(openApprovalChannel(broker, { server: 'srv', principal: 'p', dir: join(open, 'run') }), /above .* can be written by other users/);
    chmodSync(open, 0o1777); // sticky, as /tmp is: others cannot rename what is ours
    const ok = await openApprovalChannel(broker, { server: 'srv', principal: 'p', dir: join(open, 'run') });
    ok.close();
    if (process.getuid?.() === 0) { // only root can hand a folder to another user here
      chownSync(real, 65534, 65534);
      assert.throws(() => readSession(real, 'feed01'), /belongs to uid 65534/);
      await assert.rejects(openApprovalChannel(broker, { server: 'srv', principal: 'p', dir: real }), /belongs to uid 65534/);
    } else process.stderr.write('[approval channel] not root: the other-owner case is not exercised\n');
  });
});
