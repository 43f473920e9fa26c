// The proxy's fault behaviour against fixture servers, over raw JSON-RPC: exact re-serialisation,
// malformed and oversized input, unknown methods, hangs, crashes, audit failure, no orphans.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyChain } from '../../../policies';
import { RETRY_MS } from '../../../extension/proxy/auditLog';
import { fill, onSmallDisk } from '../../support/smallDisk';
import { sha256 } from '../../../extension/proxy/hash';
import { call, killAll, rawProxy } from './raw';
import { FIXTURES, records, recordsWhen, tempDir } from './support';

const POLICY = join(FIXTURES, 'echo.mandate.yaml');
const server = (name: string): string[] => ['node', join(FIXTURES, name)];
const resultText = (m: Record<string, unknown>): string => ((m['result'] as { content: Array<{ text: string }> }).content[0]!.text);
const event = (r: { detail?: unknown }): string | undefined => (r.detail as { event?: string } | undefined)?.event;
const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('e2e proxy: faults and exact forwarding', function () {
  this.timeout(30_000);
  afterEach(killAll);

  it('forwards the checked value: duplicate keys resolve to what was decided, extra params never reach the server', async () => {
    const dir = tempDir();
    const log = join(dir, 'calls.log');
    const p = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir, env: { FIXTURE_LOG: log } });
    await p.handshake();
    p.write('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"checked","message":"sneaky", "n": 1e2, "s": "\\u0041"}}}\n');
    const r = await p.reply(1);
    assert.equal(resultText(r), '{"message":"sneaky","n":100,"s":"A"}');
    const seen = JSON.parse(readFileSync(log, 'utf8').trim()) as { params: Record<string, unknown> };
    assert.deepEqual(Object.keys(seen.params).sort(), ['arguments', 'name']);
    const dec = records(p.audit).find((x) => x.kind === 'decision' && x.tool === 'echo')!;
    assert.deepEqual(dec.args, { message: 'sneaky', n: 100, s: 'A' });
    p.proc.stdin!.end();
    await p.exited;
  });

  it('answers malformed JSON, invalid messages, oversized messages and unknown methods with JSON-RPC errors and keeps serving', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester', '--max-message-bytes', '2000'], server('echo-exact-args.mjs'));
    await p.handshake();
    p.write('{"jsonrpc":"2.0","id":2,"method":\n');
    assert.equal(((await p.reply(null))['error'] as { code: number }).code, -32700);
    p.write('{"jsonrpc":"1.0","id":3,"method":"tools/call"}\n');
    assert.equal(((await p.reply(3))['error'] as { code: number }).code, -32600);
    p.write(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"message":"${'x'.repeat(5000)}"}}}\n`);
    assert.match(((await p.reply(null))['error'] as { message: string }).message, /larger than 2000 bytes/);
    p.send({ jsonrpc: '2.0', id: 5, method: 'evil/launch', params: {} });
    assert.equal(((await p.reply(5))['error'] as { code: number }).code, -32601);
    p.write(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"x":${'['.repeat(600)}${']'.repeat(600)}}}}\n`);
    assert.match(((await p.reply(7))['error'] as { message: string }).message, /nested deeper than 512 levels/);
    p.send(call(6, 'echo', { message: 'still here' }));
    assert.equal(resultText(await p.reply(6)), '{"message":"still here"}');
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
    assert.ok(records(p.audit).filter((x) => x.kind === 'error').length >= 3);
  });

  it('survives arguments nested past what JSON.stringify can write (once a crash), and keeps serving', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'));
    await p.handshake();
    p.write(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"x":${'['.repeat(20000)}null${']'.repeat(20000)}}}}\n`);
    assert.equal(((await p.reply(1))['error'] as { code: number }).code, -32600);
    p.send(call(2, 'echo', { message: 'still here' }));
    assert.equal(resultText(await p.reply(2)), '{"message":"still here"}');
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
  });

  it('denies a tool forbidden by rule, and the server never sees it', async () => {
    const dir = tempDir();
    const log = join(dir, 'calls.log');
    const p = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir, env: { FIXTURE_LOG: log } });
    await p.handshake();
    p.send(call(1, 'delete_all', {}));
    const r = await p.reply(1);
    assert.equal((r['result'] as { isError: boolean }).isError, true);
    assert.match(resultText(r), /no-deletes: Deletions go through change management/);
    p.send(call(2, 'echo', {}));
    await p.reply(2);
    assert.doesNotMatch(readFileSync(log, 'utf8'), /delete_all/);
    p.proc.stdin!.end();
    await p.exited;
  });

  it('governs resources/read and prompts/get: denied unless granted', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'));
    await p.handshake();
    p.send({ jsonrpc: '2.0', id: 1, method: 'resources/read', params: { uri: 'docs://readme' } });
    assert.equal(((await p.reply(1))['result'] as { contents: Array<{ text: string }> }).contents[0]!.text, 'the readme');
    p.send({ jsonrpc: '2.0', id: 2, method: 'resources/read', params: { uri: 'secret://keys' } });
    const denied = (await p.reply(2))['error'] as { code: number; message: string };
    assert.equal(denied.code, -32001);
    assert.match(denied.message, /no resources grant/);
    p.send({ jsonrpc: '2.0', id: 3, method: 'prompts/get', params: { name: 'jailbreak' } });
    assert.equal(((await p.reply(3))['error'] as { code: number }).code, -32001);
    p.send({ jsonrpc: '2.0', id: 4, method: 'prompts/get', params: { name: 'summarise' } });
    assert.ok((await p.reply(4))['result']);
    p.proc.stdin!.end();
    await p.exited;
    const effects = records(p.audit).filter((x) => x.kind === 'decision').map((x) => `${x.method}:${x.decision!.effect}`);
    assert.deepEqual(effects, ['resources/read:allow', 'resources/read:deny', 'prompts/get:deny', 'prompts/get:allow']);
  });

  it('fails a call to a hanging server closed after the call timeout, logged, and keeps serving', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester', '--call-timeout', '300'], server('hang.mjs'));
    await p.handshake();
    p.send(call(1, 'hang', {}));
    const r = (await p.reply(1))['error'] as { code: number; message: string };
    assert.equal(r.code, -32002);
    assert.match(r.message, /did not answer within 300 ms/);
    p.send(call(2, 'ok', {}));
    assert.equal(resultText(await p.reply(2)), 'ok');
    p.proc.stdin!.end();
    await p.exited;
    const out = records(p.audit).filter((x) => x.kind === 'outcome');
    assert.deepEqual(out.map((x) => [x.tool, x.result!.is_error]), [['hang', true], ['ok', false]]);
  });

  it('answers the client with an error when the server answers with both a result and an error, or neither (it passed on a message no client can read)', async () => {
    const p = rawProxy(join(FIXTURES, 'bad-answers.mandate.yaml'), ['--role', 'tester'], server('bad-answers.mjs'));
    await p.handshake();
    for (const [id, tool, what] of [[1, 'both', 'both a result and an error'], [2, 'neither', 'neither a result nor an error']] as const) {
      p.send(call(id, tool, {}));
      const r = await p.reply(id);
      assert.equal(r['result'], undefined);
      assert.equal((r['error'] as { code: number }).code, -32002);
      assert.match((r['error'] as { message: string }).message, new RegExp(`answered with ${what}; the call failed closed`));
    }
    p.send(call(3, 'ok', {}));
    assert.equal(resultText(await p.reply(3)), 'ok');
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
    const out = records(p.audit).filter((x) => x.kind === 'outcome');
    assert.deepEqual(out.map((x) => [x.tool, x.result!.is_error, x.error?.code]), [['both', true, 'upstream_invalid'], ['neither', true, 'upstream_invalid'], ['ok', false, undefined]]);
  });

  it('fails pending calls closed when the server crashes mid-call; with restarts off, answers every call with an error', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester', '--max-restarts', '0'], server('crash-mid-call.mjs'));
    await p.handshake();
    p.send(call(1, 'crash', {}));
    const r = (await p.reply(1))['error'] as { code: number; message: string };
    assert.equal(r.code, -32002);
    assert.match(r.message, /exited with code 3/);
    await p.stderrMatch(/is not restarted \(restarts are off/);
    p.send(call(2, 'ok', {}));
    assert.match(((await p.reply(2))['error'] as { message: string }).message, /not running/);
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
    const recs = records(p.audit);
    assert.ok(recs.some((x) => x.kind === 'error' && x.error!.code === 'upstream_exit'));
    assert.ok(recs.some((x) => x.kind === 'session' && event(x) === 'upstream_not_restarted'));
  });

  it('stops a server that closes its output and lives on: the call fails closed then, not at the call timeout, and a new server serves', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester', '--call-timeout', '600000'], server('crash-mid-call.mjs'));
    await p.handshake();
    p.send(call(1, 'mute', {}));
    const r = (await p.reply(1))['error'] as { code: number; message: string };
    assert.equal(r.code, -32002);
    assert.match(r.message, /closed its output while running, so it was stopped \(SIGTERM\); the call failed closed/);
    await p.stderrMatch(/restarted \(pid \d+, restart 1 of/);
    for (let id = 2; ; id++) { // calls fail closed until the new server has been initialized
      p.send(call(id, 'ok', {}));
      const answer = await p.reply(id);
      if (answer['error'] === undefined) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
    assert.ok(records(p.audit).some((x) => x.kind === 'error' && x.error!.code === 'upstream_exit' && /closed its output/.test(x.error!.message)));
  });

  it('gives a server that closes its output as it shuts down the stop\'s grace: it is not stopped as mute', async () => {
    const dir = tempDir('mandate-slow-exit-');
    const marker = join(dir, 'finished');
    const p = rawProxy(POLICY, ['--role', 'tester'], [...server('slow-exit.mjs'), marker]);
    await p.stderrMatch(/started \(pid \d+\)/);
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
    assert.ok(existsSync(marker), 'the server was killed before it finished shutting down');
  });

  it('restarts a crashed server, initializes it again, and serves calls; gives up after --max-restarts in a minute', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester', '--max-restarts', '2'], server('crash-mid-call.mjs'));
    await p.handshake();
    const pids = new Set<number>();
    for (let crash = 1; crash <= 2; crash++) {
      p.send(call(crash * 10, 'crash', {}));
      assert.match(((await p.reply(crash * 10))['error'] as { message: string }).message, /exited with code 3; the call failed closed/);
      const line = await p.stderrMatch(new RegExp(`restarted \\(pid (\\d+), restart ${crash} of 2`));
      pids.add(Number(/pid (\d+)/.exec(line)![1]));
      // the fixture refuses calls until it is initialized: `ok` answering proves the proxy replayed initialize
      let answer: Record<string, unknown>;
      let id = crash * 10;
      do answer = (p.send(call(++id, 'ok', {})), await p.reply(id)); while (answer['error'] !== undefined && /not running/.test(JSON.stringify(answer['error'])));
      assert.equal(answer['error'], undefined, `after restart ${crash}: ${JSON.stringify(answer['error'])}`);
      assert.equal(resultText(answer), 'ok');
    }
    assert.equal(pids.size, 2);
    p.send(call(100, 'crash', {}));
    await p.reply(100);
    await p.stderrMatch(/is not restarted \(2 restarts within a minute\)/);
    p.send(call(101, 'ok', {}));
    assert.match(((await p.reply(101))['error'] as { message: string }).message, /not running/);
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
    for (const pid of pids) assert.equal(alive(pid), false);
    const recs = records(p.audit);
    assert.equal(recs.filter((x) => x.kind === 'session' && event(x) === 'upstream_restarted').length, 2);
    assert.equal(recs.filter((x) => x.kind === 'error' && x.error!.code === 'upstream_exit').length, 3);
    // every crash call has its allow record and a failed-closed outcome; no call is left without one
    const crashes = recs.filter((x) => x.kind === 'outcome' && x.tool === 'crash');
    assert.equal(crashes.length, 3);
    assert.ok(crashes.every((x) => x.result!.is_error));
  });

  it('says a server command that cannot be started could not start — never that it started (it said "started (pid ?)")', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester', '--max-restarts', '1'], ['/nonexistent/mandate-server']);
    p.send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'c', version: '1' } } });
    assert.match(JSON.stringify(await p.reply(1)), /not running/);
    await p.stderrMatch(/is not restarted/);
    p.proc.stdin!.end();
    await p.exited;
    const said = await p.stderrMatch(/[^]*/);
    assert.match(said, /upstream `mandate-server` could not start `\/nonexistent\/mandate-server`: spawn \/nonexistent\/mandate-server ENOENT/);
    assert.match(said, /restarting \(restart 1 of 1 a minute\)/);
    assert.doesNotMatch(said, /pid \?|`mandate-server` (?:re)?started \(/);
  });

  it('denies every call when the audit log cannot be written', async () => {
    const dir = tempDir();
    const log = join(dir, 'calls.log');
    const p = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir, audit: '/dev/full', env: { FIXTURE_LOG: log } });
    await p.handshake();
    p.send(call(1, 'echo', { message: 'hi' }));
    const r = await p.reply(1);
    assert.match(resultText(r), /audit log cannot be written/);
    assert.equal(existsSync(log), false);
    p.proc.stdin!.end();
    await p.exited;
  });

  it('denies calls once its audit log is removed mid-session (the records would be lost with the file), and says why', async () => {
    const dir = tempDir();
    const log = join(dir, 'calls.log');
    const p = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir, env: { FIXTURE_LOG: log } });
    await p.handshake();
    p.send(call(1, 'echo', { message: 'kept' }));
    await p.reply(1);
    unlinkSync(p.audit);
    p.send(call(2, 'echo', { message: 'unrecorded' }));
    assert.match(resultText(await p.reply(2)), /audit log cannot be written/);
    await p.stderrMatch(/audit log `[^`]*` is unusable: it was removed|cannot write audit log `[^`]*`: it was removed/);
    p.send(call(3, 'echo', { message: 'still unrecorded' }));
    assert.match(resultText(await p.reply(3)), /audit log cannot be written/);
    p.proc.stdin!.end();
    assert.equal(await p.exited, 0);
    assert.doesNotMatch(readFileSync(log, 'utf8'), /unrecorded/);
  });

  it('keeps one chain when its lock is deleted and a second proxy writes the log: the first denies its calls from then on', async () => {
    const dir = tempDir();
    const a = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir });
    await a.handshake();
    a.send(call(1, 'echo', { message: 'a' }));
    await a.reply(1);
    unlinkSync(`${a.audit}.lock`);
    const b = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir: tempDir(), audit: a.audit });
    await b.handshake();
    b.send(call(2, 'echo', { message: 'b' }));
    assert.match(resultText(await b.reply(2)), /"b"/);
    a.send(call(3, 'echo', { message: 'a again' }));
    assert.match(resultText(await a.reply(3)), /audit log cannot be written/);
    await a.stderrMatch(/changed by another process/);
    a.proc.stdin!.end();
    await a.exited;
    b.proc.stdin!.end();
    await b.exited;
    const recs = records(a.audit); // the chain verifies
    assert.deepEqual(recs.filter((x) => x.kind === 'decision').map((x) => (x.args as { message: string }).message), ['a', 'b']);
  });

  it('leaves a log that verifies and can be continued when its disk fills mid-session (no half record)', async function () {
    await onSmallDisk(this, async (mnt, dir) => {
      const audit = join(mnt, 'audit.jsonl');
      const p = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir, audit });
      await p.handshake();
      p.send(call(1, 'echo', { message: 'a' }));
      await p.reply(1);
      const filler = fill(mnt);
      p.send(call(2, 'echo', { message: 'x'.repeat(8000) }));
      assert.match(resultText(await p.reply(2)), /audit log cannot be written/);
      p.proc.stdin!.end();
      await p.exited;
      unlinkSync(filler);
      assert.ok(records(audit).length >= 3, 'what was written verifies');
      const q = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir: tempDir(), audit });
      await q.handshake();
      q.send(call(3, 'echo', { message: 'next session' }));
      assert.match(resultText(await q.reply(3)), /next session/);
      q.proc.stdin!.end();
      assert.equal(await q.exited, 0);
      assert.equal(records(audit).filter((x) => x.kind === 'session' && event(x) === 'start').length, 2);
    }, killAll);
  });

  it('takes its log back once the disk has room again, in the same session: calls in between are denied, and a record tells of the gap', async function () {
    await onSmallDisk(this, async (mnt, dir) => {
      const audit = join(mnt, 'audit.jsonl');
      const log = join(dir, 'calls.log');
      const policy = join(dir, 'alerting.mandate.yaml');
      writeFileSync(policy, `${readFileSync(POLICY, 'utf8')}alerts: { rules: [{ on: audit_failure }] }\n`);
      const p = rawProxy(policy, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir, audit, env: { FIXTURE_LOG: log } });
      await p.handshake();
      p.send(call(1, 'echo', { message: 'a' }));
      await p.reply(1);
      const filler = fill(mnt);
      p.send(call(2, 'echo', { message: 'x'.repeat(8000) }));
      assert.match(resultText(await p.reply(2)), /audit log cannot be written/);
      await p.stderrMatch(/every call is denied until it can be written again/);
      // alerted when it happened, not only once the record of it can be written
      await p.stderrMatch(/mandate alert critical audit_failure: audit failure: audit log `[^`]*` cannot be written: ENOSPC[^\n]*; calls are denied \(\d{4}-[^,)]*\)\n/);
      unlinkSync(filler);
      await new Promise((r) => setTimeout(r, RETRY_MS + 100));
      p.send(call(3, 'echo', { message: 'back' }));
      assert.match(resultText(await p.reply(3)), /back/);
      await p.stderrMatch(/audit log `[^`]*` can be written again; \d+ records? could not be written since /);
      // and again from the record that tells of the gap, with its seq
      await p.stderrMatch(/mandate alert critical audit_failure: audit failure: records could not be written from [^\n]*ENOSPC[^\n]*, seq \d+\)/);
      p.proc.stdin!.end();
      assert.equal(await p.exited, 0);
      const recs = records(audit); // the chain verifies
      const gap = recs.filter((x) => x.kind === 'error' && event(x) === 'audit_resumed');
      assert.equal(gap.length, 1);
      assert.ok(((gap[0]!.detail as { lost: Record<string, number> }).lost['decision'] ?? 0) >= 1, JSON.stringify(gap[0]));
      assert.deepEqual(recs.filter((x) => x.kind === 'decision').map((x) => (x.args as { message: string }).message), ['a', 'back']);
      assert.doesNotMatch(readFileSync(log, 'utf8'), /xxxx/, 'the call whose record was lost never ran');
    }, killAll);
  });

  it('refuses to start a second proxy on a log another one is writing (two writers would break the chain), and the first keeps its chain', async () => {
    const dir = tempDir();
    const a = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir });
    await a.handshake();
    a.send(call(1, 'echo', { message: 'a' }));
    await a.reply(1);
    const b = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir: tempDir(), audit: a.audit });
    assert.equal(await b.exited, 1);
    assert.match(await b.stderrMatch(/is being written by another process \(pid \d+[^)]*\)[^\n]*/), new RegExp(`pid ${a.proc.pid}`));
    a.send(call(2, 'echo', { message: 'still' }));
    assert.equal(resultText(await a.reply(2)).includes('still'), true);
    a.proc.stdin!.end();
    await a.exited;
    assert.equal(existsSync(`${a.audit}.lock`), false, 'released when the proxy stops');
    const c = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir: tempDir(), audit: a.audit });
    await c.handshake();
    c.send(call(3, 'echo', { message: 'after' }));
    await c.reply(3);
    c.proc.stdin!.end();
    await c.exited;
    assert.equal(verifyChain(readFileSync(a.audit, 'utf8'), sha256).ok, true);
  });

  it('on SIGTERM with a call in flight and an approval pending, records both as failed, stops the server, and leaves a log that verifies', async () => {
    const dir = tempDir();
    const policy = join(dir, 'p.mandate.yaml');
    writeFileSync(policy, readFileSync(POLICY, 'utf8').replace('tool: slow_echo', 'tool: pay'));
    const p = rawProxy(policy, ['--role', 'tester'], server('hang.mjs'), { dir });
    const pid = Number(/pid (\d+)/.exec(await p.stderrMatch(/started \(pid \d+\)/))![1]);
    await p.handshake();
    p.send(call(1, 'hang', {}));
    p.send(call(2, 'pay', {}));
    await p.stderrMatch(/approval \S+ needed/);
    await recordsWhen(p.audit, (rs) => rs.some((x) => x.kind === 'decision' && x.tool === 'hang'));
    p.proc.kill('SIGTERM');
    assert.match(resultText(await p.reply(2)), /approval \S+ error \(proxy stopping \(signal SIGTERM\)\)/);
    assert.equal(await p.exited, 0);
    assert.equal(alive(pid), false);
    const recs = records(p.audit);
    assert.ok(recs.some((x) => x.kind === 'approval' && x.tool === 'pay' && x.approval!.state === 'error'));
    assert.ok(recs.some((x) => x.kind === 'outcome' && x.tool === 'hang' && x.result!.is_error));
    assert.equal(event(recs[recs.length - 1]!), 'stop');
  });

  it('after a SIGKILL leaves a log that verifies up to its last record, which the next proxy continues (taking over the dead lock)', async () => {
    const dir = tempDir();
    const p = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir });
    await p.handshake();
    p.send(call(1, 'echo', { message: 'before' }));
    await p.reply(1);
    await recordsWhen(p.audit, (rs) => rs.some((x) => x.kind === 'outcome'));
    p.proc.kill('SIGKILL');
    await p.exited;
    assert.equal(existsSync(`${p.audit}.lock`), true, 'a killed proxy cannot remove its lock');
    const before = records(p.audit).length;
    const q = rawProxy(POLICY, ['--role', 'tester'], server('echo-exact-args.mjs'), { dir: tempDir(), audit: p.audit });
    await q.handshake();
    q.send(call(2, 'echo', { message: 'after' }));
    assert.match(resultText(await q.reply(2)), /after/);
    q.proc.stdin!.end();
    assert.equal(await q.exited, 0);
    const recs = records(p.audit);
    assert.equal(recs[before]!.seq, before);
    assert.equal(event(recs[before]!), 'start');
  });

  it('terminates the server when the proxy is signalled (no orphans)', async () => {
    const p = rawProxy(POLICY, ['--role', 'tester'], ['node', join(__dirname, '../../../node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio']);
    const line = await p.stderrMatch(/started \(pid \d+\)/);
    const pid = Number(/pid (\d+)/.exec(line)![1]);
    await p.handshake();
    assert.equal(alive(pid), true);
    p.proc.kill('SIGTERM');
    await p.exited;
    assert.equal(alive(pid), false);
  });
});
