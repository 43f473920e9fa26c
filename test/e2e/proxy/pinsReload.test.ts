// Tool pinning (drift fails closed until `mandate pins accept`) and policy hot reload.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, killAll, rawProxy } from './raw';
import { CLI, FIXTURES, records, tempDir } from './support';

const POLICY = join(FIXTURES, 'echo.mandate.yaml');
const resultOf = (m: Record<string, unknown>): { isError?: boolean; content: Array<{ text: string }> } => m['result'] as never;

describe('e2e proxy: pins and reload', function () {
  this.timeout(30_000);
  afterEach(killAll);

  it('fails calls to a tool whose definition changed until the change is accepted', async () => {
    const dir = tempDir();
    const p = rawProxy(POLICY, ['--role', 'tester'], ['node', join(FIXTURES, 'tool-definition-drift.mjs')], { dir });
    await p.handshake();
    p.send({ jsonrpc: '2.0', id: 'l1', method: 'tools/list' });
    await p.reply('l1');
    await p.stderrMatch(/tool `transfer` .* changed since it was pinned/);
    p.send(call(1, 'transfer', { account: 'a' }));
    const denied = resultOf(await p.reply(1));
    assert.equal(denied.isError, true);
    assert.match(denied.content[0]!.text, /changed since it was pinned/);
    p.send(call(2, 'stable', {}));
    assert.equal(resultOf(await p.reply(2)).content[0]!.text, 'stable');
    const list = spawnSync(process.execPath, [CLI, 'pins', 'list', '--dir', join(dir, 'pins')], { encoding: 'utf8' });
    assert.equal(list.status, 1, 'pins list exits 1 while a change is pending');
    assert.match(list.stdout, /CHANGED transfer/);
    // what a reviewer sees: what changed, the new description itself, the command bound to this definition
    assert.match(list.stdout, /changed: description, input schema \(\+to\), annotations \(readOnlyHint: true → unset, destructiveHint: unset → true\)/);
    assert.match(list.stdout, /new description: "Move money/);
    const command = /accept after review: mandate pins accept --server=tool-definition-drift --tool=transfer --digest ([0-9a-f]{64})/.exec(list.stdout);
    assert.ok(command, list.stdout);
    const accept = (digest: string): ReturnType<typeof spawnSync> => spawnSync(process.execPath,
      [CLI, 'pins', 'accept', '--server', 'tool-definition-drift', '--tool', 'transfer', '--digest', digest, '--dir', join(dir, 'pins')], { encoding: 'utf8' });
    const short = accept(command[1]!.slice(0, 12));
    assert.equal(short.status, 1, 'a 12-digit prefix is too short to bind a review (a server can collide it)');
    assert.match(String(short.stderr), /at least 32 hex digits/);
    const stale = accept('0'.repeat(64));
    assert.equal(stale.status, 1, 'a digest that is not the pending definition accepts nothing');
    assert.match(String(stale.stderr), /changed since it was reviewed/);
    p.send(call(21, 'transfer', { account: 'a' }));
    assert.equal(resultOf(await p.reply(21)).isError, true, 'still denied');
    const out = accept(command[1]!);
    assert.equal(out.status, 0, String(out.stderr));
    assert.match(String(out.stdout), /accepted `transfer`/);
    p.send(call(3, 'transfer', { account: 'a', to: 'b' }));
    assert.equal(resultOf(await p.reply(3)).content[0]!.text, 'transferred');
    p.proc.stdin!.end();
    await p.exited;
    const drift = records(p.audit).filter((x) => x.kind === 'drift');
    assert.deepEqual(drift.map((x) => x.tool), ['transfer']);
  });

  it('reloads an edited policy, and keeps the last good one when an edit is invalid', async () => {
    const dir = tempDir();
    const policy = join(dir, 'live.mandate.yaml');
    // `alerts: {}`: every alert kind, on the proxy's stderr
    const original = `${readFileSync(POLICY, 'utf8')}alerts: {}\n`;
    writeFileSync(policy, original);
    const p = rawProxy(policy, ['--role', 'tester'], ['node', join(FIXTURES, 'echo-exact-args.mjs')], { dir });
    await p.handshake();
    p.send(call(1, 'echo', { message: 'a' }));
    assert.notEqual(resultOf(await p.reply(1)).isError, true);
    writeFileSync(policy, original.replace('tools: [echo, hang', 'tools: [hang'));
    await p.stderrMatch(/policy reloaded/);
    p.send(call(2, 'echo', { message: 'b' }));
    assert.equal(resultOf(await p.reply(2)).isError, true);
    writeFileSync(policy, `${original}\n  - this is: [not valid\n`);
    await p.stderrMatch(/policy edit refused/);
    // the operator is told, as an alert, that the edit did not take effect
    await p.stderrMatch(/mandate alert critical policy_refused: policy edit refused: `.*live\.mandate\.yaml` is still enforced as version [0-9a-f]{16}; the edit has not taken effect: /);
    p.send(call(3, 'echo', { message: 'c' }));
    assert.equal(resultOf(await p.reply(3)).isError, true, 'the last good policy (no echo) still decides');
    p.proc.stdin!.end();
    await p.exited;
    const pol = records(p.audit).filter((x) => x.kind === 'policy').map((x) => (x.detail as { event: string }).event);
    assert.deepEqual(pol, ['reloaded', 'reload_refused']);
  });

  it('applies edited `alerts:` without a restart: rules added by an edit fire, rules removed stop (they were read once, at start)', async () => {
    const dir = tempDir();
    const policy = join(dir, 'live.mandate.yaml');
    const original = readFileSync(POLICY, 'utf8');
    writeFileSync(policy, original);
    const p = rawProxy(policy, ['--role', 'tester'], ['node', join(FIXTURES, 'echo-exact-args.mjs')], { dir });
    await p.handshake();
    const denyTwice = async (from: number): Promise<void> => {
      for (const id of [from, from + 1]) {
        p.send(call(id, 'delete_all', {}));
        assert.equal(resultOf(await p.reply(id)).isError, true);
      }
    };
    await denyTwice(1);
    writeFileSync(policy, `${original}alerts: { rules: [{ on: denial_burst, count: 2, within_seconds: 60 }] }\n`);
    await p.stderrMatch(/policy reloaded/);
    await denyTwice(3);
    await p.stderrMatch(/mandate alert warning denial_burst: 2 denials within 60s \(tools `delete_all`\)/);
    writeFileSync(policy, `${original}# no alerts now\n`);
    await p.stderrMatch(/policy reloaded[^]*policy reloaded/);
    await denyTwice(5);
    p.send(call(7, 'echo', { message: 'after' }));
    await p.reply(7);
    p.proc.stdin!.end();
    await p.exited;
    const said = await p.stderrMatch(/[^]*/);
    assert.equal(said.match(/mandate alert /g)?.length, 1, said);
  });

  it('follows a policy reached through a symlink, and re-reads an --agent\'s roles on reload (a revoked binding stops its calls)', async () => {
    const dir = tempDir();
    const real = join(dir, 'data-v1');
    mkdirSync(real);
    const original = `${readFileSync(POLICY, 'utf8')}agents:\n  bot: { roles: [tester] }\n`;
    writeFileSync(join(real, 'live.mandate.yaml'), original);
    symlinkSync(real, join(dir, '..data'));
    const policy = join(dir, 'live.mandate.yaml');
    symlinkSync(join('..data', 'live.mandate.yaml'), policy);
    const p = rawProxy(policy, ['--agent', 'bot'], ['node', join(FIXTURES, 'echo-exact-args.mjs')], { dir });
    await p.handshake();
    p.send(call(1, 'echo', { message: 'a' }));
    assert.notEqual(resultOf(await p.reply(1)).isError, true);
    // as a Kubernetes ConfigMap updates: a new folder, then the `..data` link swapped to it
    const next = join(dir, 'data-v2');
    mkdirSync(next);
    writeFileSync(join(next, 'live.mandate.yaml'), original.replace('bot: { roles: [tester] }', 'bot: { roles: [] }'));
    symlinkSync(next, join(dir, '..data-new'));
    renameSync(join(dir, '..data-new'), join(dir, '..data'));
    await p.stderrMatch(/policy reloaded/);
    p.send(call(2, 'echo', { message: 'b' }));
    assert.equal(resultOf(await p.reply(2)).isError, true, 'the agent holds no role now');
    p.proc.stdin!.end();
    await p.exited;
  });

  it('keeps serving when the policy or the pins file is replaced by a pipe (opening one with no writer used to block the whole proxy)', async () => {
    const dir = tempDir();
    const policy = join(dir, 'live.mandate.yaml');
    writeFileSync(policy, readFileSync(POLICY, 'utf8'));
    const p = rawProxy(policy, ['--role', 'tester'], ['node', join(FIXTURES, 'echo-exact-args.mjs')], { dir });
    await p.handshake();
    p.send(call(1, 'echo', { message: 'a' }));
    assert.notEqual(resultOf(await p.reply(1)).isError, true);
    unlinkSync(policy);
    execFileSync('mkfifo', [policy]);
    await p.stderrMatch(/policy edit refused[^\n]*\n[^\n]*not a regular file/);
    p.send(call(2, 'echo', { message: 'b' }));
    assert.notEqual(resultOf(await p.reply(2)).isError, true, 'the last good policy still decides');
    const pins = join(dir, 'pins', 'echo-exact-args.json');
    unlinkSync(pins);
    execFileSync('mkfifo', [pins]);
    p.send({ jsonrpc: '2.0', id: 'l1', method: 'tools/list' }); // the pins are read again when a list is seen
    await p.reply('l1');
    p.send(call(3, 'echo', { message: 'c' }));
    const denied = resultOf(await p.reply(3));
    assert.equal(denied.isError, true);
    assert.match(denied.content[0]!.text, /pins cannot be trusted now \(cannot read `[^`]*echo-exact-args\.json`: not a regular file/);
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
    const pol = records(p.audit).filter((x) => x.kind === 'policy').map((x) => (x.detail as { event: string }).event);
    assert.deepEqual(pol, ['reload_refused']);
  });
});
