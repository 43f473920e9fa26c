// The same guard over HTTP: the finance policy with a stdio server behind `mandate proxy --listen`;
// roles come from the token's subject through the policy's `agents`; approvals are asked through
// the client (MCP elicitation) on the session's SSE stream, and answered with `mandate approve`.

import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { AuditRecord } from '../../../policies';
import { emptyRevocations, issueToken, keyPaths, newSigningKey, writeKeySets } from '../../../extension/proxy/auth';
import { ROOT, runCli } from './cliProcess';
import { httpProxy, stop, type Proc } from './support';
import { recordsWhen } from '../proxy/support';
import { tempDir } from '../../support/tmp';

type TextResult = { content: Array<{ type: string; text?: string }>; isError?: boolean };
const PAY = { name: 'issue_payment', arguments: { vendor: 'acme-bv', amount: 250, currency: 'EUR' } };

describe('HTTP proxy e2e: finance policy, roles from tokens, approvals', function () {
  this.timeout(60_000);
  let dir: string;
  let proxy: Proc & { url: string };
  let key: Awaited<ReturnType<typeof newSigningKey>>;

  before(async () => {
    dir = tempDir('mandate-http-approvals-');
    key = await newSigningKey('ES256', Date.now());
    const kp = keyPaths(join(dir, 'keys'));
    writeKeySets(kp, [key]);
    emptyRevocations(kp.revocations);
    proxy = await httpProxy(['--policy', join(ROOT, 'policies/examples/finance.mandate.yaml'), '--jwks', 'keys/jwks.json', '--audit', 'audit.jsonl', '--server', 'payments',
      '--context', 'environment=prod', '--context', 'region=eu-west-1', '--context', 'tenant=acme', '--approval-timeout', '20000',
      '--runtime-dir', 'run', // (the HTTP proxy refused the flag the stdio proxy takes)
      '--', process.execPath, join(ROOT, 'test/fixtures/servers/finance-server.mjs')], dir);
  });
  after(async () => {
    await stop(proxy);
    rmSync(dir, { recursive: true, force: true });
  });

  async function connect(sub: string, roles?: string[], elicit?: (message: string) => boolean): Promise<Client> {
    const t = await issueToken({ key, sub, aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now(), ...(roles ? { roles } : {}) });
    const client = new Client({ name: 'finance-e2e', version: '1' }, elicit ? { capabilities: { elicitation: {} } } : {});
    if (elicit) client.setRequestHandler(ElicitRequestSchema, async (req) => ({ action: 'accept', content: { approve: elicit(req.params.message) } }));
    await client.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } }));
    return client;
  }
  const records = (): AuditRecord[] => readFileSync(join(dir, 'audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);

  /** Start a call that waits for a human; with the approval id the proxy then announces on stderr. */
  async function held<T>(start: () => T): Promise<{ started: T; id: string }> {
    const announced = (): string[] => [...proxy.output().matchAll(/approval (\S+) needed/g)].map((m) => m[1]!);
    const before = announced().length;
    const started = start();
    const id = await new Promise<string>((resolve) => {
      const check = (): void => {
        const all = announced();
        if (all.length > before) resolve(all[all.length - 1]!);
        else proxy.child.stderr!.once('data', check);
      };
      check();
    });
    return { started, id };
  }

  it('asks the HTTP client by elicitation and follows its answer', async () => {
    const answers = [true, false];
    const asked: string[] = [];
    const c = await connect('payments-agent', undefined, (m) => { asked.push(m); return answers.shift()!; });
    const ok = (await c.callTool(PAY)) as TextResult;
    assert.equal(ok.isError ?? false, false, JSON.stringify(ok));
    assert.match(ok.content[0]?.text ?? '', /paid 250/);
    const no = (await c.callTool(PAY)) as TextResult;
    assert.equal(no.isError, true);
    assert.equal(asked.length, 2);
    assert.match(asked[0]!, /issue_payment/);
    await c.close();
    // the refusal record is flushed after the reply goes out: wait for it on the file, not a sleep
    const all = await recordsWhen(join(dir, 'audit.jsonl'), (rs) => rs.some((r) => r.approval?.state === 'refused'));
    const states = all.filter((r) => r.kind === 'approval' && r.caller?.principal === 'payments-agent').map((r) => `${r.approval!.state}:${r.approval!.via}`);
    assert.deepEqual(states, ['asked:elicitation', 'granted:elicitation', 'asked:elicitation', 'refused:elicitation']);
  });

  it('asks by elicitation on the call\'s own stream: a client with no standalone stream open still gets the question', async () => {
    const t = await issueToken({ key, sub: 'payments-agent', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t.token}` };
    const post = (body: unknown): Promise<Response> => fetch(proxy.url, { method: 'POST', headers, body: JSON.stringify(body) });
    const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: { elicitation: {} }, clientInfo: { name: 'raw-sse', version: '1' } } });
    headers['mcp-session-id'] = init.headers.get('mcp-session-id')!;
    await init.text();
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    // no GET stream: the only stream the proxy can use is this call's own response
    const call = await post({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: PAY });
    const reader = call.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    const next = async (): Promise<Record<string, any>> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      for (;;) {
        const m = /^data: (.*)$/m.exec(buf);
        if (m) {
          buf = buf.slice(m.index + m[0].length);
          return JSON.parse(m[1]!) as Record<string, unknown>;
        }
        const { value, done } = await reader.read();
        if (done) throw new Error('the call\'s stream ended without the message');
        buf += value;
      }
    };
    const asked = await next();
    assert.equal(asked['method'], 'elicitation/create', JSON.stringify(asked));
    await (await post({ jsonrpc: '2.0', id: asked['id'], result: { action: 'accept', content: { approve: true } } })).text();
    const answer = await next();
    assert.equal(answer['id'], 2);
    assert.match(JSON.stringify(answer['result']), /paid 250/);
    await reader.cancel();
  });

  it('takes an approval from `mandate approve` when the client cannot elicit', async () => {
    const c = await connect('payments-agent');
    const { started: pending, id } = await held(() => c.callTool(PAY));
    const r = await runCli(['approve', id, '--by', 'alice'], { cwd: dir, env: { MANDATE_RUNTIME_DIR: join(dir, 'run') } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const res = (await pending) as TextResult;
    assert.match(res.content[0]?.text ?? '', /paid 250/);
    await c.close();
  });

  it('refuses a yes given after the token that made the call was revoked: the call never runs', async () => {
    const t = await issueToken({ key, sub: 'payments-agent', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
    const c = new Client({ name: 'finance-e2e', version: '1' });
    await c.connect(new StreamableHTTPClientTransport(new URL(proxy.url), { requestInit: { headers: { authorization: `Bearer ${t.token}` } } }));
    const { started: pending, id } = await held(() => c.callTool(PAY));
    const rev = await runCli(['token', 'revoke', t.jti, '--keys', 'keys'], { cwd: dir });
    assert.equal(rev.code, 0, rev.stderr + rev.stdout);
    const r = await runCli(['approve', id, '--by', 'alice'], { cwd: dir, env: { MANDATE_RUNTIME_DIR: join(dir, 'run') } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const res = (await pending) as TextResult;
    assert.equal(res.isError, true, JSON.stringify(res));
    assert.match(res.content[0]?.text ?? '', new RegExp(`approval ${id} refused \\(the token that made the call \\(\`${t.jti}\`\\) has been revoked\\)`));
    const all = await recordsWhen(join(dir, 'audit.jsonl'), (rs) => rs.some((x) => x.approval?.id === id && x.approval.state === 'refused'));
    const mine = all.filter((x) => x.approval?.id === id || (x.kind === 'outcome' && all.some((y) => y.approval?.id === id && y.request_id === x.request_id && y.session === x.session)));
    assert.deepEqual(mine.map((x) => `${x.kind}:${x.approval?.state ?? ''}`), ['approval:asked', 'approval:refused'], 'no outcome: the call never reached the server');
    await c.close().catch(() => undefined);
  });

  it('checks a yes against the token of the call that waits, not of a later request that reused its id and was refused', async () => {
    const a = await issueToken({ key, sub: 'payments-agent', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
    const b = await issueToken({ key, sub: 'payments-agent', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const post = (token: string, body: unknown): Promise<Response> => fetch(proxy.url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const init = await post(a.token, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'reuse', version: '1' } } });
    headers['mcp-session-id'] = init.headers.get('mcp-session-id')!;
    await init.text();
    await (await post(a.token, { jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    const { started: waiting, id } = await held(() => post(a.token, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: PAY }).then((r) => r.text()));
    // the same id again, with another (valid) token of the subject: refused, the id is in use
    const again = await post(b.token, { jsonrpc: '2.0', id: 7, method: 'tools/call', params: PAY });
    assert.equal(again.status, 409);
    assert.match(await again.text(), /already in use/);
    const rev = await runCli(['token', 'revoke', a.jti, '--keys', 'keys'], { cwd: dir });
    assert.equal(rev.code, 0, rev.stderr + rev.stdout);
    const r = await runCli(['approve', id, '--by', 'alice'], { cwd: dir, env: { MANDATE_RUNTIME_DIR: join(dir, 'run') } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(await waiting, /approval \S+ refused \(the token that made the call .*has been revoked\)/, 'the held call heard its own refusal on its own stream');
    const all = await recordsWhen(join(dir, 'audit.jsonl'), (rs) => rs.some((x) => x.approval?.id === id && x.approval.state !== 'asked'));
    const settled = all.find((x) => x.approval?.id === id && x.approval.state !== 'asked')!;
    assert.equal(settled.approval!.state, 'refused', 'the call of the revoked token was approved');
    assert.match(JSON.stringify(settled), /has been revoked/);
  });

  it('refuses a request that reuses the id of a call in flight before the transport sees it: the waiting call still gets its answer', async () => {
    const t = await issueToken({ key, sub: 'payments-agent', aud: proxy.url, iss: 'urn:mandate:local', ttlSec: 600, now: Date.now() });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${t.token}` };
    const post = (body: unknown): Promise<Response> => fetch(proxy.url, { method: 'POST', headers, body: JSON.stringify(body) });
    const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'reuse', version: '1' } } });
    headers['mcp-session-id'] = init.headers.get('mcp-session-id')!;
    await init.text();
    await (await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).text();
    const { started: waiting, id } = await held(() => post({ jsonrpc: '2.0', id: 'pay-1', method: 'tools/call', params: PAY }).then((r) => r.text()));
    const again = await post({ jsonrpc: '2.0', id: 'pay-1', method: 'tools/list', params: {} });
    assert.equal(again.status, 409);
    assert.deepEqual(await again.json(), { jsonrpc: '2.0', id: 'pay-1', error: { code: -32600, message: 'id "pay-1" is already in use by a request in flight' } });
    const r = await runCli(['approve', id, '--by', 'alice'], { cwd: dir, env: { MANDATE_RUNTIME_DIR: join(dir, 'run') } });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    // before: the answer went to the refused request's stream, and this one ended without it
    assert.match(await waiting, /"id":"pay-1".*paid 250/);
    const refused = records().filter((x) => x.kind === 'error' && x.request_id === 'pay-1');
    assert.deepEqual(refused.map((x) => [x.method, x.error?.code]), [['tools/list', 'jsonrpc_id_in_use']]);
  });

  it('gives a reader token the reader role only: payments are denied', async () => {
    const c = await connect('ledger-bot');
    const names = (await c.listTools()).tools.map((t) => t.name);
    assert.ok(!names.includes('issue_payment'));
    const r = (await c.callTool(PAY)) as TextResult;
    assert.equal(r.isError, true);
    await c.close();
  });

  it('never lets a token add a role the policy does not bind to its subject', async () => {
    await assert.rejects(connect('ledger-bot', ['finance_executor']), /403|none of the roles/i);
    await assert.rejects(connect('mallory'), /403|not an agent/i);
    // a subject outside Latin-1 in the 403's WWW-Authenticate made Node throw: a 500 "internal error" instead
    await assert.rejects(connect('mal→lory'), /not an agent/i);
    const codes = records().filter((r) => r.kind === 'auth' && r.error).map((r) => r.error!.code);
    assert.ok(codes.filter((c) => c === 'no_roles').length >= 3, codes.join(','));
    // the 403 says how a subject gets roles (it said only that `mallory` is not an agent)
    const why = records().filter((r) => r.kind === 'auth' && r.error?.code === 'no_roles').map((r) => r.error!.message);
    assert.ok(why.some((m) => /^`mallory` is not an agent of this policy: a token's subject gets its roles from the policy's `agents:` \(`mallory: \{ roles: \[\.\.\.\] \}`\)$/.test(m)), why.join('\n'));
  });
});
