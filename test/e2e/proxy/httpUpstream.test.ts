// End to end: a local stdio client guarding an MCP server it reaches over Streamable HTTP — SDK Client →
// `mandate proxy --upstream URL` (real process) → a header- and body-recording forwarder → server-everything
// (streamableHttp). The proxy presents the policy's credential upstream; denied calls never reach the server;
// a server that goes away fails calls closed and is connected to again when it is back.

import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { everythingHttp, recordingForwarder, spawnUntil, stop, type Proc } from '../http/support';
import { keyPaths, newSigningKey, publicJwk, writeKeySets } from '../../../extension/proxy/auth';
import { runCli } from '../../support/cli';
import { bin, CLI, connectProxy, FIXTURES, records, recordsWhen, tempDir, textOf, type Guarded } from './support';

const POLICY = (url: string): string => `version: 1
roles:
  reader: { description: Echoes and adds. }
grants:
  - { agent_role: reader, tools: [echo, get-sum, get-env] }
deny:
  - { tools: [get-env], reason: The environment holds secrets. }
servers:
  everything: { url: "${url}", credential: "env:EVERYTHING_TOKEN" }
`;

describe('stdio proxy e2e: an MCP server over Streamable HTTP (--upstream URL), SDK client', function () {
  this.timeout(120_000);
  let upstream: Proc & { url: string };
  let forwarder: Awaited<ReturnType<typeof recordingForwarder>>;
  let g: Guarded;
  let dir: string;

  before(async () => {
    upstream = await everythingHttp();
    forwarder = await recordingForwarder(upstream.url);
    dir = tempDir();
    writeFileSync(join(dir, 'p.mandate.yaml'), POLICY(forwarder.url));
    g = await connectProxy({ policy: 'p.mandate.yaml', dir, proxyArgs: ['--role', 'reader', '--upstream', forwarder.url], server: [], env: { EVERYTHING_TOKEN: 'upstream-secret-1' } });
  });
  after(async () => {
    await g?.close();
    forwarder?.server.close();
    await stop(upstream);
  });

  it('lists only granted tools, forwards an allowed call, and denies get-env before the server sees it', async () => {
    const names = (await g.client.listTools()).tools.map((t) => t.name).sort();
    assert.deepEqual(names, ['echo', 'get-sum']);
    assert.equal(textOf(await g.client.callTool({ name: 'echo', arguments: { message: 'through http' } })), 'Echo: through http');
    const denied = await g.client.callTool({ name: 'get-env', arguments: {} }) as { isError?: boolean };
    assert.equal(denied.isError, true);
    assert.match(textOf(denied), /denied by deny\[0\]: The environment holds secrets/);
    assert.ok(forwarder.bodies.some((b) => b.includes('through http')), 'the allowed call reached the server');
    assert.ok(!forwarder.bodies.some((b) => b.includes('"get-env"')), 'the denied call never reached the server');
    // the server is named by the policy entry with this URL; decisions are on record
    const recs = records(g.audit);
    const decided = recs.filter((r) => r.kind === 'decision').map((r) => [r.server, r.tool, r.decision?.effect]);
    assert.deepEqual(decided, [['everything', 'echo', 'allow'], ['everything', 'get-env', 'deny']]);
  });

  it('presents the policy\'s credential to the server on every request (the client has none to pass on)', () => {
    assert.ok(forwarder.seen.length > 0);
    for (const h of forwarder.seen) assert.equal(h, 'Bearer upstream-secret-1');
    assert.ok(!JSON.stringify(records(g.audit)).includes('upstream-secret-1'), 'the credential is in no record');
  });

  it('--upstream-key: presents a short-lived JWT it mints for that server (aud = its URL) instead of a static credential', async () => {
    const key = await newSigningKey('ES256', Date.now());
    writeKeySets(keyPaths(join(dir, 'upkeys')), [key]);
    writeFileSync(join(dir, 'minted.mandate.yaml'), POLICY(forwarder.url).replace(/, credential: "env:EVERYTHING_TOKEN"/, ', environment: staging'));
    const m = await connectProxy({ policy: 'minted.mandate.yaml', dir, server: [],
      proxyArgs: ['--role', 'reader', '--audit', join(dir, 'minted-audit.jsonl'), '--upstream', forwarder.url, '--upstream-key', join(dir, 'upkeys', 'signing.jwks.json'), '--upstream-ttl', '2m'] });
    const before = forwarder.seen.length;
    try {
      assert.equal(textOf(await m.client.callTool({ name: 'echo', arguments: { message: 'minted' } })), 'Echo: minted');
    } finally {
      await m.close();
    }
    const jwks = createLocalJWKSet({ keys: [publicJwk(key)] });
    const seen = forwarder.seen.slice(before);
    assert.ok(seen.length > 0);
    for (const h of seen) {
      assert.ok(h?.startsWith('Bearer ey'), String(h));
      const { payload } = await jwtVerify(h!.slice(7), jwks, { audience: forwarder.url, issuer: 'urn:mandate:proxy' });
      assert.deepEqual([payload['server'], payload['environment']], ['everything', 'staging']);
      assert.ok(payload.exp! - payload.iat! <= 120, 'lives at most --upstream-ttl');
    }
  });

  it('works for the published MCP Inspector CLI as the client: echo allowed (exit 0); get-env hidden, so never called (exit 5)', async () => {
    // the Inspector gives its server a minimal environment: this policy names no credential
    writeFileSync(join(dir, 'inspector.mandate.yaml'), POLICY(upstream.url).replace(/, credential: "env:EVERYTHING_TOKEN"/, ''));
    const inspector = async (tool: string, args: string[]): Promise<{ code: number; out: string }> => {
      const argv = ['--cli', '--format', 'json', '-q', '--tool-name', tool, ...args.flatMap((a) => ['--tool-arg', a]), '--method', 'tools/call',
        process.execPath, CLI, 'proxy', '--policy', join(dir, 'inspector.mandate.yaml'), '--role', 'reader', '--audit', join(dir, 'inspector-audit.jsonl'),
        '--pins-dir', join(dir, 'pins'), '--runtime-dir', join(dir, 'run'), '--upstream', upstream.url];
      const r = spawnSync(bin('mcp-inspector'), argv, { cwd: dir, env: { ...process.env, HOME: dir }, encoding: 'utf8', timeout: 60_000 });
      return { code: r.status ?? -1, out: r.stdout + r.stderr };
    };
    const ok = await inspector('echo', ['message=from the inspector']);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /Echo: from the inspector/);
    const denied = await inspector('get-env', []);
    // the Inspector lists tools first and calls none it was not shown: the denied tool is hidden from the list
    assert.equal(denied.code, 5, denied.out);
    assert.match(denied.out, /Tool 'get-env' not found/);
    // (tool calls only: whether the server's own roots/list request is decided before the Inspector exits is a race)
    const recs = records(join(dir, 'inspector-audit.jsonl')).filter((r) => r.kind === 'decision' && r.method === 'tools/call');
    assert.deepEqual(recs.map((r) => [r.server, r.tool, r.decision?.effect]), [['everything', 'echo', 'allow']]);
    assert.match(String(recs[0]!.caller?.client?.name), /inspector/i);
  });

  it('denies a hidden tool called without listing first (the published @wong2/mcp-cli), before the server sees it', async () => {
    const cfg = join(dir, 'mcp-cli.json');
    writeFileSync(cfg, JSON.stringify({ mcpServers: { guarded: { command: process.execPath, env: { EVERYTHING_TOKEN: 'upstream-secret-1' },
      args: [CLI, 'proxy', '--policy', join(dir, 'p.mandate.yaml'), '--role', 'reader', '--audit', join(dir, 'mcp-cli-audit.jsonl'), '--pins-dir', join(dir, 'pins'), '--runtime-dir', join(dir, 'run'), '--upstream', forwarder.url] } } }));
    const before = forwarder.bodies.length;
    // asynchronously: the recording forwarder runs in this process
    const r = await new Promise<{ stdout: string; stderr: string }>((resolve) => {
      execFile(bin('mcp-cli'), ['-c', cfg, 'call-tool', 'guarded:get-env', '--args', '{}'], { cwd: dir, env: { ...process.env, HOME: dir }, encoding: 'utf8', timeout: 60_000 },
        (_err, stdout, stderr) => resolve({ stdout, stderr }));
    });
    assert.match(r.stdout, /mandate denied `get-env`: denied by deny\[0\]: The environment holds secrets/, r.stdout + r.stderr);
    assert.ok(!forwarder.bodies.slice(before).some((b) => b.includes('"get-env"')), 'the call never reached the server');
    const decided = records(join(dir, 'mcp-cli-audit.jsonl')).filter((x) => x.kind === 'decision').map((x) => [x.tool, x.decision?.effect]);
    assert.deepEqual(decided, [['get-env', 'deny']]);
  });

  it('fails calls closed while the server is gone and connects again (initialize replayed) when it is back', async () => {
    const port = Number(new URL(upstream.url).port);
    await stop(upstream);
    const down = await g.client.callTool({ name: 'echo', arguments: { message: 'nobody home' } }).then(() => 'answered', (e: Error) => e.message);
    assert.match(down, /failed closed|not running/);
    // the proxy tries again on its own a few times, then waits for a call to ask
    while (!g.stderr().includes('unreachable after 6 tries; the next call tries again')) await new Promise((r) => setTimeout(r, 100));
    upstream = await everythingHttp(port);
    // each call made while the link is down fails closed and asks for a new connection; one soon gets through
    let text = '';
    for (let i = 0; i < 100 && text === ''; i++) {
      text = await g.client.callTool({ name: 'echo', arguments: { message: `back ${i}` } }).then(textOf, () => '');
      if (text === '') await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(text, /^Echo: back \d+$/);
    // every forwarded call has its outcome, ok or failed closed (the last one's is written just after its answer)
    const recs = await recordsWhen(g.audit, (rs) => rs.filter((r) => r.kind === 'outcome').length === rs.filter((r) => r.kind === 'decision' && r.decision?.effect === 'allow').length);
    assert.ok(recs.some((r) => r.kind === 'error' && r.error?.code === 'upstream_exit'), 'the lost connection is recorded');
    // the forwarder answers 502 while the server is down: the record keeps the status the SDK's message leaves out
    assert.ok(recs.some((r) => r.kind === 'error' && /HTTP 502: Streamable HTTP error/.test(r.error?.message ?? '')), JSON.stringify(recs.map((r) => r.error?.message).filter(Boolean)));
    assert.ok(recs.some((r) => r.kind === 'session' && (r.detail as { event?: string }).event === 'upstream_restarted'), 'the new connection is recorded');
    const verified = await runCli(['audit', 'verify', g.audit]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
  });
});

describe('stdio proxy e2e: an HTTP server\'s oversized answer', function () {
  this.timeout(120_000);
  let server: Proc & { match: RegExpMatchArray };
  let g: Guarded;

  before(async () => {
    server = await spawnUntil(process.execPath, [join(FIXTURES, 'http-big-answer.mjs'), String(3 << 20)], {}, /listening on port (\d+)/);
    const dir = tempDir();
    writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles: { reader: { description: Reads. } }\ngrants: [{ agent_role: reader, tools: [small, big, bigsse, bigsplit, bigerror] }]\n');
    g = await connectProxy({ policy: 'p.mandate.yaml', dir, proxyArgs: ['--role', 'reader', '--max-message-bytes', String(1 << 20), '--upstream', `http://127.0.0.1:${server.match[1]}/mcp`], server: [] });
  });
  after(async () => {
    await g?.close();
    await stop(server);
  });

  it('fails the call closed, as JSON or as an event stream (or JSON whose type names one in a parameter, or an error text typed as one), at once, recorded — and keeps serving', async () => {
    for (const name of ['big', 'bigsse', 'bigsplit', 'bigerror']) {
      const err = await g.client.callTool({ name, arguments: {} }).then(() => 'answered', (e: Error) => e.message);
      assert.match(err, /over 1048576 bytes \(--max-message-bytes\).*failed closed/, name);
      // the link is connected again on the next calls
      let text = '';
      for (let i = 0; i < 50 && text === ''; i++) {
        text = await g.client.callTool({ name: 'small', arguments: {} }).then(textOf, () => '');
        if (text === '') await new Promise((r) => setTimeout(r, 100));
      }
      assert.equal(text, 'ok', name);
    }
    const recs = await recordsWhen(g.audit, (rs) => rs.filter((r) => r.kind === 'outcome').length === rs.filter((r) => r.kind === 'decision' && r.decision?.effect === 'allow').length);
    assert.deepEqual(recs.filter((r) => r.kind === 'outcome' && r.tool !== 'small').map((r) => [r.tool, /over 1048576 bytes/.test(r.error?.message ?? '')]), [['big', true], ['bigsse', true], ['bigsplit', true], ['bigerror', true]]);
  });
});

describe('stdio proxy e2e: an HTTP server that stops with a call in flight', function () {
  this.timeout(120_000);

  for (const sse of [false, true]) {
    it(`fails the call closed when the link is lost, not at --call-timeout (answer ${sse ? 'begun as an event stream' : 'not begun'})`, async () => {
      const dir = tempDir();
      const calls = join(dir, 'calls.jsonl');
      let server = await spawnUntil(process.execPath, [join(FIXTURES, 'http-recorder.mjs'), '0', calls], {}, /listening on port (\d+)/);
      const port = server.match[1]!;
      writeFileSync(join(dir, 'p.mandate.yaml'), 'version: 1\nroles: { reader: { description: Reads. } }\ngrants: [{ agent_role: reader, tools: [read, slow] }]\n');
      const g = await connectProxy({ policy: 'p.mandate.yaml', dir, proxyArgs: ['--role', 'reader', '--call-timeout', '60000', '--upstream', `http://127.0.0.1:${port}/mcp`], server: [] });
      try {
        const answer = g.client.callTool({ name: 'slow', arguments: { sse } }, undefined, { timeout: 120_000 }).then(() => 'answered', (e: Error) => e.message);
        while (!existsSync(calls) || !readFileSync(calls, 'utf8').includes('"slow"')) await new Promise((r) => setTimeout(r, 20));
        await stop(server);
        const err = await answer;
        assert.match(err, /stopped: .*failed closed/);
        assert.doesNotMatch(err, /did not answer within/);
        const recs = await recordsWhen(g.audit, (rs) => rs.some((r) => r.kind === 'outcome'));
        assert.deepEqual(recs.filter((r) => r.kind === 'outcome').map((r) => [r.tool, r.result?.is_error]), [['slow', true]]);
        // and the proxy connects again once the server is back
        server = await spawnUntil(process.execPath, [join(FIXTURES, 'http-recorder.mjs'), port, calls], {}, /listening on port (\d+)/);
        let text = '';
        for (let i = 0; i < 100 && text === ''; i++) {
          text = await g.client.callTool({ name: 'read', arguments: {} }).then(textOf, () => '');
          if (text === '') await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(text, 'ok read');
      } finally {
        await g.close();
        await stop(server);
      }
    });
  }
});

describe('stdio proxy: --upstream refusals', function () {
  this.timeout(60_000);
  it('refuses a non-http URL, a URL and a command together, and a credential over cleartext beyond loopback', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'p.mandate.yaml'), POLICY('http://mcp.example.com/mcp'));
    const ftp = await runCli(['proxy', '--policy', 'p.mandate.yaml', '--role', 'reader', '--upstream', 'ftp://127.0.0.1/mcp'], { cwd: dir });
    assert.equal(ftp.code, 1);
    assert.match(ftp.stderr, /--upstream expects an http:\/\/ or https:\/\/ URL with a host, got a `ftp:` one/);
    const both = await runCli(['proxy', '--policy', 'p.mandate.yaml', '--role', 'reader', '--upstream', 'http://127.0.0.1:9/mcp', '--', 'node', 'x.js'], { cwd: dir });
    assert.equal(both.code, 1);
    assert.match(both.stderr, /give one server: --upstream URL, or a command after `--`, not both/);
    const clear = await runCli(['proxy', '--policy', 'p.mandate.yaml', '--role', 'reader', '--upstream', 'http://mcp.example.com/mcp'], { cwd: dir, env: { ...process.env, EVERYTHING_TOKEN: 'x' } });
    assert.equal(clear.code, 1);
    assert.match(clear.stderr, /refusing to send the credential of `everything` over cleartext http to `mcp\.example\.com`/);
    const keyless = await runCli(['proxy', '--policy', 'p.mandate.yaml', '--role', 'reader', '--upstream-key', 'k.json', '--', 'node', 'x.js'], { cwd: dir });
    assert.equal(keyless.code, 1);
    assert.match(keyless.stderr, /--upstream-key and --upstream-ttl are for a server reached by URL \(--upstream\)/);
    writeFileSync(join(dir, 'plain.mandate.yaml'), POLICY('http://127.0.0.1:9/mcp').replace(/, credential: "env:EVERYTHING_TOKEN"/, ''));
    const missingKey = await runCli(['proxy', '--policy', 'plain.mandate.yaml', '--role', 'reader', '--upstream', 'http://127.0.0.1:9/mcp', '--upstream-key', 'nowhere.json'], { cwd: dir });
    assert.equal(missingKey.code, 1);
    assert.match(missingKey.stderr, /^mandate proxy: cannot read key set `.*nowhere\.json`: no such file$/m);
    const unset = await runCli(['proxy', '--policy', 'p.mandate.yaml', '--role', 'reader', '--upstream', 'http://mcp.example.com/mcp'], { cwd: dir, env: { ...process.env, EVERYTHING_TOKEN: '' } });
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /the upstream credential `env:EVERYTHING_TOKEN` is not set/);
  });

  it('refuses to present a server\'s credential to a URL other than the one its policy entry names (--server NAME --upstream elsewhere)', async () => {
    const dir = tempDir();
    const forwarder = await recordingForwarder('http://127.0.0.1:9/mcp');
    try {
      writeFileSync(join(dir, 'p.mandate.yaml'), POLICY('https://mcp.example.com/mcp'));
      for (const mode of [['--role', 'reader'], ['--listen', '127.0.0.1:0', '--jwks', 'keys.json']]) {
        const r = await runCli(['proxy', ...mode, '--policy', 'p.mandate.yaml', '--server', 'everything', '--upstream', forwarder.url], { cwd: dir, env: { ...process.env, EVERYTHING_TOKEN: 'upstream-secret-2' } });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /the credential of `everything` is for https:\/\/mcp\.example\.com, not http:\/\/127\.0\.0\.1:\d+/);
      }
      assert.ok(!forwarder.seen.includes('Bearer upstream-secret-2'), 'the credential went to another host');
    } finally {
      forwarder.server.close();
    }
  });
});
